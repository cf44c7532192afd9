/**
 * Checks of token endpoint answers, in a fixed order: HTTP status and OAuth error body, JSON
 * object, each field's type, then the ID token (signature from the JWKS, iss, aud, exp, nbf, iat,
 * sub, azp, nonce, auth_time). Every check throws a typed error naming what failed and never the
 * token itself.
 *
 * jose verifies the signature (compactVerify against the JWKS); the claims are checked here, all
 * of them, as MSAL for Python checks ID token claims itself: jose's JWT claims validation would
 * repeat the registered-claim checks below in a general form (durations, typ, maxTokenAge) that
 * ID tokens do not need.
 */
import type { CompactVerifyResult, JWTPayload } from 'jose';
import * as joseErrors from 'jose/errors';
import type { compactVerify } from 'jose/jws/compact/verify';
import type { createLocalJWKSet } from 'jose/jwks/local';
import { decodeJwt } from 'jose/jwt/decode';
import type { Authority } from './authority.js';
import { getCachedJson } from './authority.js';
import { AuthError, ServerError, ThrottledError } from './errors.js';
import { type HttpCache, type HttpPipeline, type HttpResponse, readJsonObject } from './http.js';
import { isJsonObject } from './json.js';

/** A token endpoint response that passed its checks. Field names are the wire's. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  ext_expires_in?: number;
  refresh_in?: number;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  client_info?: string;
  foci?: string;
  [name: string]: unknown;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AuthError('invalid_response', `the token response's ${name} is not a string`);
  return value;
}

/**
 * The longest lifetime a seconds field may name: a century. Beyond it the expiry is nonsense, and
 * far enough beyond it no longer fits a Date (`expiresOn` would be an Invalid Date).
 */
export const MAX_LIFETIME_S = 100 * 365 * 24 * 60 * 60;

/** Seconds fields arrive as numbers, or as numeric strings from ADFS and older Entra endpoints. */
function optionalSeconds(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_LIFETIME_S) {
    throw new AuthError('invalid_response', `the token response's ${name} is not a number of seconds`);
  }
  return seconds;
}

/** Builds a {@link ServerError} from an OAuth error body. */
export function serverErrorFrom(body: Record<string, unknown>, status: number, retryAfter?: number): ServerError {
  const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
  const codes = Array.isArray(body.error_codes) ? body.error_codes.filter((code): code is number => typeof code === 'number') : undefined;
  return new ServerError({
    error: text('error') ?? 'server_error',
    errorDescription: text('error_description'),
    errorCodes: codes,
    suberror: text('suberror'),
    claims: text('claims'),
    correlationId: text('correlation_id'),
    traceId: text('trace_id'),
    timestamp: text('timestamp'),
    status,
    errorAdditionalInfo: Array.isArray(body.error_additional_info) ? body.error_additional_info.filter((info): info is string => typeof info === 'string') : undefined,
    retryAfter,
  });
}

/**
 * Reads an OAuth JSON response: an `error` body (any status) becomes a {@link ServerError};
 * a non-2xx status without one an `invalid_response`; otherwise the JSON object. `retryAfter`
 * says that this answer throttles its request (see HttpPipeline): the ServerError carries it,
 * and an answer without an OAuth error body (Entra's plain-text 429) is a {@link ThrottledError}
 * with its status, the same type the calls made during the wait get.
 */
export async function readOAuthJson(response: HttpResponse, what: string, retryAfter?: number): Promise<Record<string, unknown>> {
  const withoutOAuthBody = (cause?: unknown) =>
    retryAfter !== undefined
      ? new ThrottledError(retryAfter, `${what}: HTTP ${response.status}; the server asked to wait ${Math.ceil((retryAfter - Date.now()) / 1000)} s`, { status: response.status, cause })
      : new AuthError('invalid_response', `${what}: HTTP ${response.status} without an OAuth error body`, { cause });
  let body: Record<string, unknown>;
  try {
    body = await readJsonObject(response, what);
  } catch (err) {
    if (err instanceof AuthError && err.code === 'invalid_response' && (response.status < 200 || response.status > 299)) throw withoutOAuthBody(err);
    throw err;
  }
  if (typeof body.error === 'string') throw serverErrorFrom(body, response.status, retryAfter);
  if (response.status < 200 || response.status > 299) throw withoutOAuthBody();
  return body;
}

/** Checks the fields of a successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3). */
export function checkTokenResponse(body: Record<string, unknown>): TokenResponse {
  const accessToken = body.access_token;
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw new AuthError('invalid_response', 'the token response has no access_token');
  }
  const tokenType = optionalString(body, 'token_type') ?? 'Bearer';
  const expiresIn = optionalSeconds(body, 'expires_in');
  return {
    ...body,
    access_token: accessToken,
    token_type: tokenType,
    // RFC 6749 makes expires_in optional; MSAL for Python then files the token for 600 s
    // (token_cache.add), short enough that a token living less than an hour is not served stale.
    expires_in: expiresIn ?? DEFAULT_EXPIRES_IN_S,
    ext_expires_in: optionalSeconds(body, 'ext_expires_in'),
    refresh_in: optionalSeconds(body, 'refresh_in'),
    refresh_token: optionalString(body, 'refresh_token'),
    id_token: optionalString(body, 'id_token'),
    scope: optionalString(body, 'scope'),
    client_info: optionalString(body, 'client_info'),
    foci: optionalString(body, 'foci'),
  };
}

