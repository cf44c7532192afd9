/**
 * The device authorization grant (RFC 8628): ask for a user code, then poll the token endpoint
 * at the server's pace — `interval` (5 s when the server names none), `slow_down` adds 5 s,
 * `expires_in` ends it — until the user finishes, declines, or the caller stops it.
 */
import type { Authority } from '../authority.js';
import { AuthError, ServerError } from '../errors.js';
import type { HttpResponse } from '../http.js';
import { nonEmptyString } from '../json.js';
import { mergeRequestData, refuseOwnedParameters } from '../options.js';
import type { SentTokenRequest, TokenClient, TokenGrantOptions, TokenGrantResult } from '../token-client.js';
import { readOAuthJson } from '../token-response.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 8628 §3.5: the interval to use when the server names none. */
export const DEFAULT_POLL_INTERVAL_S = 5;

/** The shortest interval between two polls, whatever the server says. */
export const MIN_POLL_INTERVAL_S = 1;

/** The longest delay a timer can hold (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Parameters of the device authorization request the library sets itself; extras may not replace them. */
export const LIBRARY_DEVICE_AUTHORIZATION_PARAMETERS: readonly string[] = ['client_id', 'scope', 'claims'];

/**
 * The form of the device authorization request (RFC 8628 §3.1): client, scope, claims, then the
 * caller's extra parameters (Auth0 reads `audience` here). An extra that names one the library
 * sets is refused with `invalid_argument` rather than sent twice or in its place.
 */
export function deviceAuthorizationParams(
  clientId: string,
  scope: string[],
  claims: string | undefined,
  extraParameters: Record<string, string> = {},
): Record<string, string | undefined> {
  refuseOwnedParameters(extraParameters, LIBRARY_DEVICE_AUTHORIZATION_PARAMETERS, 'extraParameters');
  return { ...extraParameters, client_id: clientId, scope: scope.join(' '), claims };
}

/** A started device flow, as MSAL's `initiate_device_flow` returns it (camelCase). */
export interface DeviceFlow {
  userCode: string;
  /** Secret: never show or log it. */
  deviceCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresIn: number;
  /** Epoch seconds after which polling stops. */
  expiresAt: number;
  /** Seconds between polls. */
  interval: number;
  /** A sentence to show the user: where to go and which code to enter. */
  message: string;
  scope: string[];
  claimsChallenge?: string;
  /** The correlation id of the flow's requests, the polls included (MSAL's `_correlation_id`). */
  correlationId?: string;
}

/** A number (or numeric string, as some servers send them) above zero, else undefined. */
function positiveNumber(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number > 0 ? number : undefined;
}

