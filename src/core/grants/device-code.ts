/**
 * The device authorization grant (RFC 8628): ask for a user code, then poll the token endpoint
 * at the server's pace — `interval` (5 s when the server names none), `slow_down` adds 5 s,
 * `expires_in` ends it — until the user finishes, declines, or the caller stops it.
 */
import { AuthError, ServerError } from '../errors.js';

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
  const owned = Object.keys(extraParameters).filter((name) => LIBRARY_DEVICE_AUTHORIZATION_PARAMETERS.includes(name.toLowerCase()));
  if (owned.length > 0) throw new AuthError('invalid_argument', `extraParameters may not set ${owned.join(', ')}: the library sets it`);
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

/** Checks a device authorization response and turns it into a {@link DeviceFlow}. */
export function parseDeviceAuthorizationResponse(body: Record<string, unknown>, scope: string[], claimsChallenge?: string): DeviceFlow {
  const text = (name: string) => (typeof body[name] === 'string' && (body[name] as string).length > 0 ? (body[name] as string) : undefined);
  const userCode = text('user_code');
  const deviceCode = text('device_code');
  // Older Entra endpoints say verification_url.
  const verificationUri = text('verification_uri') ?? text('verification_url');
  const expiresIn = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in;
  if (!userCode) throw new AuthError('invalid_response', 'the device authorization response has no user_code');
  if (!deviceCode) throw new AuthError('invalid_response', 'the device authorization response has no device_code');
  if (!verificationUri) throw new AuthError('invalid_response', 'the device authorization response has no verification_uri');
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new AuthError('invalid_response', 'the device authorization response has no valid expires_in');
  }
  const rawInterval = typeof body.interval === 'string' ? Number(body.interval) : body.interval;
  const serverInterval = typeof rawInterval === 'number' && Number.isFinite(rawInterval) && rawInterval > 0 ? rawInterval : DEFAULT_POLL_INTERVAL_S;
  // At least a second: a tiny interval from a broken or hostile server must not become a busy loop.
  const interval = Math.max(serverInterval, MIN_POLL_INTERVAL_S);
  return {
    userCode,
    deviceCode,
    verificationUri,
    verificationUriComplete: text('verification_uri_complete'),
    expiresIn,
    expiresAt: Math.floor(Date.now() / 1000) + expiresIn,
    interval,
    message: text('message') ?? `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
    scope,
    claimsChallenge,
  };
}

/** Waits `ms`, or rejects with `cancelled` as soon as `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AuthError('cancelled', 'cancelled'));
    // Clamped: a longer delay (an expires_in of months) would overflow and fire after 1 ms.
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(ms, MAX_TIMER_MS));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AuthError('cancelled', 'cancelled'));
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
