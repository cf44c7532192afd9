/**
 * Silent acquisition (MSAL's `acquire_token_silent`): a cached access token while it is valid,
 * else a refresh with the account's refresh tokens in MSAL for Python's order, concurrent calls
 * that need the same refresh sharing one request. The rules of what may be served live here; the
 * application only resolves the authority and checks the caller's arguments.
 */
import type { Account, AuthenticationResult } from './account.js';
import type { Authority } from './authority.js';
import { resultFromCache, type StoreOptions } from './authentication-result.js';
import { isKeyBound } from './cache/entry-rules.js';
import { CredentialType, type AccessTokenEntity, type RefreshTokenEntity } from './cache/schema.js';
import { nowSeconds } from './cache/values.js';
import type { TokenCache } from './cache/token-cache.js';
import { realmsToSearch } from './cache-realm.js';
import { AuthError, isRefreshTokenDead, ServerError } from './errors.js';
import { processRefreshTokenResponse, refreshTokenGrantRequest } from './grants/refresh-token.js';
import { type DpopBinding, DPOP_TOKEN_TYPE, isDpopTokenType } from './dpop-keys.js';
import type { LogContext } from './logger.js';
import type { AuthorityOption } from './options.js';
import { ScopeSet, searchScopesFor } from './scopes.js';
import { SharedInFlight } from './shared-in-flight.js';
import type { TokenClient, TokenGrantResult } from './token-client.js';

/** Options of silent acquisition. */
export interface SilentOptions {
  /** Skip the access-token cache and redeem the refresh token. */
  forceRefresh?: boolean;
  /** A claims challenge from a resource (WWW-Authenticate); it always bypasses cached access tokens. */
  claimsChallenge?: string;
  /**
   * Another authority (tenant) of the same cloud than the application's: the account's tokens for
   * that tenant are served, or its refresh token is redeemed there. MSAL for Python's `authority`.
   */
  authority?: AuthorityOption;
  /** Refused with `not_supported`: proof-of-possession needs a broker. */
  authScheme?: unknown;
  /** Extra token-request body parameters of a refresh (MSAL's `data`). */
  data?: Record<string, string>;
}

/** The family of Microsoft's first-party apps, the only one Entra has (MSAL for Python's `family_id="1"`). */
export const FIRST_PARTY_FAMILY_ID = '1';

/** An access token closer than this to expiry is treated as expired (MSAL: five minutes). */
const EXPIRY_BUFFER_S = 300;

/**
 * Whether a cached access token may be served: `expired` within five minutes of its expiry,
 * `refresh_due` once past the server's `refresh_in` (served only when a refresh fails), `valid`
 * otherwise.
 */
export function cachedTokenState(entry: AccessTokenEntity): 'valid' | 'refresh_due' | 'expired' {
  const now = nowSeconds();
  if (!(Number(entry.expires_on) - now > EXPIRY_BUFFER_S)) return 'expired';
  return entry.refresh_on === undefined || Number(entry.refresh_on) > now ? 'valid' : 'refresh_due';
}

/**
 * The refresh tokens a silent call tries for an account, in MSAL for Python's order
 * (`_acquire_token_silent_by_finding_rt_belongs_to_me_or_my_family`). The cache says whether
 * the app is in a family: its app metadata, written at each token response, carries the
 * response's `foci`. An app without app metadata is used here for the first time, and may be
 * in the family without knowing it: the family's refresh tokens (family "1", the only one) are
 * tried first, as `unknownApp` — never removed, whatever the answer, since they are likely not
 * this app's, and abandoned when Entra says the app is not a family member (`client_mismatch`).
 * A success stores a response whose `foci` writes the app metadata: the app has joined the
 * family. Then, or for an app on record as outside any family, the app's own refresh tokens;
 * for a family member, its family's and its own, likeliest first.
 */
export function refreshTokensToTry(
  cache: TokenCache,
  clientId: string,
  homeAccountId: string,
  environments: readonly string[],
): { unknownApp: RefreshTokenEntity[]; known: RefreshTokenEntity[] } {
  const query = { homeAccountId, environments, clientId };
  const metadata = cache.findAppMetadata(query);
  if (metadata !== undefined) return { unknownApp: [], known: cache.findRefreshTokens({ ...query, familyId: metadata.family_id || undefined }) };
  const family = cache.findRefreshTokens({ ...query, familyId: FIRST_PARTY_FAMILY_ID }).filter((entry) => entry.family_id?.toLowerCase() === FIRST_PARTY_FAMILY_ID);
  const own = cache.findRefreshTokens(query).filter((entry) => !family.some((tried) => tried.secret === entry.secret));
  return { unknownApp: family, known: own };
}

