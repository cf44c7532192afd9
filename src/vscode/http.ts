/**
 * Which HTTP client the core gets inside the editor. VS Code's extension host extends the global
 * `fetch` with the editor's proxy settings and system certificates (`http.fetchAdditionalSupport`,
 * on by default), so that is the default. When the setting is off, requests go through Node's
 * `http`/`https` modules, which the extension host patches with the same proxy and certificate
 * settings (`http.proxySupport`). The extension never bundles undici: that client is for Node
 * programs outside the editor. The setting is read for each request, so a change applies at once.
 */
import * as vscode from 'vscode';
import { createGlobalFetch, type FetchLike } from '../core/index.js';
import { createBuiltinHttpClient } from '../node/builtin-http.js';

const TIMEOUT_MS = 30_000;

export function createEditorHttpClient(): FetchLike {
  const editorFetch = createGlobalFetch(TIMEOUT_MS);
  const builtin = createBuiltinHttpClient({ timeout: TIMEOUT_MS });
  return (url, init) => {
    const additionalSupport = vscode.workspace.getConfiguration('http').get<boolean>('fetchAdditionalSupport', true) !== false;
    return additionalSupport ? editorFetch(url, init) : builtin(url, init);
  };
}