/** Checks a device authorization response and turns it into a {@link DeviceFlow}. */
export function parseDeviceAuthorizationResponse(body: Record<string, unknown>, scope: string[], claimsChallenge?: string): DeviceFlow {
  const missing = (name: string): never => {
    throw new AuthError('invalid_response', `the device authorization response has no ${name}`);
  };
  const userCode = nonEmptyString(body.user_code) ?? missing('user_code');
  const deviceCode = nonEmptyString(body.device_code) ?? missing('device_code');
  // Older Entra endpoints say verification_url.
  const verificationUri = nonEmptyString(body.verification_uri) ?? nonEmptyString(body.verification_url) ?? missing('verification_uri');
  const expiresIn = positiveNumber(body.expires_in) ?? missing('valid expires_in');
  const serverInterval = positiveNumber(body.interval) ?? DEFAULT_POLL_INTERVAL_S;
  // At least a second: a tiny interval from a broken or hostile server must not become a busy loop.
  const interval = Math.max(serverInterval, MIN_POLL_INTERVAL_S);
  return {
    userCode,
    deviceCode,
    verificationUri,
    verificationUriComplete: nonEmptyString(body.verification_uri_complete),
    expiresIn,
    expiresAt: Math.floor(Date.now() / 1000) + expiresIn,
    interval,
    message: nonEmptyString(body.message) ?? `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
    scope,
    claimsChallenge,
  };
}

/** Waits `ms`, or rejects with `cancelled` as soon as `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () => reject(new AuthError('cancelled', 'cancelled'));
    if (signal?.aborted) return cancelled();
    // Clamped: a longer delay (an expires_in of months) would overflow and fire after 1 ms.
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(ms, MAX_TIMER_MS));
    const onAbort = () => {
      clearTimeout(timer);
      cancelled();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** How to stop polling early: an AbortSignal, or MSAL's exit condition checked before each poll. */
export interface PollOptions {
  signal?: AbortSignal;
  exitCondition?: (flow: DeviceFlow) => boolean;
}

/**
 * Polls with `poll` until it returns a result. `poll` throws ServerError for OAuth errors;
 * `authorization_pending` and `slow_down` keep the loop going, anything else ends it.
 */
export async function pollDeviceFlow<T>(flow: DeviceFlow, poll: () => Promise<T>, options: PollOptions = {}): Promise<T> {
  let interval = flow.interval;
  for (;;) {
    const remainingMs = flow.expiresAt * 1000 - Date.now();
    if (remainingMs <= 0) throw new ServerError({ error: 'expired_token', errorDescription: 'the device code expired before the user signed in' });
    await delay(Math.min(interval * 1000, remainingMs), options.signal);
    if (options.exitCondition?.(flow)) throw new AuthError('cancelled', 'the device flow was stopped by its exit condition');
    try {
      return await poll();
    } catch (err) {
      if (!(err instanceof ServerError)) throw err;
      if (err.error === 'authorization_pending') continue;
      if (err.error === 'slow_down') {
        interval += 5;
        continue;
      }
      throw err;
    }
  }
}

/** Options of the device authorization request. */
export interface DeviceAuthorizationOptions {
  correlationId: string;
  /** The `claims` parameter (client capabilities merged with a claims challenge). */
  claims?: string;
  /** Extra form fields (Auth0's `audience`); see {@link deviceAuthorizationParams}. */
  extraParameters?: Record<string, string>;
}

/**
 * Asks the authority's device authorization endpoint for a user code; the answer is returned
 * unread (see {@link processDeviceAuthorizationResponse}). An authority that publishes no such
 * endpoint is refused with `not_supported` before anything is sent.
 */
export async function deviceAuthorizationRequest(client: TokenClient, authority: Authority, scope: string[], options: DeviceAuthorizationOptions): Promise<HttpResponse> {
  const endpoint = authority.metadata.device_authorization_endpoint;
  if (!endpoint) throw new AuthError('not_supported', 'this authority publishes no device_authorization_endpoint');
  const form = deviceAuthorizationParams(client.clientId, scope, options.claims, options.extraParameters);
  return client.postForm(endpoint, form, { correlationId: options.correlationId });
}

/** Checks the device authorization answer (OAuth error, then the fields) and starts the flow. */
export async function processDeviceAuthorizationResponse(
  response: HttpResponse,
  scope: string[],
  options: { claimsChallenge?: string; correlationId?: string } = {},
): Promise<DeviceFlow> {
  const body = await readOAuthJson(response, 'device authorization response');
  return { ...parseDeviceAuthorizationResponse(body, scope, options.claimsChallenge), correlationId: options.correlationId };
}

/** The form of one poll; `data` naming a field the library sets is refused. */
export function deviceCodeForm(flow: DeviceFlow, options: Pick<TokenGrantOptions, 'claims' | 'data' | 'caller'>): Record<string, string | undefined> {
  return mergeRequestData(
    { grant_type: DEVICE_CODE_GRANT, device_code: flow.deviceCode, claims: options.claims, client_info: '1' },
    options.data,
    options.caller ?? 'the device code request',
  );
}

/** One poll of the token endpoint for the flow's device code; the answer is returned unread. */
export async function deviceCodeGrantRequest(client: TokenClient, authority: Authority, flow: DeviceFlow, options: TokenGrantOptions): Promise<SentTokenRequest> {
  return client.sendTokenRequest(authority, deviceCodeForm(flow, options), options);
}

/**
 * Checks the answer to one poll. `authorization_pending` and `slow_down` come back as ServerErrors
 * of the device-code grant, which {@link pollDeviceFlow} reads as "poll again".
 */
export function processDeviceCodeResponse(client: TokenClient, authority: Authority, sent: SentTokenRequest): Promise<TokenGrantResult> {
  return client.processTokenResponse(authority, sent);
}

/**
 * Polls the token endpoint at the server's pace until the user finishes the flow (see
 * {@link pollDeviceFlow}). The form is checked before the first wait: a mistake in `data` fails
 * at once, not an interval later.
 */
export async function redeemDeviceCode(
  client: TokenClient,
  authority: Authority,
  flow: DeviceFlow,
  options: TokenGrantOptions & PollOptions,
): Promise<TokenGrantResult> {
  deviceCodeForm(flow, options);
  return pollDeviceFlow(flow, async () => processDeviceCodeResponse(client, authority, await deviceCodeGrantRequest(client, authority, flow, options)), options);
}
