/**
 * Turning a token endpoint's response into the cache entries it writes: MSAL for Python's
 * `TokenCache.add()` without the writing. A pure function of the response, the facts of the
 * request and the clock (handed in, never read here), so that every field of every entry can be
 * checked offline with a frozen clock; `TokenCache.add` then stores what it returns.
 *
 * Everything is read before anything is written: a response refused here (a client_info or an
 * ID token that does not decode, a `foci` of the wrong type) leaves the cache as it was.
 */
import * as base64url from 'jose/base64url';
import { decodeJwt } from 'jose/jwt/decode';
import { usernameFromClaims } from '../account.js';
import { AuthError } from '../errors.js';
import { isJsonObject, isStringArray, nonEmptyString } from '../json.js';
import { ScopeSet } from '../scopes.js';
import {
  ACCESS_TOKEN_WITH_AUTH_SCHEME,
  CredentialType,
  type AccessTokenEntity,
  type AccountEntity,
  type AppMetadataEntity,
  type AuthorityType,
  type IdTokenEntity,
  type RefreshTokenEntity,
} from './schema.js';
import { requireText, toInteger } from './values.js';

/** A token endpoint's successful response, and what the request was, as {@link TokenCache.add} takes it. */
export interface TokenEvent {
  clientId: string;
  /** The scopes requested. The response's `scope`, when present, wins. */
  scope: string[];
  /** Gives the environment (its host, with the port when present) and realm (first path segment). */
  tokenEndpoint: string;
  /** The token endpoint's JSON (access_token, refresh_token, id_token, client_info, expires_in, ...). */
  response: Record<string, unknown>;
  /** Overrides the host of `tokenEndpoint`, e.g. the authority's preferred cache alias. */
  environment?: string;
  /**
   * Other hosts that serve the same accounts (`login.windows.net` beside
   * `login.microsoftonline.com`): a refresh token stored there by another library (msal-node
   * files under the preferred cache alias) is superseded by the one stored now, and removed.
   */
  aliases?: readonly string[];
  /**
   * Overrides the realm, which otherwise is the token endpoint's first path segment (MSAL for
   * Python). `''` is a realm too: that of an issuer at a host root (see `cache-realm.ts`).
   */
  realm?: string;
  /**
   * Request data worth keeping: `username` names an account that has no ID token (ROPC);
   * `key_id` binds the access token to a key (it is then served only to lookups naming that key).
   */
  data?: Record<string, unknown>;
  /**
   * The thumbprint of the DPoP key the request was signed with, when the answer was `token_type:
   * DPoP` (RFC 9449). The access token is then bound to it: filed as msal-node's
   * `AccessToken_With_AuthScheme` with this `key_id`, served only to lookups naming the DPoP scheme
   * and this key, never as Bearer. The refresh token carries the same `key_id`: a server binds a
   * public client's refresh token to the key (§5), and one sent without a proof is refused.
   */
  keyId?: string;
  /** `authorization_code`, `password`, the device code grant or `broker` mark the account's source. */
  grantType?: string;
  /** Claims of the ID token, already validated. Otherwise the ID token is decoded without verification. */
  idTokenClaims?: Record<string, unknown>;
  /** Store tokens but no account (on-behalf-of and similar middle-tier flows). */
  skipAccountCreation?: boolean;
  /**
   * The account a refresh was for. Used only when the response names none: a server that sends
   * no ID token on refresh (and no client_info) would otherwise have the tokens filed as
   * app-only, where the account's next silent call never finds them.
   */
  homeAccountId?: string;
  /**
   * The account's username and name from the userinfo endpoint, for an ID token that names nobody
   * (see `userinfo.ts`); the ID token's claims win where it has them.
   */
  profile?: { username?: string; name?: string };
  /** The account's `authority_type`; default `ADFS` when the realm is `adfs`, else `MSSTS`. */
  authorityType?: AuthorityType;
}

/** What {@link TokenCache.add} stored, for building the caller's result. */
export interface AddResult {
  /** `''` for app-only tokens. */
  homeAccountId: string;
  environment: string;
  realm: string;
}

/** The entries one token response writes, in the order {@link TokenCache.add} stores them. */
export interface TokenEntries {
  /** What the caller gets back. */
  result: AddResult;
  accessToken?: AccessTokenEntity;
  /** When the response names a user, unless the event says to create no account. */
  account?: AccountEntity;
  idToken?: IdTokenEntity;
  refreshToken?: RefreshTokenEntity;
  /** The client's app metadata: absent only for an empty response, which writes nothing. */
  appMetadata?: AppMetadataEntity;
}

/** The grants after which an account records its `account_source` (MSAL for Python's list). */
const GRANT_TYPES_THAT_ESTABLISH_AN_ACCOUNT: ReadonlySet<string> = new Set([
  'broker',
  'authorization_code',
  'password',
  'urn:ietf:params:oauth:grant-type:device_code',
]);