/** The lifetime assumed for a token response without `expires_in` (MSAL for Python's). */
export const DEFAULT_EXPIRES_IN_S = 600;

/** Asymmetric algorithms only: `none` and HMAC (keyed with a public key) are never accepted. */
const ID_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** The least time between two JWKS refetches triggered by an unknown key (jose's remote sets wait 30 s). */
export const JWKS_REFETCH_COOLDOWN_MS = 30_000;

/** How far the identity provider's clock may be from ours. */
export const DEFAULT_CLOCK_SKEW_S = 300;

/** What an ID token is checked against. */
export interface IdTokenExpectations {
  clientId: string;
  /** The nonce sent in the authorization request, when there was one. */
  nonce?: string;
  /** `max_age` sent in the authorization request: `auth_time` must then be recent enough. */
  maxAge?: number;
  clockSkewSeconds?: number;
}

let verification: Promise<{ compactVerify: typeof compactVerify; createLocalJWKSet: typeof createLocalJWKSet }> | undefined;

/**
 * jose's signature verification, loaded with the first ID token to verify: an app that only
 * serves cached tokens never loads it, and the core loads faster (bench/, figure 6). Every check
 * stays; only the moment the code is loaded moves.
 */
function loadVerification() {
  verification ??= Promise.all([import('jose/jws/compact/verify'), import('jose/jwks/local')]).then(([verify, local]) => ({
    compactVerify: verify.compactVerify,
    createLocalJWKSet: local.createLocalJWKSet,
  }));
  return verification;
}

/** Verifies ID token signatures with the authority's JWKS, kept in the http cache. */
export class IdTokenValidator {
  /** When each JWKS was last fetched again for an unknown key: a forged `kid` cannot make us hammer the IdP. */
  readonly #lastRefetch = new Map<string, number>();

  constructor(
    private readonly pipeline: HttpPipeline,
    private readonly cache: HttpCache,
  ) {}

  /**
   * Key sets by the JWKS document they were made from: jose imports each key once per set, so
   * reusing the set while the cached document stays the same saves a key import per ID token.
   */
  readonly #keySets = new WeakMap<object, ReturnType<typeof createLocalJWKSet>>();

  async #keySet(jwksUri: string, refresh: boolean) {
    const { createLocalJWKSet } = await loadVerification();
    const toKeySet = (jwks: Record<string, unknown>) => {
      const known = this.#keySets.get(jwks);
      if (known) return known;
      try {
        const keySet = createLocalJWKSet(jwks as unknown as Parameters<typeof createLocalJWKSet>[0]);
        this.#keySets.set(jwks, keySet);
        return keySet;
      } catch (err) {
        throw new AuthError('discovery_failed', 'the JWKS document is not a valid key set', { cause: err });
      }
    };
    // Checked before caching too: a document that is no key set must not fail every ID token
    // from the http cache until it expires (no refetch happens for it, unlike an unknown key).
    return toKeySet(await getCachedJson(this.pipeline, this.cache, jwksUri, 'JWKS', { refresh, validate: toKeySet }));
  }

  /** Verifies `idToken` and returns its claims. */
  async validate(idToken: string, authority: Authority, expect: IdTokenExpectations): Promise<JWTPayload> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(idToken);
    } catch (err) {
      throw new AuthError('invalid_id_token', 'the ID token is not a JWT', { cause: err });
    }
    const issuer = authority.expectedIssuer(unverified);
    const jwksUri = authority.metadata.jwks_uri;
    if (!jwksUri) throw new AuthError('invalid_id_token', 'the authority publishes no jwks_uri to verify ID tokens with');
    let verified: CompactVerifyResult;
    try {
      verified = await verifyWithKeySet(idToken, await this.#keySet(jwksUri, false));
    } catch (err) {
      const last = this.#lastRefetch.get(jwksUri) ?? 0;
      if (err instanceof joseErrors.JWKSNoMatchingKey && Date.now() - last >= JWKS_REFETCH_COOLDOWN_MS) {
        // The provider may have rotated its keys since the JWKS was cached: fetch it once more.
        this.#lastRefetch.set(jwksUri, Date.now());
        verified = await verifyWithKeySet(idToken, await this.#keySet(jwksUri, true)).catch((retryErr: unknown) => {
          throw toIdTokenError(retryErr);
        });
      } else {
        throw toIdTokenError(err);
      }
    }
    const payload = claimsSetOf(verified);
    checkRegisteredClaims(payload, issuer, expect);
    checkIdTokenClaims(payload, expect);
    return payload;
  }
}

/**
 * The signature of `idToken`, checked against a local key set with one of the
 * {@link ID_TOKEN_ALGORITHMS}. A token without `kid` matches every key of its type, and jose then
 * throws JWKSMultipleMatchingKeys carrying the candidates: each one is tried in turn.
 */
