/**
 * The Node entry (package.json `main`): desktop windows, remote windows (SSH, WSL, containers,
 * tunnels) and code-server's server extension host. Wiring only: the Node pieces handed to the
 * activation both builds share (src/vscode/activation.ts).
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CrossWindowLock } from './node/cross-window-lock.js';
import { PeerChannel } from './node/peer-channel.js';
import { activateWith, deactivateWindowChannel, type ExtensionExports, extensionHostKind } from './vscode/activation.js';
import { createEditorHttpClient } from './vscode/http.js';
import { explainLoopbackError } from './vscode/loopback-errors.js';
import { editorPlatform } from './vscode/platform.js';
import { ALL_FLOWS } from './vscode/sign-in-flows.js';
import { testHooks } from './vscode/test-hooks.js';

export type { ExtensionExports } from './vscode/activation.js';

export async function activate(context: vscode.ExtensionContext): Promise<ExtensionExports> {
  const httpClient = createEditorHttpClient();
  const hooks = process.env.MSAL_SIGNIN_TEST_HOOKS === '1' ? testHooks() : undefined;
  let channel: PeerChannel | undefined;
  const api = await activateWith(context, {
    httpClient,
    platform: editorPlatform,
    // Unix sockets (named pipes on Windows) listed in a registry under the extension's storage.
    openWindowChannel: async (key, deliver, warn) => (channel = await PeerChannel.open(join(context.globalStorageUri.fsPath, 'peers'), key, deliver, warn)),
    lockFor: (providerId) => new CrossWindowLock(context.globalStorageUri.fsPath, providerId),
    explainError: explainLoopbackError,
    flows: ALL_FLOWS,
    successPage: await readSuccessPage(context),
    ui: hooks?.ui,
  });
  hooks?.expose(api, { extensionHost: extensionHostKind(context), httpClient, secrets: context.secrets, peerChannel: channel });
  return api;
}

/** The page the loopback listener shows once the browser brought the response back. */
function readSuccessPage(context: vscode.ExtensionContext): Thenable<string | undefined> {
  return vscode.workspace.fs.readFile(vscode.Uri.joinPath(context.extensionUri, 'media', 'signed-in.html')).then(
    (bytes) => new TextDecoder().decode(bytes),
    () => undefined,
  );
}

export const deactivate = deactivateWindowChannel;
