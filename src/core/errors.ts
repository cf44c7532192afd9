/**
 * Errors of the core library. Every error it throws is an {@link AuthError} with a stable `code`,
 * so callers can `switch (err.code)`. Errors returned by an authorization server are
 * {@link ServerError}s carrying the OAuth fields; their messages never contain tokens or codes.
 */

/** Every code an {@link AuthError} can carry. */
export type AuthErrorCode =
  /** The caller passed an option or argument the library cannot use. */
  | 'invalid_argument'
  /** The authority URL is malformed, not https, or not a known/allowed host. */
  | 'invalid_authority'
  /** Discovery of the authority's metadata failed or returned something unusable. */
  | 'discovery_failed'
  /** The HTTP request did not complete (network error, DNS, TLS, reset). */
  | 'network_error'
  /** The HTTP request did not complete in time. */
  | 'timeout'
  /** The operation was cancelled through an AbortSignal or exit condition. */
  | 'cancelled'
  /** A response was not what the protocol allows (status, content type, JSON shape, field types). */
  | 'invalid_response'
  /** A response body was larger than the library reads. */
  | 'response_too_large'
  /** The ID token failed validation (signature, iss, aud, azp, exp, iat, nonce). */
  | 'invalid_id_token'
  /** The `state` of an authorization response did not match the one sent. */
  | 'state_mismatch'
  /** The `iss` of an authorization response (RFC 9207) did not match the authority's issuer. */
  | 'issuer_mismatch'
  /** The authorization server answered with an OAuth error (see {@link ServerError}). */
  | 'server_error'
  /** Requests are throttled after a 429/5xx (its Retry-After, else five seconds); retry after `retryAfter`. */
  | 'throttled'
  /** The token cache could not be read (corrupt JSON, wrong shape). */
  | 'invalid_cache'
  /** The operation is not supported by this authority or configuration. */
  | 'not_supported'
  /**
   * Protected resource metadata (RFC 9728) names a `resource` other than the URL the request went
   * to: a resource could otherwise send the client, and its tokens, to any issuer it likes.
   */
  | 'resource_mismatch'
  /** A server answered `use_dpop_nonce` (RFC 9449) again after a retry with the nonce it had just given. */
  | 'dpop_nonce_loop';

/** Base class of every error this library throws. */
export class AuthError extends Error {
  override readonly name: string = 'AuthError';
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The OAuth error fields of a server response, as MSAL reports them. */
export interface ServerErrorFields {
  error: string;
  errorDescription?: string;
  errorCodes?: number[];
  suberror?: string;
  claims?: string;
  correlationId?: string;
  traceId?: string;
  timestamp?: string;
  /** HTTP status of the response. */
  status?: number;
  /** The `grant_type` of the token request the server refused, when it was one. */
  grantType?: string;
  /** Entra's `error_additional_info` (`client_mismatch`: the app is not in the refresh token's family). */
  errorAdditionalInfo?: string[];
  /**
   * When a 429 or 5xx answer throttles this request, the epoch milliseconds when it may be sent
   * again (its Retry-After, else MSAL's default of five seconds): until then it fails with a
   * {@link ThrottledError} without reaching the server.
   */
  retryAfter?: number;
}

/** The fields a {@link ServerError} copies from its {@link ServerErrorFields}: every one, the compiler holds the list to it. */
const SERVER_ERROR_FIELDS: Readonly<Record<keyof ServerErrorFields, true>> = {
  error: true, errorDescription: true, errorCodes: true, suberror: true, claims: true, correlationId: true, traceId: true,
  timestamp: true, status: true, grantType: true, errorAdditionalInfo: true, retryAfter: true,
};

/** An OAuth 2.0 / OpenID Connect error returned by the authorization server. */
export class ServerError extends AuthError {
  override readonly name: string = 'ServerError';
  declare readonly error: string;
  declare readonly errorDescription?: string;
  declare readonly errorCodes?: number[];
  declare readonly suberror?: string;
  declare readonly claims?: string;
  declare readonly correlationId?: string;
  declare readonly traceId?: string;
  declare readonly timestamp?: string;
  declare readonly status?: number;
  declare readonly grantType?: string;
  declare readonly errorAdditionalInfo?: string[];
  declare readonly retryAfter?: number;

