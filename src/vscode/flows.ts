/**
 * Sign-in flows as objects with capability flags, and the pure choice of which flows to offer in
 * which environment. The flows themselves only talk to the editor through {@link SignInUi}, so
 * they run the same in the editor, in a test host and in unit tests.
 */
import type { AuthenticationResult, DeviceFlow, PublicClientApplication } from '../core/index.js';
import type { FlowId, LoopbackRedirect } from './settings.js';

/** Where the extension host runs, relative to the user's browser. */
export type ExtensionHostKind = 'local' | 'remote' | 'webWorker';

export interface FlowQuery {
  extensionHost: ExtensionHostKind;
  /** The user's choice from the settings: tried first, wherever we run. */
  preferred?: FlowId;
  /** An explicit request (a palette command, the API's `flow`): this flow alone, wherever we run. */
  only?: FlowId;
  /** The identity provider's discovery document names a `device_authorization_endpoint`. */
  deviceAuthorizationEndpoint: boolean;
  /**
   * False when the device authorization endpoint is known not to answer a browser's cross-origin
   * request (Microsoft Entra ID's sends no CORS headers): in a web worker extension host the
   * device code could then only fail. Default true.
   */
  deviceEndpointServesBrowsers?: boolean;
}

/** Why a flow asked for by name is not offered. */
export type FlowUnavailableReason =
  | 'noDeviceAuthorizationEndpoint'
  /** The device authorization endpoint refuses the browser's cross-origin requests, and we run in one. */
  | 'deviceEndpointRefusesBrowsers'
  /** The flow needs sockets (the loopback listener), and a web worker extension host has none. */
  | 'noSocketsInWebWorker';

/**
 * A flow asked for by name that the identity provider cannot do: the sign-in stops before any
 * request, and the user is told why (user-errors.ts) rather than shown a protocol error.
 */
export class FlowUnavailableError extends Error {
  override readonly name = 'FlowUnavailableError';
  constructor(
    readonly flow: FlowId,
    readonly reason: FlowUnavailableReason,
  ) {
    super(`the ${flow} flow is not available: ${reason}`);
  }
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
  /** The provider's fixed loopback redirect URI (`redirectUri`); without it any free port. */
  loopbackRedirect?: LoopbackRedirect;
  /** Extra parameters of the authorization (and device authorization) request (`authorizationParameters`). */
  authorizationParameters?: Record<string, string>;
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
  /** Needs the identity provider's device authorization endpoint (RFC 8628). */
  readonly needsDeviceAuthorizationEndpoint?: boolean;
  trigger(context: FlowContext): Promise<AuthenticationResult>;
}

type FlowCapabilities = Pick<SignInFlow, 'id' | 'supportsRemoteExtensionHost' | 'supportsWebWorkerExtensionHost' | 'needsDeviceAuthorizationEndpoint'>;

/**
 * Why `flow` cannot work at all — the identity provider cannot do it, or a web worker extension
 * host cannot run it — or undefined when it can.
 */
export function unavailableReason(
  flow: FlowCapabilities,
  query: Pick<FlowQuery, 'deviceAuthorizationEndpoint' | 'deviceEndpointServesBrowsers'> & Partial<Pick<FlowQuery, 'extensionHost'>>,
): FlowUnavailableReason | undefined {
  const inBrowser = query.extensionHost === 'webWorker';
  if (inBrowser && !flow.supportsWebWorkerExtensionHost) return 'noSocketsInWebWorker';
  if (!flow.needsDeviceAuthorizationEndpoint) return undefined;
  if (!query.deviceAuthorizationEndpoint) return 'noDeviceAuthorizationEndpoint';
  return inBrowser && query.deviceEndpointServesBrowsers === false ? 'deviceEndpointRefusesBrowsers' : undefined;
}

/**
 * The flows to try, in order. The loopback listener needs the browser on the extension host's
 * machine; the URI handler needs an editor the identity provider can redirect to; the device
 * code needs nothing but a second screen, and an identity provider that has a device
 * authorization endpoint. A preferred flow goes first, wherever we run: the user knows their
 * setup (code-server on the same machine, for instance). What cannot work at all (see
 * {@link unavailableReason}) is never offered, preferred, asked for by name or not: it could only fail.
 */
export function getFlows<T extends FlowCapabilities>(all: readonly T[], query: FlowQuery): T[] {
  const possible = all.filter((flow) => unavailableReason(flow, query) === undefined);
  if (query.only) return possible.filter((flow) => flow.id === query.only);
  const supported = possible.filter((flow) => {
    if (query.extensionHost === 'remote') return flow.supportsRemoteExtensionHost;
    if (query.extensionHost === 'webWorker') return flow.supportsWebWorkerExtensionHost;
    return true;
  });
  const preferred = query.preferred ? possible.find((flow) => flow.id === query.preferred) : undefined;
  return preferred ? [preferred, ...supported.filter((flow) => flow !== preferred)] : supported;
}
