/**
 * Which HTTP client the core gets inside the editor. VS Code's extension host extends the global
 * `fetch` with the editor's proxy settings and system certificates (`http.fetchAdditionalSupport`,
 * on by default), so that is the default. When the setting is off, the undici client from
 * `src/node` takes over with the proxy and TLS settings read here. Settings are read for each
 * request, so a change applies at once.
 */
import * as vscode from 'vscode';
import { createGlobalFetch, type FetchLike } from '../core/http.js';
import { createNodeHttpClient, type NodeHttpClient } from '../node/http-client.js';

const TIMEOUT_MS = 30_000;

/** The `http.*` settings that shape requests. */
interface ProxySettings {
  fetchAdditionalSupport: boolean;
  proxy?: string;
  noProxy?: string;
  strictSsl: boolean;
}

function readProxySettings(): ProxySettings {
  const http = vscode.workspace.getConfiguration('http');
  return {
    fetchAdditionalSupport: http.get<boolean>('fetchAdditionalSupport', true) !== false,
    proxy: http.get<string>('proxy') || undefined,
    noProxy: http.get<string[]>('noProxy', []).join(',') || undefined,
    strictSsl: http.get<boolean>('proxyStrictSSL', true),
  };
}

export function createEditorHttpClient(): FetchLike {
  const editorFetch = createGlobalFetch(TIMEOUT_MS);
  let undici: { key: string; client: NodeHttpClient } | undefined;
  return (url, init) => {
    const settings = readProxySettings();
    if (settings.fetchAdditionalSupport) return editorFetch(url, init);
    const key = JSON.stringify(settings);
    if (undici?.key !== key) {
      void undici?.client.close();
      undici = {
        key,
        client: createNodeHttpClient({
          timeout: TIMEOUT_MS,
          // No proxy setting falls back to the HTTP(S)_PROXY environment, as the editor does.
          proxies: settings.proxy ? { http: settings.proxy, https: settings.proxy, noProxy: settings.noProxy } : settings.noProxy ? { noProxy: settings.noProxy } : undefined,
          verify: settings.strictSsl,
        }),
      };
    }
    return undici.client(url, init);
  };
}