/**
 * Whether a silent request may send a cached refresh token (RFC 9449 §5). One bound to a DPoP key
 * (its `key_id`) goes only with a proof of that key: a Bearer request, or one signing with another
 * key, would be refused with `invalid_grant`, which reads as a dead token, and the token would be
 * lost. An unbound one goes with any request: with a proof, the server may bind it then (a public
 * client's, §5), and the answer's refresh token is stored bound.
 */
export function refreshTokenUsableWith(entry: RefreshTokenEntity, dpop: DpopBinding | undefined): boolean {
  if (!isKeyBound(entry)) return true;
  return dpop !== undefined && String(entry.key_id) === dpop.key.thumbprint;
}

/**
 * Refreshes under way, so that concurrent silent calls needing the same refresh share one
 * request: same account, authority, scopes (in any case or order), claims, force and data.
 */
export class RefreshesInFlight {
  private readonly refreshes = new SharedInFlight<AuthenticationResult | undefined>();

  share(
    request: { homeAccountId: string; authority: Authority; scopes: string[]; options: SilentOptions },
    start: () => Promise<AuthenticationResult | undefined>,
  ): Promise<AuthenticationResult | undefined> {
    const { homeAccountId, authority, scopes, options } = request;
    const key = JSON.stringify([homeAccountId, authority.url, ScopeSet.of(scopes).toKey(), options.claimsChallenge ?? '', !!options.forceRefresh, options.data ?? {}]);
    return this.refreshes.share(key, start);
  }
}

/** What silent acquisition needs of its application. */
export interface SilentContext {
  tokenCache: TokenCache;
  tokenClient: TokenClient;
  clientId: string;
  excludeScopes?: readonly string[];
  log: LogContext;
  refreshesInFlight: RefreshesInFlight;
  /** The application's scope decoration (reserved scopes added, excluded ones dropped). */
  decorate(scopes: string[]): string[];
  /** The `claims` parameter: client capabilities merged with a claims challenge. */
  claimsFor(claimsChallenge?: string): string | undefined;
  /** Files a refresh's answer and builds the result (keeping the DPoP key it was signed with). */
  storeResult(authority: Authority, grant: TokenGrantResult, options: StoreOptions, dpop?: DpopBinding): Promise<AuthenticationResult>;
}

/** One silent call: for whom, where, what, and how. */
export interface SilentRequest {
  /** The application's authority, or the other tenant the call named. */
  authority: Authority;
  account: Account;
  scopes: string[];
  options: SilentOptions;
  correlationId: string;
  /**
   * The account's DPoP key when the application uses DPoP with this issuer: only DPoP tokens
   * bound to it are served, and a refresh signs with it. Bearer otherwise.
   */
  dpop?: DpopBinding;
}

/** The account's cached access token for the request's scopes in the first realm that has one. */
function findCachedAccessToken(app: SilentContext, { authority, account, scopes, options, dpop }: SilentRequest): AccessTokenEntity | undefined {
  // No scopes means the OpenID scopes alone: a token for the userinfo endpoint, cached like any other.
  const query = {
    homeAccountId: account.homeAccountId,
    environments: authority.aliases,
    clientId: app.clientId,
    scopes: searchScopesFor(scopes, app.excludeScopes),
    // A key-bound token (a DPoP token, MSAL's `data.key_id` of an SSH certificate) is served only
    // to a request naming its scheme and key; a Bearer request never gets one.
    tokenType: dpop ? DPOP_TOKEN_TYPE : options.data?.token_type,
    keyId: dpop ? dpop.key.thumbprint : options.data?.key_id,
  };
  for (const realm of realmsToSearch(authority, account)) {
    const found = app.tokenCache.findAccessToken({ ...query, realm });
    if (found) return found;
  }
  return undefined;
}

/**
 * A token for `account` without user interaction: the cached access token while valid, else a
 * refresh; a token past its `refresh_on` is refreshed, and served still when that refresh fails.
 * Undefined when the cache holds nothing for the account; a refused refresh rejects with the
 * server's typed error.
 */
