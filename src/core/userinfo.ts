/**
 * The userinfo endpoint (OIDC Core §5.3), asked for one thing: a name for an account whose ID
 * token names nobody. Many identity providers (LemonLDAP::NG by default, Keycloak with a trimmed
 * client scope, B2C policies) put only `sub` into ID tokens and keep the name and email for
 * userinfo; the account then had no label but its opaque id.
 *
 * What it guarantees:
 * - At most one request per sign-in, and only when it can help: the ID token carries none of the
 *   claims an account is named by, and the issuer publishes a `userinfo_endpoint`.
 * - Never a failed sign-in: a refusal (401/403), a fault or an odd answer leaves the account
 *   named by `sub`, as before; the log says why, without the token.
 * - An answer about another subject is ignored (OIDC Core §5.3.4: its `sub` must equal the ID
 *   token's).
 *
 * Split as everywhere in the core: {@link userinfoRequest} sends, {@link processUserinfoResponse}
 * checks in a fixed order (status, WWW-Authenticate, content type, JSON object, `sub`), and
 * {@link lookUpAccountProfile} decides whether to ask at all and swallows every failure.
 */
import type { JWTPayload } from 'jose';
import { usernameFromClaims } from './account.js';
import { AuthError, ServerError } from './errors.js';
import { discardBody, getJson, type HttpPipeline, type HttpResponse, readJsonObject } from './http.js';
import { nonEmptyString } from './json.js';
import { describeUrl, type LogContext } from './logger.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

/** What userinfo adds to an account: MSAL's `username` and `name` fields. */
export interface AccountProfile {
  username?: string;
  name?: string;
}

/** True when the claims name the account: a username the cache reads (B2C's `emails` too), or a `name`. */
export function claimsNameAccount(claims: Record<string, unknown>): boolean {
  return usernameFromClaims(claims) !== undefined || nonEmptyString(claims['name']) !== undefined;
}

/** Sends the userinfo request: a GET with the access token as a bearer token (RFC 6750 §2.1). */
export function userinfoRequest(
  pipeline: HttpPipeline,
  endpoint: string,
  accessToken: string,
  options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<HttpResponse> {
  return getJson(pipeline, endpoint, { headers: { ...options.headers, authorization: `Bearer ${accessToken}` }, signal: options.signal });
}

/**
 * Checks a userinfo response and returns its claims. A 401/403 becomes a {@link ServerError}
 * with the bearer challenge's `error` (RFC 6750 §3); any other status, a signed or encrypted
 * answer (`application/jwt`, which this client never registers for), a body that is not a JSON
 * object, or a `sub` other than `expectedSub` is an {@link AuthError}.
 */
export async function processUserinfoResponse(response: HttpResponse, expectedSub: string): Promise<Record<string, unknown>> {
  const what = 'userinfo response';
  if (response.status !== 200) {
    await discardBody(response);
    if (response.status === 401 || response.status === 403) {
      let error = response.status === 401 ? 'invalid_token' : 'insufficient_scope';
      const header = response.headers.get('www-authenticate');
      if (header) {
        try {
          const bearer = parseWwwAuthenticate(header).find((challenge) => challenge.scheme === 'bearer');
          error = bearer?.params['error'] || error;
        } catch {
          // A malformed challenge still is a refusal; the status says enough.
        }
      }
      throw new ServerError({ error, errorDescription: 'the userinfo endpoint refused the access token', status: response.status });
    }
    throw new AuthError('invalid_response', `${what}: HTTP ${response.status}`);
  }
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType === 'application/jwt') {
    await discardBody(response);
    throw new AuthError('not_supported', `${what}: signed or encrypted answers (application/jwt) are not read`);
  }
  const claims = await readJsonObject(response, what);
  if (typeof claims['sub'] !== 'string') throw new AuthError('invalid_response', `${what}: sub is missing`);
  if (claims['sub'] !== expectedSub) throw new AuthError('invalid_response', `${what}: sub is not the ID token's (OIDC Core 5.3.4)`);
  return claims;
}

/** The account's username and name from userinfo claims, in the order the cache reads ID tokens. */
export function profileFromUserinfo(claims: Record<string, unknown>): AccountProfile {
  const profile: AccountProfile = {};
  const username = usernameFromClaims(claims);
  const name = nonEmptyString(claims['name']);
  if (username !== undefined) profile.username = username;
  if (name !== undefined) profile.name = name;
  return profile;
}

/** What {@link lookUpAccountProfile} needs of the application. */
export interface ProfileLookup {
  pipeline: HttpPipeline;
  log: LogContext;
  /** Extra request headers; never a token. */
  headers?: Record<string, string>;
}

/**
 * The account's name from the userinfo endpoint when a sign-in's validated ID token names nobody;
 * undefined when it does (no request), when the issuer has no userinfo endpoint, when the access
 * token is not a bearer token, or when the lookup failed for any reason (logged, never thrown).
 */
export async function lookUpAccountProfile(
  endpoint: string | undefined,
  tokens: { access_token: string; token_type?: string },
  idTokenClaims: JWTPayload | undefined,
  lookup: ProfileLookup,
): Promise<AccountProfile | undefined> {
  const sub = idTokenClaims?.sub;
  if (idTokenClaims === undefined || typeof sub !== 'string' || claimsNameAccount(idTokenClaims)) return undefined;
  if (typeof endpoint !== 'string' || endpoint === '') return undefined;
  // A proof-of-possession token would need a proof this client does not make.
  if (tokens.token_type !== undefined && tokens.token_type.toLowerCase() !== 'bearer') return undefined;
  const { log } = lookup;
  log.verbose(`the ID token names no account: asking ${describeUrl(endpoint)} for its name`);
  try {
    const response = await userinfoRequest(lookup.pipeline, endpoint, tokens.access_token, { headers: lookup.headers });
    const profile = profileFromUserinfo(await processUserinfoResponse(response, sub));
    if (profile.username === undefined && profile.name === undefined) log.verbose('the userinfo response names no account either');
    else log.verbose(`the account is named ${log.pii(profile.username ?? profile.name)} by the userinfo response`);
    return profile;
  } catch (err) {
    // Only codes and fixed texts: never the token, nor what the server wrote back.
    const reason = err instanceof ServerError ? `${err.error} (HTTP ${err.status})` : err instanceof AuthError ? err.code : 'unexpected error';
    log.warning(`the userinfo endpoint gave no name for the account, which keeps its id as its name: ${reason}`);
    return undefined;
  }
}
