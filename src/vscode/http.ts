/**
 * Which HTTP client the core gets inside the editor. VS Code's extension host extends the global
 * `fetch` with the editor's proxy settings and system certificates (`http.fetchAdditionalSupport`,
 * on by default), so that is the default. When the setting is off, the undici client from
 * `src/node` takes over with the proxy and TLS settings read here.
 */
import * as vscode from 'vscode';
import { createGlobalFetch, type FetchLike } from '../core/http.js';
import { createNodeHttpClient } from '../node/http-client.js';

const TIMEOUT_MS = 30_000;

export function createEditorHttpClient(): FetchLike {
  const http = vscode.workspace.getConfiguration('http');
  if (http.get<boolean>('fetchAdditionalSupport', true) !== false) return createGlobalFetch(TIMEOUT_MS);
  const proxy = http.get<string>('proxy') || undefined;
  const noProxy = http.get<string[]>('noProxy', []).join(',') || undefined;
  return createNodeHttpClient({
    timeout: TIMEOUT_MS,
    // An empty proxy setting falls back to the HTTP(S)_PROXY environment, as the editor does.
    proxies: proxy ? { http: proxy, https: proxy, noProxy } : noProxy ? { noProxy } : undefined,
    verify: http.get<boolean>('proxyStrictSSL', true),
  });
}
