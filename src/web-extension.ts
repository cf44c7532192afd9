/**
 * The browser entry (package.json `browser`): the web worker extension host of vscode.dev,
 * github.dev, any VS Code web build, and code-server with the extension moved there. No Node: the
 * worker's global `fetch`, WebCrypto (the core's own), the windows of one browser in step over an
 * authenticated `BroadcastChannel`, and the Web Locks API as the cross-window lock. Wiring only:
 * the activation is shared with the Node entry (src/vscode/activation.ts).
 */
import * as vscode from 'vscode';
import type { Platform } from './core/index.js';
import { activateWith, deactivateWindowChannel, type ExtensionExports, extensionHostKind, hasNode } from './vscode/activation.js';
import { BroadcastPeers } from './vscode/broadcast-peers.js';
import { explainBrowserError } from './vscode/browser-errors.js';
import { createBrowserHttpClient, workerOrigin } from './vscode/browser-http.js';
import { SETTINGS_SECTION } from './vscode/settings.js';
import { WEB_WORKER_FLOWS } from './vscode/sign-in-flows.js';
import { webLockManager, webLocksFor } from './vscode/web-lock.js';

/**
 * Nothing of the platform: no loopback listener (no sockets; flows.ts does not offer the loopback
 * flow here), no system browser (the editor opens URLs), no region from the environment. The core
 * uses WebCrypto and the HTTP client it is handed.
 */
const webPlatform: Platform = {};

export async function activate(context: vscode.ExtensionContext): Promise<ExtensionExports> {
  const locks = webLockManager();
  const api = await activateWith(context, {
    httpClient: createBrowserHttpClient(),
    platform: webPlatform,
    openWindowChannel: (key, deliver, warn) => BroadcastPeers.open(key, deliver, warn),
    lockFor: webLocksFor(locks),
    explainError: explainBrowserError,
    // No loopback flow: a web worker has no sockets to listen on.
    flows: WEB_WORKER_FLOWS,
  });
  reportToTests(context, locks !== undefined);
  return api;
}

/**
 * The editor tests cannot read this host's exports (they run in another extension host), so with
 * the hidden user setting `msalSignIn.testReport` on, the facts they check — where this runs,
 * and that Node is not there — go to the worker's console, which the test's browser reads. No
 * token, no key, no URL.
 */
function reportToTests(context: vscode.ExtensionContext, webLocks: boolean): void {
  if (vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect('testReport')?.globalValue !== true) return;
  const report = {
    extensionHost: extensionHostKind(context),
    node: hasNode(),
    typeofProcess: typeof process,
    webLocks,
    broadcastChannel: typeof BroadcastChannel === 'function',
    origin: workerOrigin(),
  };
  console.log(`MSAL-SIGNIN-TEST ${JSON.stringify(report)}`);
}

export const deactivate = deactivateWindowChannel;
