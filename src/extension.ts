/**
 * The Node entry (package.json `main`): desktop windows, remote windows (SSH, WSL, containers,
 * tunnels) and code-server's server extension host. Wiring only: the Node pieces handed to the
 * activation both builds share (src/vscode/activation.ts).
 */
import { join } from 'node:path';
import type * as vscode from 'vscode';
import { CrossWindowLock } from './node/cross-window-lock.js';
import { PeerChannel } from './node/peer-channel.js';
import { activateWith, deactivateWindowChannel, type ExtensionExports } from './vscode/activation.js';
import { createEditorHttpClient } from './vscode/http.js';
import { explainLoopbackError } from './vscode/loopback-errors.js';
import { editorPlatform } from './vscode/platform.js';

export type { ExtensionExports } from './vscode/activation.js';

export function activate(context: vscode.ExtensionContext): Promise<ExtensionExports> {
  return activateWith(context, {
    httpClient: createEditorHttpClient(),
    platform: editorPlatform,
    // Unix sockets (named pipes on Windows) listed in a registry under the extension's storage.
    openWindowChannel: (key, deliver, warn) => PeerChannel.open(join(context.globalStorageUri.fsPath, 'peers'), key, deliver, warn),
    lockFor: (providerId) => new CrossWindowLock(context.globalStorageUri.fsPath, providerId),
    explainError: explainLoopbackError,
    testHooks: process.env.MSAL_SIGNIN_TEST_HOOKS === '1',
  });
}

export const deactivate = deactivateWindowChannel;
