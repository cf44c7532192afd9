/**
 * MSAL's {@link PublicClientApplication}: an app on the user's device, which keeps no secret. It
 * adds to {@link ClientApplication} the sign-ins that need the user: the system browser with a
 * loopback redirect (RFC 8252) and the device-code flow (RFC 8628).
 */
import type { AuthenticationResult } from './account.js';
import { type AuthCodeFlowOptions, brokerSwitchesOn, ClientApplication, type ClientApplicationOptions } from './client-application.js';
import { None } from './client-auth.js';
import { randomToken, randomUuid } from './crypto.js';
import { AuthError } from './errors.js';
import { authorizationCodeForm } from './grants/authorization-code.js';
import { type DeviceFlow, deviceAuthorizationRequest, processDeviceAuthorizationResponse, redeemDeviceCode } from './grants/device-code.js';
import { checkOptionNames, type DeviceFlowInitiateOptions, OPTION_NAMES, refuseAuthScheme } from './options.js';
import { validateScopes } from './scopes.js';

/** Options of {@link PublicClientApplication.acquireTokenInteractive}. */
export interface InteractiveOptions extends Omit<AuthCodeFlowOptions, 'redirectUri' | 'state' | 'responseMode'> {
  /** Loopback port; 0 (default) picks a free one. Register `http://127.0.0.1` (any port) at the IdP. */
  port?: number;
  /** Path of the loopback redirect URI. Default `/`. */
  path?: string;
  /**
   * Host the loopback redirect URI names: `127.0.0.1` (default) or `localhost` (both listened
   * for on 127.0.0.1), or `[::1]` (listened for on ::1). For identity providers that compare the
   * registered redirect URI exactly.
   */
  host?: '127.0.0.1' | 'localhost' | '[::1]';
  /** Milliseconds to wait for the user; default: no limit beyond `signal`. */
  timeout?: number;
  signal?: AbortSignal;
  /** Opens the authorization URL; default: the platform's browser. */
  openBrowser?: (url: string) => Promise<void> | void;
  /** HTML shown in the browser after success / after an error. */
  successTemplate?: string;
  errorTemplate?: string;
  /**
   * The window a broker would parent its dialog to (MSAL's `parent_window_handle`, or
   * `PublicClientApplication.CONSOLE_WINDOW_HANDLE`). There is no broker here: the browser is used.
   */
  parentWindowHandle?: unknown;
  /** Called just before the browser opens, with `{ ui: 'browser' }` (MSAL's `on_before_launching_ui`). */
  onBeforeLaunchingUi?: (event: { ui: 'browser' }) => void;
  /** Refused with `not_supported`: proof-of-possession needs a broker. */
  authScheme?: unknown;
  /** Extra token-request body parameters (MSAL's `data`). */
  data?: Record<string, string>;
}

/** Options of device-flow polling. */
export interface DeviceFlowOptions {
  signal?: AbortSignal;
  /** Checked before each poll; returning true stops the flow (MSAL's `exit_condition`). */
  exitCondition?: (flow: DeviceFlow) => boolean;
  /** Replaces the flow's claims challenge for the token request (MSAL's `claims_challenge`). */
  claimsChallenge?: string;
  /** Extra token-request body parameters (MSAL's `data`). */
  data?: Record<string, string>;
}

/** An app that runs on the user's device and cannot keep a secret. */
export class PublicClientApplication extends ClientApplication {
  /** MSAL's `CONSOLE_WINDOW_HANDLE`, for `parentWindowHandle` in a console app. */
  static readonly CONSOLE_WINDOW_HANDLE: unique symbol = Symbol('CONSOLE_WINDOW_HANDLE');
  /** The field of a device flow holding its correlation id (MSAL's `DEVICE_FLOW_CORRELATION_ID`). */
  static readonly DEVICE_FLOW_CORRELATION_ID = 'correlationId';

  constructor(options: ClientApplicationOptions) {
    if (options?.clientCredential !== undefined) {
      throw new AuthError('invalid_argument', 'a public client application takes no clientCredential; use ConfidentialClientApplication');
    }
    super(options, None());
    const brokers = brokerSwitchesOn(options);
    if (brokers.length > 0) {
      this.log.info(`${brokers.join(', ')}: no broker is available in this library, so sign-in uses the browser and device flows`);
    }
  }