  constructor(fields: ServerErrorFields) {
    super('server_error', fields.errorDescription ? `${fields.error}: ${fields.errorDescription}` : fields.error);
    // Every field becomes an own property, the absent ones undefined, as declared fields would.
    for (const name in SERVER_ERROR_FIELDS) (this as Record<string, unknown>)[name] = fields[name as keyof ServerErrorFields];
  }
}

/**
 * Thrown while requests to an endpoint are throttled (after an HTTP 429 or 5xx), and for the
 * throttling answer itself when its body is no OAuth error (Entra's 429 is plain text): then
 * `status` is that answer's. A 429 or 5xx with an OAuth error body is a {@link ServerError}
 * carrying `retryAfter` instead, so its OAuth fields are not lost.
 */
export class ThrottledError extends AuthError {
  override readonly name: string = 'ThrottledError';
  /** When requests may be sent again, in epoch milliseconds. */
  readonly retryAfter: number;
  /** The HTTP status of the throttling answer, when this error is that answer (not a later call). */
  readonly status?: number;
  constructor(retryAfter: number, message: string, options?: { status?: number; cause?: unknown }) {
    super('throttled', message, options);
    this.retryAfter = retryAfter;
    this.status = options?.status;
  }
}

/** OAuth errors that mean only a user interaction can help (MSAL's list). */
const INTERACTION_REQUIRED_ERRORS = new Set([
  'interaction_required',
  'login_required',
  'consent_required',
  'invalid_grant',
  'bad_token',
  'no_tokens_found',
  'native_account_unavailable',
  'refresh_token_expired',
  'ux_not_allowed',
  'interrupted_user',
]);

/** Entra sub-errors that mean a silent retry is pointless and the user must act. */
const INTERACTION_REQUIRED_SUBERRORS = new Set(['message_only', 'additional_action', 'basic_action', 'user_password_expired', 'consent_required', 'bad_token']);

/** A refused refresh: a 4xx answer to the refresh-token grant (429 is throttling, not a refusal). */
function isRefusedRefresh(err: ServerError): boolean {
  return err.grantType === 'refresh_token' && err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 429;
}

/**
 * True when `err` is a server error that only a user interaction can resolve (for example an
 * expired or revoked refresh token, or a claims challenge). A refresh the server refused with a
 * 4xx OAuth error counts whatever its code: servers do not all say `invalid_grant` for a dead
 * refresh token (LemonLDAP::NG says `invalid_request`), and no silent retry would fare better.
 */
export function isInteractionRequired(err: unknown): boolean {
  if (!(err instanceof ServerError)) return false;
  if (isRefusedRefresh(err)) return true;
  if (INTERACTION_REQUIRED_ERRORS.has(err.error)) return true;
  if (err.suberror && INTERACTION_REQUIRED_SUBERRORS.has(err.suberror)) return true;
  return err.claims !== undefined && err.claims !== '';
}

/** The RFC 9449 errors of a token request whose DPoP proof is missing, wrong or needs a nonce. */
const DPOP_PROOF_ERRORS: ReadonlySet<string> = new Set(['invalid_dpop_proof', 'use_dpop_nonce']);

/**
 * True when a refusal says the request's DPoP proof, or its key, is what did not match: an error
 * of the proof (RFC 9449 §5), or an `invalid_grant` whose description names DPoP or the key's
 * thumbprint (`jkt`), as servers that tell say it. The refresh token is not dead then: sent with a
 * proof of its key, it still works. (oidc-provider says only "grant request is invalid" to the
 * client; its "failed jkt verification" stays in its log. Against it, only not sending a bound
 * token without its proof helps, see `refreshTokenUsableWith`.)
 */
export function isDpopBindingRefusal(err: ServerError): boolean {
  if (DPOP_PROOF_ERRORS.has(err.error)) return true;
  return err.error === 'invalid_grant' && /\b(dpop|jkt)\b/i.test(err.errorDescription ?? '');
}

/**
 * Entra error codes that mean the refresh token itself is dead: revoked or expired (70000,
 * 70008), expired by inactivity (700082), a single-page app's expired (700084), invalidated by a
 * password change or a revocation (50173).
 */
const DEAD_REFRESH_TOKEN_CODES: ReadonlySet<number> = new Set([70000, 70008, 700082, 700084, 50173]);

/**
 * True when a refused refresh says the refresh token will never work again, so it should leave
 * the cache (sending it on every silent call would only fail again, and ask the server to notice).
 * Not when the refusal concerns the request rather than the token: a claims challenge, a scope,
 * or an Entra answer whose codes say the user must act (MFA, consent) — that refresh token still
 * serves other scopes and tenants, which is why MSAL keeps it.
 */
export function isRefreshTokenDead(err: unknown): boolean {
  if (!(err instanceof ServerError) || !isRefusedRefresh(err)) return false;
  if (isDpopBindingRefusal(err)) return false;
  if (err.suberror === 'bad_token') return true;
  if (err.errorCodes?.some((code) => DEAD_REFRESH_TOKEN_CODES.has(code))) return true;
  if (err.claims || err.suberror || (err.errorCodes !== undefined && err.errorCodes.length > 0)) return false;
  return err.error === 'invalid_grant' || err.error === 'invalid_request';
}
