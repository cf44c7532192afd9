/**
 * The hooks the Node host's tests reach through the exports (`MSAL_SIGNIN_TEST_HOOKS=1`, set by
 * the integration and editor test harnesses): a UI they script in place of the person, and what
 * they check. Only the Node entry wires them; in the browser the exports are out of the test
 * runner's reach (src/web-extension.ts reports to the worker's console instead).
 */
import type * as vscode from 'vscode';
import type { FetchLike } from '../core/index.js';
import type { ExtensionExports } from './activation.js';
import type { ExtensionHostKind, SignInUi } from './flows.js';
import { tokenCacheKey } from './provider-registry.js';
import { type EditorUi, editorUi } from './ui.js';

/** What the tests read besides the API. */
export interface TestFacts {
  extensionHost: ExtensionHostKind;
  httpClient: FetchLike;
  secrets: vscode.SecretStorage;
  /** The window channel, when it opened. */
  peerChannel: { id: string } | undefined;
}

export interface TestHooks {
  /** The editor's UI, whose browser and device-code dialog a test can swap for a scripted person. */
  ui: EditorUi;
  /** Puts {@link ExtensionExports.testing} on the exports. */
  expose(api: ExtensionExports, facts: TestFacts): void;
}

export function testHooks(): TestHooks {
  let scripted: SignInUi | undefined;
  return {
    ui: {
      ...editorUi,
      openUri: (url) => (scripted ?? editorUi).openUri(url),
      showDeviceCode: (flow, signal) => (scripted ?? editorUi).showDeviceCode(flow, signal),
    },
    expose(api, facts) {
      api.testing = {
        setUi: (ui) => (scripted = ui),
        extensionHost: facts.extensionHost,
        httpClient: facts.httpClient,
        storedTokenCache: async (providerId) => facts.secrets.get(tokenCacheKey(providerId)),
        peerChannel: facts.peerChannel && { id: facts.peerChannel.id },
      };
    },
  };
}