export async function acquireSilently(app: SilentContext, request: SilentRequest): Promise<AuthenticationResult | undefined> {
  const { authority, account, scopes, options, correlationId } = request;
  let fallback: AuthenticationResult | undefined;
  if (!options.forceRefresh && !options.claimsChallenge) {
    const found = findCachedAccessToken(app, request);
    const state = found && cachedTokenState(found);
    if (found && state !== 'expired') {
      const cached = resultFromCache(app, found, authority, account, correlationId);
      if (state === 'valid') return cached;
      // Past refresh_on: try to refresh now, keep the still valid token in hand if that fails.
      fallback = cached;
    }
  }
  const refresh = app.refreshesInFlight.share({ homeAccountId: account.homeAccountId, authority, scopes, options }, () => refreshSilently(app, request));
  try {
    return (await refresh) ?? fallback;
  } catch (err) {
    if (fallback) {
      app.log.warning(`proactive refresh failed, serving the cached token: ${err instanceof AuthError ? err.code : 'error'}`);
      return fallback;
    }
    throw err;
  }
}

/**
 * Redeems the account's refresh tokens in {@link refreshTokensToTry}'s order until one is accepted,
 * leaving out those {@link refreshTokenUsableWith} says this request cannot send: they are neither
 * sent nor removed, and with nothing else to send the answer is the same as with no refresh token.
 */
async function refreshSilently(app: SilentContext, { authority, account, scopes, options, correlationId, dpop }: SilentRequest): Promise<AuthenticationResult | undefined> {
  const candidates = refreshTokensToTry(app.tokenCache, app.clientId, account.homeAccountId, authority.aliases);
  const usable = (entries: RefreshTokenEntity[]) => entries.filter((entry) => refreshTokenUsableWith(entry, dpop));
  const unknownApp = usable(candidates.unknownApp);
  const known = usable(candidates.known);
  if (unknownApp.length + known.length < candidates.unknownApp.length + candidates.known.length) {
    app.log.verbose(`a refresh token bound to ${dpop ? 'another DPoP key' : 'a DPoP key'} is not sent with this ${dpop ? 'DPoP' : 'Bearer'} request`);
  }
  if (unknownApp.length === 0 && known.length === 0) return undefined;
  const scope = app.decorate(scopes);
  const redeem = async (entry: RefreshTokenEntity) => {
    const sent = await refreshTokenGrantRequest(app.tokenClient, authority, entry.secret, scope, {
      correlationId,
      claims: app.claimsFor(options.claimsChallenge),
      data: options.data,
      caller: 'acquireTokenSilent',
      homeAccountId: account.homeAccountId,
      dpop,
    });
    const result = await processRefreshTokenResponse(app.tokenClient, authority, sent);
    const stored = await app.storeResult(authority, result, { scopes: scope, correlationId, refreshOf: account.homeAccountId, data: options.data }, dpop);
    if (dpop && isDpopTokenType(result.response.token_type) && !result.response.refresh_token) bindKeptRefreshToken(app.tokenCache, entry, dpop);
    return stored;
  };
  for (const entry of unknownApp) {
    try {
      return await redeem(entry);
    } catch (err) {
      if (!(err instanceof ServerError)) throw err;
      app.log.verbose(`the family refresh token was refused to this app: ${err.error}`);
      if (err.errorAdditionalInfo?.includes('client_mismatch')) break;
    }
  }
  // A refused family attempt is no answer about this app's own tokens: with none, nothing is
  // found (MSAL for Python returns nothing then too).
  if (known.length === 0) return undefined;
  let lastError: unknown;
  // The likeliest to be valid first; after a refusal the next one is tried (another MSAL
  // library may have left a newer one beside it).
  for (const entry of known) {
    try {
      return await redeem(entry);
    } catch (err) {
      lastError = err;
      if (!(err instanceof ServerError)) throw err;
      app.log.verbose(`refresh failed: ${err.error}`);
      // Kept, it would be sent again on every silent call only to be refused again.
      if (isRefreshTokenDead(err)) app.tokenCache.removeRefreshToken(entry);
    }
  }
  throw lastError;
}

/**
 * A DPoP refresh answered without a new refresh token: the server keeps the one sent, which it
 * may have bound to the proof's key just now (RFC 9449 §5 binds a public client's refresh token).
 * It is marked bound: were it not, a Bearer request would send it without a proof and lose it.
 */
function bindKeptRefreshToken(cache: TokenCache, entry: RefreshTokenEntity, dpop: DpopBinding): void {
  if (entry.key_id === dpop.key.thumbprint) return;
  cache.modify(CredentialType.REFRESH_TOKEN, entry, { key_id: dpop.key.thumbprint });
}