/** Decodes Entra's client_info (base64url JSON, padding and the standard alphabet tolerated). */
function decodeClientInfo(clientInfo: string): Record<string, unknown> {
  try {
    const json = new TextDecoder().decode(base64url.decode(clientInfo.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')));
    const value: unknown = JSON.parse(json);
    if (isJsonObject(value)) return value;
  } catch {
    // reported below
  }
  // The server's answer is at fault, not the caller: the same code as every other malformed response field.
  throw new AuthError('invalid_response', 'The token response has a client_info that is not base64url-encoded JSON');
}

/** The `foci` of a token response (Entra's family id, `"1"`), or undefined when it has none. */
function familyIdOf(foci: unknown): string | undefined {
  if (foci === undefined || foci === null || foci === '') return undefined;
  if (typeof foci === 'string' || typeof foci === 'number') return String(foci);
  throw new AuthError('invalid_response', 'The token response has a foci that is not a string');
}

/**
 * The ID token's claims: those the caller validated, else the token decoded without a check (the
 * cache only files who it names); none without an ID token.
 */
function idTokenClaimsOf(event: TokenEvent, idToken: string | undefined): Record<string, unknown> {
  if (isJsonObject(event.idTokenClaims)) return event.idTokenClaims;
  if (!idToken) return {};
  try {
    return decodeJwt(idToken) as Record<string, unknown>;
  } catch (cause) {
    throw new AuthError('invalid_id_token', 'The ID token of the token response cannot be decoded', { cause });
  }
}

/** MSAL for Python's `__parse_account`: home_account_id from client_info, else from the ID token's `sub`. */
function parseAccount(response: Record<string, unknown>, claims: Record<string, unknown>): { homeAccountId: string; hasAccount: boolean } {
  const clientInfo = nonEmptyString(response['client_info']);
  if (clientInfo) {
    const info = decodeClientInfo(clientInfo);
    const uid = nonEmptyString(info['uid']);
    const utid = nonEmptyString(info['utid']);
    if (uid && utid) return { homeAccountId: `${uid}.${utid}`, hasAccount: true };
  }
  if (Object.keys(claims).length > 0) {
    const sub = nonEmptyString(claims['sub']);
    if (!sub) throw new AuthError('invalid_id_token', 'The ID token has no sub claim');
    return { homeAccountId: sub, hasAccount: true };
  }
  // Client credentials (app-only) tokens: no account.
  return { homeAccountId: '', hasAccount: false };
}

/** What the entries of one response have in common. */
interface SharedFields {
  homeAccountId: string;
  environment: string;
  clientId: string;
  realm: string;
  /** The granted scopes as MSAL for Python's target string. */
  target: string;
}

/** The access token entry: its times are `now` plus the lifetimes the response gives (600 s when it gives none). */
function accessTokenEntry(secret: string, response: Record<string, unknown>, keyId: unknown, shared: SharedFields, now: number): AccessTokenEntity {
  const expiresOn = toInteger(response['expires_on']);
  const expiresIn = toInteger(response['expires_in']) ?? (expiresOn !== undefined ? expiresOn - now : 600);
  const extExpiresIn = toInteger(response['ext_expires_in']) ?? expiresIn;
  const tokenType = nonEmptyString(response['token_type']) ?? 'Bearer';
  const at: AccessTokenEntity = {
    credential_type: tokenType.toLowerCase() === 'dpop' ? ACCESS_TOKEN_WITH_AUTH_SCHEME : CredentialType.ACCESS_TOKEN,
    secret,
    home_account_id: shared.homeAccountId,
    environment: shared.environment,
    client_id: shared.clientId,
    target: shared.target,
    realm: shared.realm,
    token_type: tokenType,
    cached_at: String(now),
    expires_on: String(now + expiresIn),
    extended_expires_on: String(now + extExpiresIn),
  };
  const refreshIn = toInteger(response['refresh_in']);
  if (refreshIn !== undefined) at.refresh_on = String(now + refreshIn);
  if (nonEmptyString(keyId) || typeof keyId === 'number') at.key_id = String(keyId);
  return at;
}

/** The account entry: who the ID token names, else the userinfo profile, else the ROPC username. */
function accountEntry(event: TokenEvent, claims: Record<string, unknown>, data: Record<string, unknown>, shared: SharedFields): AccountEntity {
  const account: AccountEntity = {
    home_account_id: shared.homeAccountId,
    environment: shared.environment,
    realm: shared.realm,
    // null without an ID token, as MSAL for Python writes it.
    local_account_id: nonEmptyString(claims['oid']) ?? nonEmptyString(claims['sub']) ?? null,
    username: usernameFromClaims(claims) ?? nonEmptyString(event.profile?.username) ?? (typeof data['username'] === 'string' ? data['username'] : ''),
    authority_type: event.authorityType ?? (shared.realm.toLowerCase() === 'adfs' ? 'ADFS' : 'MSSTS'),
  };
  const name = nonEmptyString(claims['name']) ?? nonEmptyString(event.profile?.name);
  if (name) account.name = name;
  if (event.grantType && GRANT_TYPES_THAT_ESTABLISH_AN_ACCOUNT.has(event.grantType)) account.account_source = event.grantType;
  return account;
}

/**
 * The entries a token response writes: an AccessToken, an Account (when the response names a
 * user), an IdToken, a RefreshToken and the client's AppMetadata, each as MSAL for Python writes
 * it. `now` is the clock, in epoch seconds: every time written is `now` plus what the response
 * says. Throws `AuthError` (`invalid_argument` for the event, `invalid_response` and
 * `invalid_id_token` for the response) instead of returning entries it cannot vouch for.
 */
export function tokenEntries(event: TokenEvent, now: number): TokenEntries {
  if (!isJsonObject(event)) throw new AuthError('invalid_argument', 'The token event must be an object');
  // MSAL for Python's `add({})`: nothing to store is no error.
  if (event.response === undefined || (isJsonObject(event.response) && Object.keys(event.response).length === 0)) {
    return { result: { homeAccountId: '', environment: '', realm: '' } };
  }
  const clientId = requireText(event.clientId, 'clientId');
  const response = event.response;
  if (!isJsonObject(response)) throw new AuthError('invalid_argument', 'The token event has no response object');
  if (event.scope !== undefined && !isStringArray(event.scope)) {
    throw new AuthError('invalid_argument', 'scope must be an array of strings');
  }
  if (!Number.isFinite(now)) throw new AuthError('invalid_argument', 'now must be a number of epoch seconds');
  now = Math.floor(now);

  const tokenEndpoint = requireText(event.tokenEndpoint, 'tokenEndpoint');
  let endpoint: URL;
  try {
    endpoint = new URL(tokenEndpoint);
  } catch (cause) {
    throw new AuthError('invalid_argument', 'tokenEndpoint is not a URL', { cause });
  }
  const environment = event.environment || endpoint.host;

  const data = isJsonObject(event.data) ? event.data : {};
  const accessToken = nonEmptyString(response['access_token']);
  const refreshToken = nonEmptyString(response['refresh_token']);
  const idToken = nonEmptyString(response['id_token']);
  const claims = idTokenClaimsOf(event, idToken);
  const realm = typeof event.realm === 'string' ? event.realm : (endpoint.pathname.split('/')[1] ?? '');
  const parsed = parseAccount(response, claims);
  const homeAccountId = parsed.homeAccountId || (typeof event.homeAccountId === 'string' ? event.homeAccountId : '');
  const familyId = familyIdOf(response['foci']);
  const grantedScope = response['scope'];
  const target = ScopeSet.of(typeof grantedScope === 'string' && grantedScope.trim() !== '' ? [grantedScope] : (event.scope ?? [])).toTarget();

  const shared: SharedFields = { homeAccountId, environment, clientId, realm, target };
  const entries: TokenEntries = { result: { homeAccountId, environment, realm } };

  if (accessToken) entries.accessToken = accessTokenEntry(accessToken, response, event.keyId || data['key_id'], shared, now);
  if (parsed.hasAccount && !event.skipAccountCreation) entries.account = accountEntry(event, claims, data, shared);

  if (idToken) {
    entries.idToken = {
      credential_type: CredentialType.ID_TOKEN,
      secret: idToken,
      home_account_id: homeAccountId,
      environment,
      realm,
      client_id: clientId,
    };
  }

  if (refreshToken) {
    const rt: RefreshTokenEntity = {
      credential_type: CredentialType.REFRESH_TOKEN,
      secret: refreshToken,
      home_account_id: homeAccountId,
      environment,
      client_id: clientId,
      target,
      last_modification_time: String(now),
    };
    if (familyId !== undefined) rt.family_id = familyId;
    // Only a DPoP key binds a refresh token: the `key_id` of the request's data (an SSH
    // certificate's key) binds the access token alone. A confidential client's refresh token is
    // not bound by the server (§5), but is marked all the same: the mark costs a Bearer request of
    // the same client a refresh, a missing one costs the token if the server bound it after all.
    const keyId = nonEmptyString(event.keyId);
    if (keyId) rt.key_id = keyId;
    entries.refreshToken = rt;
  }

  const appMetadata: AppMetadataEntity = { client_id: clientId, environment };
  if (familyId !== undefined) appMetadata.family_id = familyId;
  entries.appMetadata = appMetadata;
  return entries;
}