  /**
   * Signs the user in through the system browser and a loopback redirect on 127.0.0.1
   * (RFC 8252): opens the authorization URL, waits for the redirect, redeems the code.
   */
  async acquireTokenInteractive(scopes: string[], options: InteractiveOptions = {}): Promise<AuthenticationResult> {
    checkOptionNames(options, OPTION_NAMES.interactive, 'acquireTokenInteractive');
    refuseAuthScheme(options.authScheme, 'acquireTokenInteractive');
    authorizationCodeForm('', scopes, { data: options.data, caller: 'acquireTokenInteractive' }); // refused before the browser opens
    validateScopes(scopes);
    if (options.parentWindowHandle !== undefined) this.log.verbose('parentWindowHandle is for a broker; without one the browser is used');
    const startListener = this.platform.startRedirectListener;
    const openBrowser = options.openBrowser ?? this.platform.openBrowser;
    if (!startListener) throw new AuthError('not_supported', 'interactive sign-in needs a loopback listener: use the node entry point or pass a platform');
    if (!openBrowser) throw new AuthError('not_supported', 'interactive sign-in needs openBrowser');
    const state = randomToken(16);
    const listener = await startListener({
      port: options.port ?? 0,
      path: options.path,
      host: options.host,
      expectedState: state,
      successPage: options.successTemplate,
      errorPage: options.errorTemplate,
      timeoutMs: options.timeout,
      signal: options.signal,
    });
    try {
      const { prompt, loginHint, domainHint, claimsChallenge, maxAge, extraQueryParameters, extraScopesToConsent } = options;
      const flow = await this.initiateAuthCodeFlow(scopes, {
        prompt, loginHint, domainHint, claimsChallenge, maxAge, extraQueryParameters, extraScopesToConsent, redirectUri: listener.redirectUri, state,
      });
      options.onBeforeLaunchingUi?.({ ui: 'browser' });
      this.log.info('opening the browser for sign-in');
      await openBrowser(flow.authUri);
      const response = await listener.waitForResponse();
      return await this.acquireTokenByAuthCodeFlow(flow, response, { data: options.data });
    } finally {
      await listener.close();
    }
  }

  /**
   * Whether the authority publishes a device authorization endpoint (RFC 8628), that is whether
   * {@link initiateDeviceFlow} can work. Resolves the authority (discovery) on first use.
   */
  async supportsDeviceFlow(): Promise<boolean> {
    return Boolean((await this.getAuthority()).metadata.device_authorization_endpoint);
  }

  /**
   * Starts a device-code flow: show `flow.message` to the user, then call {@link acquireTokenByDeviceFlow}.
   * `extraParameters` go into the device authorization request's form (Auth0's `audience`); they
   * may not name `client_id`, `scope` or `claims`.
   */
  async initiateDeviceFlow(scopes: string[] = [], options: DeviceFlowInitiateOptions = {}): Promise<DeviceFlow> {
    checkOptionNames(options, OPTION_NAMES.deviceFlowInitiate, 'initiateDeviceFlow');
    // MSAL's `initiate_device_flow(scopes=None)`: no scopes asks for the OpenID scopes alone.
    validateScopes(scopes);
    const authority = await this.getAuthority();
    const scope = this.decorate(scopes);
    const correlationId = randomUuid();
    const response = await deviceAuthorizationRequest(this.tokenClient, authority, scope, {
      correlationId,
      claims: this.claimsFor(options.claimsChallenge),
      extraParameters: options.extraParameters,
    });
    return processDeviceAuthorizationResponse(response, scope, { claimsChallenge: options.claimsChallenge, correlationId });
  }

  /** Polls until the user completes the device flow; stores and returns the tokens. */
  async acquireTokenByDeviceFlow(flow: DeviceFlow, options: DeviceFlowOptions = {}): Promise<AuthenticationResult> {
    checkOptionNames(options, OPTION_NAMES.deviceFlow, 'acquireTokenByDeviceFlow');
    if (typeof flow?.deviceCode !== 'string') throw new AuthError('invalid_argument', 'the flow is not one that initiateDeviceFlow returned');
    const authority = await this.getAuthority();
    const correlationId = typeof flow.correlationId === 'string' ? flow.correlationId : randomUuid();
    const dpop = await this.dpopBinding(authority);
    const result = await redeemDeviceCode(this.tokenClient, authority, flow, {
      dpop,
      correlationId,
      claims: this.claimsFor(options.claimsChallenge ?? flow.claimsChallenge),
      data: options.data,
      caller: 'acquireTokenByDeviceFlow',
      signal: options.signal,
      exitCondition: options.exitCondition,
    });
    const profile = await this.accountProfileOf(authority, result);
    return this.storeResult(authority, result, { scopes: flow.scope, correlationId, profile, data: options.data }, dpop);
  }
}

