/** A provider's dependencies for the tests of src/vscode and of the provider against a local identity provider. */
import type { FetchLike, Logger } from '../../src/core/index.js';
import type { ProviderDependencies, SignInEnvironment } from '../../src/vscode/auth-provider.js';
import type { ExtensionHostKind, SignInFlow } from '../../src/vscode/flows.js';
import { editorPlatform } from '../../src/vscode/platform.js';
import { SharedTokenCache } from '../../src/vscode/shared-token-cache.js';
import { ALL_FLOWS } from '../../src/vscode/sign-in-flows.js';
import type { EditorUi } from '../../src/vscode/ui.js';
import { FakeSecrets } from './fake-secrets.js';

export const quietLogger: Logger = { error: () => undefined, warning: () => undefined, info: () => undefined, verbose: () => undefined, trace: () => undefined };

export interface TestProviderOptions {
  httpClient: FetchLike;
  /** Default: the extension's own flows. */
  flows?: readonly SignInFlow[];
  extensionHost?: ExtensionHostKind;
  /** Replaces parts of the sign-in environment (the URI handler, the timeout). */
  signIn?: Partial<SignInEnvironment>;
  logger?: Logger;
  /** Replaces parts of a UI that runs each flow at once, declines to try another way and shows nothing. */
  ui?: Partial<EditorUi>;
}

/** The provider `providerId`'s dependencies: its cache over an in-memory SecretStorage, no lock, no other window. */
export function providerDependencies(providerId: string, options: TestProviderOptions): ProviderDependencies {
  const ui: EditorUi = {
    openUri: async () => false,
    showDeviceCode: async () => false,
    withProgress: (_title, work) => work(new AbortController().signal),
    askTryAnotherWay: async () => false,
    warn: () => undefined,
    ...options.ui,
  };
  return {
    cache: new SharedTokenCache({ secrets: new FakeSecrets(), key: `msalSignIn.tokenCache.${providerId}` }),
    core: { httpClient: options.httpClient, platform: editorPlatform, logger: options.logger ?? quietLogger, logPii: false },
    ui,
    signIn: {
      callbacks: { waitFor: () => Promise.reject(new Error('no URI handler in this test')) },
      extensionHost: options.extensionHost ?? 'local',
      externalCallbackUri: async () => 'vscode://msal-tools.msal-signin/signin-callback',
      flows: options.flows ?? ALL_FLOWS,
      ...options.signIn,
    },
  };
}