async function verifyWithKeySet(idToken: string, keySet: ReturnType<typeof createLocalJWKSet>): Promise<CompactVerifyResult> {
  const { compactVerify } = await loadVerification();
  const options = { algorithms: ID_TOKEN_ALGORITHMS };
  try {
    return await compactVerify(idToken, keySet, options);
  } catch (err) {
    if (!(err instanceof joseErrors.JWKSMultipleMatchingKeys)) throw err;
    for await (const key of err) {
      try {
        return await compactVerify(idToken, key, options);
      } catch (keyErr) {
        if (!(keyErr instanceof joseErrors.JWSSignatureVerificationFailed)) throw keyErr;
      }
    }
    throw new joseErrors.JWSSignatureVerificationFailed();
  }
}

function toIdTokenError(err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  if (err instanceof joseErrors.JOSEError) return new AuthError('invalid_id_token', `ID token rejected: ${err.code}: ${err.message}`, { cause: err });
  return new AuthError('invalid_id_token', 'ID token rejected', { cause: err });
}

/** The claims of a verified ID token: a JSON object in a base64url-encoded payload (RFC 7519 §7.2). */
function claimsSetOf({ payload, protectedHeader }: CompactVerifyResult): JWTPayload {
  // RFC 7797's unencoded payload (`b64: false`) is a JWS option that JWTs never use.
  if (protectedHeader.b64 === false) throw new AuthError('invalid_id_token', 'the ID token has an unencoded payload (b64), which JWTs never have');
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (cause) {
    throw new AuthError('invalid_id_token', 'the ID token payload is not JSON', { cause });
  }
  if (!isJsonObject(claims)) throw new AuthError('invalid_id_token', 'the ID token payload is not a JSON object');
  return claims;
}

/**
 * The registered claims of an ID token (OIDC Core §3.1.3.7 steps 2, 3 and 9; RFC 7519 §4.1): iss,
 * aud, iat, exp and sub present; iss the issuer expected; aud holding the client id; iat, nbf and
 * exp numbers where present, nbf and exp within the clock skew. The same verdicts jose's JWT
 * claims validation gave (a property test compares them); {@link checkIdTokenClaims} checks the rest.
 */
export function checkRegisteredClaims(payload: JWTPayload, issuer: string, expect: IdTokenExpectations): void {
  for (const name of ['iss', 'aud', 'iat', 'exp', 'sub']) {
    if (!Object.hasOwn(payload, name)) throw new AuthError('invalid_id_token', `the ID token has no "${name}" claim`);
  }
  if (payload.iss !== issuer) throw new AuthError('invalid_id_token', 'the ID token\'s "iss" claim is not the expected issuer');
  const { aud } = payload;
  if (!(typeof aud === 'string' ? aud === expect.clientId : Array.isArray(aud) && aud.includes(expect.clientId))) {
    throw new AuthError('invalid_id_token', 'the ID token\'s "aud" claim does not name this client');
  }
  for (const name of ['iat', 'nbf', 'exp']) {
    if (payload[name] !== undefined && typeof payload[name] !== 'number') throw new AuthError('invalid_id_token', `the ID token's "${name}" claim is not a number`);
  }
  const skew = expect.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_S;
  const now = Math.floor(Date.now() / 1000);
  if (payload.nbf !== undefined && payload.nbf > now + skew) throw new AuthError('invalid_id_token', 'the ID token is not valid yet ("nbf" claim)');
  if (payload.exp! <= now - skew) throw new AuthError('invalid_id_token', 'the ID token has expired ("exp" claim)');
}

/** The claim checks beyond the registered ones: iat not in the future, sub a string, azp, nonce, auth_time. */
export function checkIdTokenClaims(payload: JWTPayload, expect: IdTokenExpectations): void {
  const skew = expect.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_S;
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat !== 'number' || payload.iat > now + skew) {
    throw new AuthError('invalid_id_token', 'the ID token was issued in the future');
  }
  // jose checks that `sub` is present, not its type; the cache keys accounts by it (OIDC Core §2: a string).
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
    throw new AuthError('invalid_id_token', 'the ID token has no sub claim that is a string');
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (payload.azp !== undefined && payload.azp !== expect.clientId) {
    throw new AuthError('invalid_id_token', 'the ID token was issued to another party (azp)');
  }
  if (audiences.length > 1 && payload.azp === undefined) {
    throw new AuthError('invalid_id_token', 'the ID token has several audiences and no azp');
  }
  if (expect.nonce !== undefined && payload.nonce !== expect.nonce) {
    throw new AuthError('invalid_id_token', payload.nonce === undefined ? 'the ID token has no nonce' : 'the ID token nonce does not match');
  }
  if (expect.maxAge !== undefined) {
    if (typeof payload.auth_time !== 'number') throw new AuthError('invalid_id_token', 'max_age was requested but the ID token has no auth_time');
    if (payload.auth_time + expect.maxAge + skew < now) throw new AuthError('invalid_id_token', 'the sign-in is older than max_age');
  }
}
