/**
 * Sign-in flows as objects with capability flags, and the pure choice of which flows to offer in
 * which environment. The flows themselves only talk to the editor through {@link SignInUi}, so
 * they run the same in the editor, in a test host and in unit tests.
 */
import type { AuthenticationResult } from '../core/account.js';
import type { PublicClientApplication } from '../core/application.js';
import type { DeviceFlow } from '../core/grants/device-code.js';
import type { FlowId } from './settings.js';

/** Where the extension host runs, relative to the user's browser. */
export type ExtensionHostKind = 'local' | 'remote' | 'webWorker';

export interface FlowQuery {
  extensionHost: ExtensionHostKind;
  /** The user's choice from the settings: tried first, wherever we run. */
  preferred?: FlowId;
}

/** What a flow needs from the editor. */
export interface SignInUi {
  /** Opens a URL in the user's browser; false when the user declined. */
  openUri(url: string): Promise<boolean>;
  /** Shows the device code (a modal with "Copy & Open"); resolves false when the user cancels. */
  showDeviceCode(flow: DeviceFlow, signal: AbortSignal): Promise<boolean>;
}

/** Everything a flow gets for one sign-in. */
export interface FlowContext {
  app: PublicClientApplication;
  scopes: string[];
  loginHint?: string;
  claimsChallenge?: string;
  ui: SignInUi;
  /** Aborted when the user cancels the progress notification. */
  signal: AbortSignal;
  /** The editor's redirect URI for the URI-handler flow, as the outside world reaches it. */
  externalCallbackUri(): Promise<string>;
  /** Waits for the URI handler to receive the response carrying `state`. */
  waitForCallback(state: string, signal: AbortSignal): Promise<Record<string, string>>;
  /** HTML shown in the browser after a loopback sign-in. */
  successPage?: string;
  /** How long to wait for the user in the browser. */
  timeoutMs: number;
}

export interface SignInFlow {
  readonly id: FlowId;
  readonly label: string;
  /** Works when the extension host runs on another machine than the browser (SSH, WSL, containers, code-server). */
  readonly supportsRemoteExtensionHost: boolean;
  /** Works in a browser's web worker extension host (no sockets). */
  readonly supportsWebWorkerExtensionHost: boolean;
  trigger(context: FlowContext): Promise<AuthenticationResult>;
}

/**
 * The flows to try, in order. The loopback listener needs the browser on the extension host's
 * machine; the URI handler needs an editor the identity provider can redirect to; the device
 * code needs nothing but a second screen. A preferred flow goes first, wherever we run: the user
 * knows their setup (code-server on the same machine, for instance).
 */
export function getFlows<T extends Pick<SignInFlow, 'id' | 'supportsRemoteExtensionHost' | 'supportsWebWorkerExtensionHost'>>(
  all: readonly T[],
  query: FlowQuery,
): T[] {
  const supported = all.filter((flow) => {
    if (query.extensionHost === 'remote') return flow.supportsRemoteExtensionHost;
    if (query.extensionHost === 'webWorker') return flow.supportsWebWorkerExtensionHost;
    return true;
  });
  const preferred = query.preferred ? all.find((flow) => flow.id === query.preferred) : undefined;
  return preferred ? [preferred, ...supported.filter((flow) => flow !== preferred)] : supported;
}
