/**
 * Building what the applications hand out: the {@link AuthenticationResult} of a token response
 * (after filing it in the cache) or of a cached access token, and the {@link Account} of a cache
 * entry or of ID token claims. Plain functions of the cache and what the request was, so that
 * every grant and the silent path build results the same way.
 */
import type { JWTPayload } from 'jose';
import { decodeJwt } from 'jose/jwt/decode';
import { type Account, type AuthenticationResult, usernameFromClaims } from './account.js';
import type { Authority } from './authority.js';
import type { AccessTokenEntity, AccountEntity, AuthorityType as CachedAuthorityType, IdTokenEntity } from './cache/schema.js';
import type { TokenCache } from './cache/token-cache.js';
import { nowSeconds } from './cache/values.js';
import { cacheRealmOf } from './cache-realm.js';
import { parseScopeString } from './scopes.js';
import type { TokenGrantResult } from './token-client.js';
import type { AccountProfile } from './userinfo.js';

/** A cache entry's epoch-seconds field as a Date; undefined when absent or unreadable (a damaged cache). */
function dateFromSeconds(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(Number(value) * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function safeDecode(jwt: string): JWTPayload | undefined {
  try {
    return decodeJwt(jwt);
  } catch {
    return undefined;
  }
}

/**
 * Claims of cached ID tokens already decoded, by cache entry. Decoding was the largest cost of a
 * silent hit (bench/, figure 1); the claims depend on the entry's secret alone, so one table
 * serves every application.
 */
const decodedIdTokens = new WeakMap<IdTokenEntity, { secret: string; claims: JWTPayload | undefined }>();

/**
 * The claims of a cached ID token, decoded once per cache entry. Each result gets its own shallow
 * copy. The entry's secret is compared too, in case an entry object was changed in place.
 */
function idTokenClaimsOf(entry: IdTokenEntity): JWTPayload | undefined {
  let decoded = decodedIdTokens.get(entry);
  // Not `decoded?.secret !== entry.secret`: an entry without a secret (a damaged cache) would match nothing decoded.
  if (decoded === undefined || decoded.secret !== entry.secret) {
    decoded = { secret: entry.secret, claims: safeDecode(entry.secret) };
    decodedIdTokens.set(entry, decoded);
  }
  return decoded.claims && { ...decoded.claims };
}

/** The camelCase account of a cache entry. */
export function toAccount(entity: AccountEntity): Account {
  return {
    homeAccountId: entity.home_account_id,
    environment: entity.environment,
    realm: entity.realm,
    localAccountId: entity.local_account_id ?? '',
    username: entity.username ?? '',
    name: entity.name,
    authorityType: entity.authority_type,
    accountSource: entity.account_source,
  };
}

/** The account of a refresh whose account entry was removed meanwhile (it is not recreated). */
function accountFromClaims(homeAccountId: string, authority: Authority, claims: JWTPayload | undefined, data?: Record<string, unknown>): Account {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    homeAccountId,
    environment: authority.instance,
    realm: cacheRealmOf(authority),
    localAccountId: text(claims?.oid) ?? text(claims?.sub) ?? homeAccountId,
    username: usernameFromClaims(claims ?? {}) ?? text(data?.username) ?? '',
    name: text(claims?.name),
    authorityType: authorityTypeOf(authority),
  };
}

/** MSAL's `authority_type` of the accounts an authority signs in (msal-node files generic issuers' as `Generic`). */
function authorityTypeOf(authority: Authority): CachedAuthorityType {
  return authority.type === 'OIDC' ? 'Generic' : authority.type === 'ADFS' ? 'ADFS' : 'MSSTS';
}

/** Whose cache a result is read from or written to: the application's cache and client id. */
export interface ResultCache {
  tokenCache: TokenCache;
  clientId: string;
}

/** A result from a cached access token; `account` undefined for app-only tokens. */
export function resultFromCache(
  app: ResultCache,
  entry: AccessTokenEntity,
  authority: Authority,
  account: Account | undefined,
  correlationId: string,
): AuthenticationResult {
  const expiresOn = Number(entry.expires_on);
  const idToken = account
    ? app.tokenCache.findIdToken({ homeAccountId: account.homeAccountId, environments: authority.aliases, clientId: app.clientId, realm: entry.realm })
    : undefined;
  return {
    accessToken: entry.secret,
    tokenType: entry.token_type ?? 'Bearer',
    expiresIn: expiresOn - nowSeconds(),
    expiresOn: new Date(expiresOn * 1000),
    extExpiresOn: dateFromSeconds(entry.extended_expires_on),
    refreshOn: dateFromSeconds(entry.refresh_on),
    idToken: idToken?.secret,
    idTokenClaims: idToken ? idTokenClaimsOf(idToken) : undefined,
    account,
    scopes: parseScopeString(entry.target),
    tokenSource: 'cache',
    correlationId,
  };
}

/** How {@link storeAndBuildResult} files a token response. */
export interface StoreOptions {
  /** The scopes asked for: those of the token when the response names none. */
  scopes: string[];
  correlationId: string;
  /** Request data worth keeping (the ROPC username). */
  data?: Record<string, unknown>;
  /**
   * The account a refresh was for: its account entry is not recreated, and a response that names
   * no account (no ID token, no client_info) is filed under it.
   */
  refreshOf?: string;
  /** The account's name from userinfo, when the ID token of a sign-in names nobody. */
  profile?: AccountProfile;
  /** The thumbprint of the DPoP key the request was signed with: a DPoP token is bound to it in the cache. */
  dpopKeyId?: string;
}

/** Stores a token response in the cache and builds the caller's result. */
export function storeAndBuildResult(app: ResultCache, authority: Authority, grant: TokenGrantResult, options: StoreOptions): AuthenticationResult {
  const { grantType, response, idTokenClaims } = grant;
  const { correlationId, data, refreshOf } = options;
  // RFC 6749 §5.1: no scope means the requested ones; an empty one is read the same way (oidc-provider
  // answers `""` to a refresh for the OpenID scopes alone), or the token could never be found again.
  const granted = response.scope !== undefined && response.scope.trim() !== '' ? parseScopeString(response.scope) : options.scopes;
  const written = app.tokenCache.add({
    clientId: app.clientId,
    scope: granted,
    tokenEndpoint: authority.metadata.token_endpoint,
    response,
    environment: authority.instance,
    aliases: authority.aliases,
    realm: cacheRealmOf(authority),
    authorityType: authorityTypeOf(authority),
    idTokenClaims: idTokenClaims as Record<string, unknown> | undefined,
    data,
    grantType,
    // A concurrent removeAccount() must win: a refresh does not recreate the account.
    skipAccountCreation: refreshOf !== undefined,
    homeAccountId: refreshOf,
    profile: options.profile,
    keyId: options.dpopKeyId,
  });
  const issuedAt = nowSeconds();
  const inSeconds = (seconds: number | undefined) => (seconds === undefined ? undefined : new Date((issuedAt + seconds) * 1000));
  const homeAccountId = written.homeAccountId;
  const accountEntity = homeAccountId
    ? app.tokenCache.getAccounts({ homeAccountId, environments: [authority.instance] })[0]
    : undefined;
  return {
    accessToken: response.access_token,
    tokenType: response.token_type,
    expiresIn: response.expires_in,
    expiresOn: inSeconds(response.expires_in)!,
    extExpiresOn: inSeconds(response.ext_expires_in),
    refreshOn: inSeconds(response.refresh_in),
    idToken: response.id_token,
    idTokenClaims,
    account: accountEntity ? toAccount(accountEntity) : homeAccountId ? accountFromClaims(homeAccountId, authority, idTokenClaims, data) : undefined,
    scopes: granted,
    tokenSource: 'identity_provider',
    correlationId,
  };
}
