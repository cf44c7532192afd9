/**
 * Activates the extension in plain Node, over the `vscode` stand-in (import
 * ./vscode/register.js first), with the test hooks on and the context parts it reads.
 */
import { join } from 'node:path';
import type * as vscodeTypes from 'vscode';
import type { ExtensionExports } from '../../src/extension.js';
import type { FakeSecrets } from './fake-secrets.js';

export interface StubContextParts {
  secrets: FakeSecrets;
  /** The extension's global storage folder (the cross-window lock lives there). */
  storageDir: string;
  subscriptions: { dispose(): unknown }[];
  /** `context.globalState`'s values; default an empty map. */
  globalState?: Map<string, unknown>;
}

export async function activateWithStub(parts: StubContextParts): Promise<ExtensionExports> {
  process.env.MSAL_SIGNIN_TEST_HOOKS = '1';
  const { Uri } = await import('./vscode/stub.js');
  const extension = await import('../../src/extension.js');
  const globalState = parts.globalState ?? new Map<string, unknown>();
  const context = {
    subscriptions: parts.subscriptions,
    secrets: parts.secrets,
    globalState: { get: (key: string) => globalState.get(key), update: async (key: string, value: unknown) => void globalState.set(key, value) },
    globalStorageUri: Uri.file(parts.storageDir),
    extensionUri: Uri.file(join(import.meta.dirname, '..', '..', '..')),
    extension: { id: 'msal-tools.msal-signin', extensionKind: 2 },
  };
  return extension.activate(context as unknown as vscodeTypes.ExtensionContext);
}
