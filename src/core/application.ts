/**
 * MSAL's applications: {@link ClientApplication} holds what public and confidential clients share
 * (authority, cache, auth-code flow, refresh, silent acquisition, accounts);
 * {@link PublicClientApplication} adds interactive and device-code sign-in;
 * {@link ConfidentialClientApplication} adds client credentials and on-behalf-of.
 */
import type { JWTPayload } from 'jose';
import { decodeJwt } from 'jose/jwt/decode';
import { type Account, type AuthenticationResult, usernameFromClaims } from './account.js';
import { type Authority, type AuthorityOptions, parseAuthority, resolveAuthority } from './authority.js';
import type { AccessTokenEntity, AccountEntity, IdTokenEntity, RefreshTokenEntity } from './cache/schema.js';
import { TokenCache } from './cache/token-cache.js';
import { mergeClaims } from './claims.js';
import { type ClientCredential, clientAuthFor } from './client-auth.js';
import { randomToken, randomUuid } from './crypto.js';
import { cacheRealmOf, realmsToSearch } from './cache-realm.js';
import { AuthError, isRefreshTokenDead, ServerError } from './errors.js';
import { type AuthCodeFlow, authorizationCodeForm, authorizationCodeGrantRequest, buildAuthorizationUrl, checkAuthorizationResponse, createAuthCodeFlow, processAuthorizationCodeResponse } from './grants/authorization-code.js';
import { clientCredentialsForm, clientCredentialsGrantRequest, processClientCredentialsResponse } from './grants/client-credentials.js';
import { type DeviceFlow, deviceAuthorizationRequest, processDeviceAuthorizationResponse, redeemDeviceCode } from './grants/device-code.js';
import { onBehalfOfGrantRequest, processOnBehalfOfResponse } from './grants/on-behalf-of.js';
import { passwordGrantRequest, processPasswordResponse } from './grants/password.js';
import { processRefreshTokenResponse, refreshTokenGrantRequest } from './grants/refresh-token.js';
import { createGlobalFetch, type FetchLike, type HttpCache, HttpPipeline, retryOnceAfterConnectionError } from './http.js';
import { LogContext, type Logger } from './logger.js';
import {
  type AuthCodeFlowRedeemOptions,
  type AuthorityOption,
  type AuthorizationCodeOptions,
  type AuthorizationRequestUrlOptions,
  checkOptionNames,
  type ClientCredentialsOptions,
  type DeviceFlowInitiateOptions,
  type OnBehalfOfOptions,
  OPTION_NAMES,
  refuseAuthScheme,
  type RefreshTokenOptions,
  type UsernamePasswordOptions,
} from './options.js';
import type { Platform, Proxies } from './platform.js';
import { decorateScopes, parseScopeString, searchScopesFor, validateScopes } from './scopes.js';
import { TokenClient, type TokenGrantResult } from './token-client.js';
import { checkAzureRegion, regionalTokenEndpoint, regionToUse } from './region.js';
import { IdTokenValidator } from './token-response.js';
import { type AccountProfile, lookUpAccountProfile } from './userinfo.js';

/** Constructor options shared by every application (MSAL Python's, camelCase). */
export interface ClientApplicationOptions extends AuthorityOptions {
  /** The application (client) id registered at the identity provider. Required. */
  clientId: string;
  /** A secret, a certificate or an assertion; confidential clients only. */
  clientCredential?: ClientCredential;
  /** Where tokens are kept; a `SerializableTokenCache` when they should outlive the process. */
  tokenCache?: TokenCache;
  /** A fetch-like function; overrides `proxies`, `verify` and `timeout`. */
  httpClient?: FetchLike;
  /** `true`, a PEM CA bundle to trust in addition, or `false` to skip TLS verification (unsafe). */
  verify?: boolean | string | string[];
  proxies?: Proxies;
  /** Milliseconds for each HTTP request. Default 30 000. */
  timeout?: number;
  /** Extra claims put into certificate-signed client assertions. */
  clientClaims?: Record<string, unknown>;
  appName?: string;
  appVersion?: string;
  /** Capabilities such as `CP1` (continuous access evaluation), sent as `xms_cc`. */
  clientCapabilities?: string[];
  /**
   * An Azure region (`westus2`), or `true` ({@link ClientApplication.ATTEMPT_REGION_DISCOVERY}; the
   * string `TryAutoDetect` too) to detect it: a confidential client's client credentials then use
   * the regional endpoint. `false` opts out, also of `MSAL_FORCE_REGION`. MSAL for Python's `azure_region`.
   */
  azureRegion?: string | boolean;
  /** Scopes never sent, such as `offline_access` for apps that must not get refresh tokens. */
  excludeScopes?: string[];
  /** A Map-like store for discovery documents, JWKS and throttle state; persist it to skip discovery next run. */
  httpCache?: HttpCache;
  /** Log personal data (usernames, tenant and account ids). Off by default. */
  enablePiiLog?: boolean;
  /** Where log lines go; silent when absent. */
  logger?: Logger;
  /** Host services (HTTP client factory, loopback listener, browser); see `src/node`. */
  platform?: Platform;
  /**
   * MSAL for Python's broker switches (public clients only). This library has no broker: they are
   * accepted, and sign-in uses the browser and device flows, as MSAL for Python does where no
   * broker is available; the log says so once.
   */
  allowBroker?: boolean;
  enableBrokerOnWindows?: boolean;
  enableBrokerOnMac?: boolean;
  enableBrokerOnLinux?: boolean;
  enableBrokerOnWsl?: boolean;
}

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

/** Options of auth-code flows. */
export interface AuthCodeFlowOptions {
  redirectUri?: string;
  state?: string;
  prompt?: string;
  loginHint?: string;
  domainHint?: string;
  claimsChallenge?: string;
  maxAge?: number;
  responseMode?: 'query' | 'form_post';
  extraQueryParameters?: Record<string, string>;
  /** Scopes of other resources to consent to now, without getting a token for them. */
  extraScopesToConsent?: string[];
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** An access token closer than this to expiry is treated as expired (MSAL: five minutes). */
const EXPIRY_BUFFER_S = 300;

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Whether a cached access token may be served: `expired` within five minutes of its expiry,
 * `refresh_due` once past the server's `refresh_in` (served only when a refresh fails), `valid`
 * otherwise.
 */
function cachedTokenState(entry: AccessTokenEntity): 'valid' | 'refresh_due' | 'expired' {
  const now = nowSeconds();
  if (!(Number(entry.expires_on) - now > EXPIRY_BUFFER_S)) return 'expired';
  return entry.refresh_on === undefined || Number(entry.refresh_on) > now ? 'valid' : 'refresh_due';
}

/** The family of Microsoft's first-party apps, the only one Entra has (MSAL for Python's `family_id="1"`). */
const FIRST_PARTY_FAMILY_ID = '1';

/** `azureRegion: true`: detect the region (MSAL's `ATTEMPT_REGION_DISCOVERY`; the string `TryAutoDetect` still works). */
export const ATTEMPT_REGION_DISCOVERY = true;

/** The broker switches of MSAL for Python's applications; none has an effect here (no broker). */
const BROKER_OPTIONS = ['allowBroker', 'enableBrokerOnWindows', 'enableBrokerOnMac', 'enableBrokerOnLinux', 'enableBrokerOnWsl'] as const;

export class ClientApplication {
  /** `azureRegion: ClientApplication.ATTEMPT_REGION_DISCOVERY` detects the region. */
  static readonly ATTEMPT_REGION_DISCOVERY = ATTEMPT_REGION_DISCOVERY;
  /** `azureRegion: ClientApplication.DISABLE_MSAL_FORCE_REGION` opts out of regions, `MSAL_FORCE_REGION` included. */
  static readonly DISABLE_MSAL_FORCE_REGION = false;

  readonly clientId: string;
  readonly tokenCache: TokenCache;
  readonly httpCache: HttpCache;
  protected readonly options: ClientApplicationOptions;
  protected readonly log: LogContext;
  protected readonly pipeline: HttpPipeline;
  protected readonly tokenClient: TokenClient;
  protected readonly platform: Platform;
  private authorityPromise?: Promise<Authority>;
  /** Authorities given to silent calls, by URL (see otherAuthority). */
  private readonly otherAuthorities = new Map<string, Promise<Authority>>();
  /** Claims of cached ID tokens already decoded, by cache entry (see idTokenClaimsOf). */
  private readonly decodedIdTokens = new WeakMap<IdTokenEntity, { secret: string; claims: JWTPayload | undefined }>();
  /** Refreshes under way, so concurrent silent calls needing the same refresh share one request. */
  private readonly refreshesInFlight = new Map<string, Promise<AuthenticationResult | undefined>>();

  constructor(options: ClientApplicationOptions) {
    checkOptionNames(options, OPTION_NAMES.application, 'the application');
    if (typeof options?.clientId !== 'string' || options.clientId.length === 0) {
      throw new AuthError('invalid_argument', 'clientId is required');
    }
    checkAzureRegion(options.azureRegion);
    const brokerOptions = BROKER_OPTIONS.filter((name) => options[name]);
    if (brokerOptions.length > 0 && (options.clientCredential !== undefined || this instanceof ConfidentialClientApplication)) {
      throw new AuthError('invalid_argument', `${brokerOptions.join(', ')}: brokers are for a PublicClientApplication only`);
    }
    if (options.authority !== undefined && options.oidcAuthority !== undefined) {
      throw new AuthError('invalid_argument', 'set authority or oidcAuthority, not both');
    }
    if (options.excludeScopes !== undefined) validateScopes(options.excludeScopes, 'excludeScopes');
    parseAuthority(options); // fail fast on a malformed authority, before any request
    this.options = options;
    this.clientId = options.clientId;
    this.platform = options.platform ?? {};
    this.tokenCache = options.tokenCache ?? new TokenCache();
    this.httpCache = options.httpCache ?? new Map<string, unknown>();
    this.log = new LogContext(options.logger, options.enablePiiLog === true);
    if (brokerOptions.length > 0) {
      this.log.info(`${brokerOptions.join(', ')}: no broker is available in this library, so sign-in uses the browser and device flows`);
    }
    const fetchLike = options.httpClient ?? this.defaultHttpClient(options);
    this.pipeline = new HttpPipeline(fetchLike, this.httpCache);
    this.tokenClient = new TokenClient({
      clientId: options.clientId,
      clientAuth: clientAuthFor(options.clientCredential, options.clientClaims),
      pipeline: this.pipeline,
      validator: new IdTokenValidator(this.pipeline, this.httpCache),
      log: this.log,
      appName: options.appName,
      appVersion: options.appVersion,
    });
  }

  private defaultHttpClient(options: ClientApplicationOptions): FetchLike {
    const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    // Only the default client retries, as MSAL for Python mounts its retry on the requests session
    // it makes itself: a caller's own httpClient is used as given.
    if (this.platform.createHttpClient) return retryOnceAfterConnectionError(this.platform.createHttpClient({ timeout, proxies: options.proxies, verify: options.verify }));
    if (options.proxies !== undefined || options.verify !== undefined) {
      throw new AuthError('invalid_argument', 'proxies and verify need a platform HTTP client: import the application from the node entry point, or pass httpClient');
    }
    return retryOnceAfterConnectionError(createGlobalFetch(timeout));
  }

  /**
   * Another authority for silent calls (MSAL's `acquire_token_silent(authority=)`): another tenant
   * of the application's cloud. Its host must be one of the application's authority's aliases, as
   * its kind must be the same: the account's refresh token is sent there, and must never go to a
   * host the application was not configured for. Resolved once per URL, like the application's.
   */
  private otherAuthority(given: AuthorityOption): Promise<Authority> {
    const other = parseAuthority({ ...this.options, oidcAuthority: undefined, authority: given });
    const key = other.url.toString();
    let found = this.otherAuthorities.get(key);
    if (!found) {
      found = this.getAuthority().then((own) => {
        if (own.type !== other.type || !own.aliases.includes(other.url.host)) {
          throw new AuthError('invalid_argument', `the authority of a silent call must be another tenant of ${own.instance}, the application's cloud`);
        }
        return resolveAuthority({ ...this.options, oidcAuthority: undefined, authority: key }, this.pipeline, this.httpCache, this.log);
      });
      found.catch(() => this.otherAuthorities.delete(key));
      this.otherAuthorities.set(key, found);
    }
    return found;
  }

  /** The resolved authority (discovery happens once, on first use). */
  protected getAuthority(): Promise<Authority> {
    this.authorityPromise ??= resolveAuthority(this.options, this.pipeline, this.httpCache, this.log).catch((err: unknown) => {
      this.authorityPromise = undefined; // a failed discovery is retried on the next call
      throw err;
    });
    return this.authorityPromise;
  }

  protected claimsFor(claimsChallenge?: string): string | undefined {
    return mergeClaims(this.options.clientCapabilities, claimsChallenge);
  }

  protected decorate(scopes: string[]): string[] {
    return decorateScopes(scopes, this.clientId, this.options.excludeScopes);
  }

  /** MSAL: Python's `is_pop_supported`. Proof-of-possession needs a broker, which this library has not. */
  isPopSupported(): boolean {
    return false;
  }

  /** Builds an authorization URL (MSAL's `get_authorization_request_url`). Prefer {@link initiateAuthCodeFlow}. */
  async getAuthorizationRequestUrl(scopes: string[], options: AuthorizationRequestUrlOptions = {}): Promise<string> {
    checkOptionNames(options, OPTION_NAMES.authorizationRequestUrl, 'getAuthorizationRequestUrl');
    if (options.responseType !== undefined && (typeof options.responseType !== 'string' || !/^[a-z_]+( [a-z_]+)*$/.test(options.responseType))) {
      throw new AuthError('invalid_argument', 'responseType must be response type names such as code, id_token or token');
    }
    const authority = await this.getAuthority();
    return buildAuthorizationUrl(authority, this.clientId, this.decorate([...scopes, ...(options.extraScopesToConsent ?? [])]), {
      ...options,
      claims: this.claimsFor(options.claimsChallenge),
    });
  }

  /**
   * Starts an auth-code flow with PKCE, state and nonce. Send the user to `flow.authUri`, then pass
   * the flow and the redirect's query parameters to {@link acquireTokenByAuthCodeFlow}.
   */
  async initiateAuthCodeFlow(scopes: string[], options: AuthCodeFlowOptions = {}): Promise<AuthCodeFlow> {
    checkOptionNames(options, OPTION_NAMES.authCodeFlow, 'initiateAuthCodeFlow');
    validateScopes(scopes);
    const authority = await this.getAuthority();
    const consentScopes = options.extraScopesToConsent ? validateScopes(options.extraScopesToConsent, 'extraScopesToConsent') : [];
    const flow = await createAuthCodeFlow(authority, this.clientId, this.decorate([...scopes, ...consentScopes]), {
      ...options,
      claims: this.claimsFor(options.claimsChallenge),
    });
    // The token request asks only for `scopes`: consent-only scopes belong to other resources.
    return { ...flow, scope: this.decorate(scopes) };
  }

  /**
   * Finishes an auth-code flow: checks state, issuer (RFC 9207) and error of the authorization
   * response, redeems the code with the PKCE verifier, verifies the ID token's nonce and stores
   * the tokens.
   */
  async acquireTokenByAuthCodeFlow(
    authCodeFlow: AuthCodeFlow,
    authResponse: Record<string, string | undefined>,
    options: AuthCodeFlowRedeemOptions = {},
  ): Promise<AuthenticationResult> {
    checkOptionNames(options, OPTION_NAMES.authCodeFlowRedeem, 'acquireTokenByAuthCodeFlow');
    const authority = await this.getAuthority();
    const code = checkAuthorizationResponse(authCodeFlow, authResponse, authority);
    return this.redeemCode(authority, code, options.scopes ? this.decorate(options.scopes) : authCodeFlow.scope, {
      redirectUri: authCodeFlow.redirectUri,
      codeVerifier: authCodeFlow.codeVerifier,
      claimsChallenge: authCodeFlow.claimsChallenge,
      nonce: authCodeFlow.nonce,
      maxAge: authCodeFlow.maxAge,
      data: options.data,
    });
  }

  /**
   * Redeems an authorization code obtained elsewhere (MSAL's `acquire_token_by_authorization_code`).
   * Prefer the auth-code flow methods, which also check state and PKCE.
   */
  async acquireTokenByAuthorizationCode(
    code: string,
    scopes: string[],
    options: AuthorizationCodeOptions = {},
  ): Promise<AuthenticationResult> {
    checkOptionNames(options, OPTION_NAMES.authorizationCode, 'acquireTokenByAuthorizationCode');
    if (typeof code !== 'string' || code.length === 0) throw new AuthError('invalid_argument', 'code is required');
    return this.redeemCode(await this.getAuthority(), code, this.decorate(scopes), options);
  }

  /** The authorization_code grant shared by both auth-code methods: redeem, verify, store. */
  private async redeemCode(
    authority: Authority,
    code: string,
    scope: string[],
    options: { redirectUri?: string; codeVerifier?: string; claimsChallenge?: string; nonce?: string; maxAge?: number; data?: Record<string, string> },
  ): Promise<AuthenticationResult> {
    const correlationId = randomUuid();
    const sent = await authorizationCodeGrantRequest(this.tokenClient, authority, code, scope, {
      correlationId,
      redirectUri: options.redirectUri,
      codeVerifier: options.codeVerifier,
      claims: this.claimsFor(options.claimsChallenge),
      data: options.data,
    });
    const result = await processAuthorizationCodeResponse(this.tokenClient, authority, sent, { nonce: options.nonce, maxAge: options.maxAge });
    const profile = await this.accountProfileOf(authority, result);
    return this.storeAndBuildResult(authority, result, { scopes: scope, correlationId, profile, data: options.data });
  }

  /**
   * Migrates a refresh token obtained elsewhere: redeems it and stores what comes back, so that
   * the account and its tokens then appear in the cache (MSAL's `acquire_token_by_refresh_token`).
   */
  async acquireTokenByRefreshToken(refreshToken: string, scopes: string[], options: RefreshTokenOptions = {}): Promise<AuthenticationResult> {
    checkOptionNames(options, OPTION_NAMES.refreshToken, 'acquireTokenByRefreshToken');
    if (typeof refreshToken !== 'string' || refreshToken.length === 0) throw new AuthError('invalid_argument', 'refreshToken is required');
    const authority = await this.getAuthority();
    const scope = this.decorate(scopes);
    const correlationId = randomUuid();
    const sent = await refreshTokenGrantRequest(this.tokenClient, authority, refreshToken, scope, {
      correlationId,
      claims: this.claimsFor(undefined),
      data: options.data,
      caller: 'acquireTokenByRefreshToken',
    });
    const result = await processRefreshTokenResponse(this.tokenClient, authority, sent);
    return this.storeAndBuildResult(authority, result, { scopes: scope, correlationId, data: options.data });
  }

  /** Resource owner password credentials (not recommended; no MFA). */
  async acquireTokenByUsernamePassword(
    username: string,
    password: string,
    scopes: string[],
    options: UsernamePasswordOptions = {},
  ): Promise<AuthenticationResult> {
    checkOptionNames(options, OPTION_NAMES.usernamePassword, 'acquireTokenByUsernamePassword');
    refuseAuthScheme(options.authScheme, 'acquireTokenByUsernamePassword');
    if (typeof username !== 'string' || username.length === 0) throw new AuthError('invalid_argument', 'username is required');
    if (typeof password !== 'string') throw new AuthError('invalid_argument', 'password is required');
    const authority = await this.getAuthority();
    const scope = this.decorate(scopes);
    const correlationId = randomUuid();
    const sent = await passwordGrantRequest(this.tokenClient, authority, username, password, scope, {
      correlationId,
      claims: this.claimsFor(options.claimsChallenge),
      data: options.data,
      caller: 'acquireTokenByUsernamePassword',
    });
    const result = await processPasswordResponse(this.tokenClient, authority, sent);
    return this.storeAndBuildResult(authority, result, { scopes: scope, correlationId, data: { ...options.data, username } });
  }

  /**
   * Accounts in the cache that this app can use, optionally only those whose username matches
   * (case-insensitive).
   */
  async getAccounts(username?: string): Promise<Account[]> {
    const authority = await this.getAuthority();
    const environments = [...authority.aliases];
    // One pass in the cache, grouped by home account (see TokenCache.getAppAccounts): with
    // thousands of accounts, per-account lookups from here were the cost of this method.
    // An app the cache has never seen may be in the family (see refreshTokensToTry): its family's accounts are listed.
    const metadata = this.tokenCache.findAppMetadata({ environments, clientId: this.clientId });
    const familyId = metadata === undefined ? FIRST_PARTY_FAMILY_ID : metadata.family_id || undefined;
    const entities = this.tokenCache.getAppAccounts({ environments, clientId: this.clientId, familyId, username });
    return entities.map(toAccount);
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
  private refreshTokensToTry(homeAccountId: string, environments: string[]): { unknownApp: RefreshTokenEntity[]; known: RefreshTokenEntity[] } {
    const metadata = this.tokenCache.findAppMetadata({ environments, clientId: this.clientId });
    if (metadata !== undefined) {
      return { unknownApp: [], known: this.tokenCache.findRefreshTokens({ homeAccountId, environments, clientId: this.clientId, familyId: metadata.family_id || undefined }) };
    }
    const family = this.tokenCache
      .findRefreshTokens({ homeAccountId, environments, clientId: this.clientId, familyId: FIRST_PARTY_FAMILY_ID })
      .filter((entry) => entry.family_id?.toLowerCase() === FIRST_PARTY_FAMILY_ID);
    const own = this.tokenCache
      .findRefreshTokens({ homeAccountId, environments, clientId: this.clientId })
      .filter((entry) => !family.some((tried) => tried.secret === entry.secret));
    return { unknownApp: family, known: own };
  }

  /** Signs the account out of this app and forgets it: its tokens, ID tokens and account entries. */
  async removeAccount(account: Account): Promise<void> {
    if (!account?.homeAccountId) throw new AuthError('invalid_argument', 'removeAccount needs an account from getAccounts()');
    const authority = await this.getAuthority();
    this.tokenCache.removeAccountData({ homeAccountId: account.homeAccountId, environments: [...authority.aliases], clientId: this.clientId });
    this.log.info(`removed account ${this.log.pii(account.username)}`);
  }

  /**
   * A token without user interaction: from the cache while valid, else by redeeming the refresh
   * token. Resolves `undefined` when no token can be had silently (empty cache, or the refresh
   * was refused); transport errors still reject.
   */
  async acquireTokenSilent(scopes: string[], account: Account | undefined, options: SilentOptions = {}): Promise<AuthenticationResult | undefined> {
    try {
      return await this.acquireTokenSilentWithError(scopes, account, options);
    } catch (err) {
      if (err instanceof ServerError) {
        this.log.verbose(`silent acquisition found no usable token: ${err.error}`);
        return undefined;
      }
      throw err;
    }
  }

  /**
   * Like {@link acquireTokenSilent}, but a refused refresh rejects with the server's typed error
   * (use `isInteractionRequired(err)` to decide whether to prompt). Resolves `undefined` only
   * when the cache holds nothing for this account.
   */
  async acquireTokenSilentWithError(scopes: string[], account: Account | undefined, options: SilentOptions = {}): Promise<AuthenticationResult | undefined> {
    checkOptionNames(options, OPTION_NAMES.silent, 'acquireTokenSilent');
    refuseAuthScheme(options.authScheme, 'acquireTokenSilent');
    validateScopes(scopes);
    if (!account) return undefined;
    const authority = options.authority === undefined ? await this.getAuthority() : await this.otherAuthority(options.authority);
    const correlationId = randomUuid();
    let fallback: AuthenticationResult | undefined;
    if (!options.forceRefresh && !options.claimsChallenge) {
      // No scopes means the OpenID scopes alone: a token for the userinfo endpoint, cached like any other.
      const query = {
        homeAccountId: account.homeAccountId,
        environments: [...authority.aliases],
        clientId: this.clientId,
        scopes: searchScopesFor(scopes, this.options.excludeScopes),
        // A key-bound token (MSAL's `data.key_id`, an SSH certificate) is served only to a request naming its key.
        tokenType: options.data?.token_type,
        keyId: options.data?.key_id,
      };
      let found: AccessTokenEntity | undefined;
      for (const realm of realmsToSearch(authority, account)) {
        found = this.tokenCache.findAccessToken({ ...query, realm });
        if (found) break;
      }
      const state = found && cachedTokenState(found);
      if (found && state !== 'expired') {
        const cached = this.resultFromCache(found, authority, account, correlationId);
        if (state === 'valid') return cached;
        // Past refresh_on: try to refresh now, keep the still valid token in hand if that fails.
        fallback = cached;
      }
    }
    const key = JSON.stringify([account.homeAccountId, authority.url, [...scopes].map((s) => s.toLowerCase()).sort(), options.claimsChallenge ?? '', !!options.forceRefresh, options.data ?? {}]);
    let refresh = this.refreshesInFlight.get(key);
    if (!refresh) {
      refresh = this.refreshSilently(authority, account, scopes, options, correlationId).finally(() => this.refreshesInFlight.delete(key));
      this.refreshesInFlight.set(key, refresh);
    }
    try {
      return (await refresh) ?? fallback;
    } catch (err) {
      if (fallback) {
        this.log.warning(`proactive refresh failed, serving the cached token: ${err instanceof AuthError ? err.code : 'error'}`);
        return fallback;
      }
      throw err;
    }
  }

  private async refreshSilently(
    authority: Authority,
    account: Account,
    scopes: string[],
    options: SilentOptions,
    correlationId: string,
  ): Promise<AuthenticationResult | undefined> {
    const { unknownApp, known } = this.refreshTokensToTry(account.homeAccountId, [...authority.aliases]);
    if (unknownApp.length === 0 && known.length === 0) return undefined;
    const scope = this.decorate(scopes);
    const redeem = async (entry: RefreshTokenEntity) => {
      const sent = await refreshTokenGrantRequest(this.tokenClient, authority, entry.secret, scope, {
        correlationId,
        claims: this.claimsFor(options.claimsChallenge),
        data: options.data,
        caller: 'acquireTokenSilent',
        homeAccountId: account.homeAccountId,
      });
      const result = await processRefreshTokenResponse(this.tokenClient, authority, sent);
      return this.storeAndBuildResult(authority, result, { scopes: scope, correlationId, refreshOf: account.homeAccountId, data: options.data });
    };
    for (const entry of unknownApp) {
      try {
        return await redeem(entry);
      } catch (err) {
        if (!(err instanceof ServerError)) throw err;
        this.log.verbose(`the family refresh token was refused to this app: ${err.error}`);
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
        this.log.verbose(`refresh failed: ${err.error}`);
        // Kept, it would be sent again on every silent call only to be refused again.
        if (isRefreshTokenDead(err)) this.tokenCache.removeRefreshToken(entry);
      }
    }
    throw lastError;
  }

  /**
   * The claims of a cached ID token, decoded once per cache entry rather than on every silent
   * hit, where decoding was the largest cost (bench/, figure 1). Each result gets its own
   * shallow copy. The entry's secret is compared too, in case an entry object was changed in place.
   */
  private idTokenClaimsOf(entry: IdTokenEntity): JWTPayload | undefined {
    let decoded = this.decodedIdTokens.get(entry);
    // Not `decoded?.secret !== entry.secret`: an entry without a secret (a damaged cache) would match nothing decoded.
    if (decoded === undefined || decoded.secret !== entry.secret) {
      decoded = { secret: entry.secret, claims: safeDecode(entry.secret) };
      this.decodedIdTokens.set(entry, decoded);
    }
    return decoded.claims && { ...decoded.claims };
  }

  /** A result from a cached access token; `account` undefined for app-only tokens. */
  protected resultFromCache(entry: AccessTokenEntity, authority: Authority, account: Account | undefined, correlationId: string): AuthenticationResult {
    const expiresOn = Number(entry.expires_on);
    const idToken = account
      ? this.tokenCache.findIdToken({ homeAccountId: account.homeAccountId, environments: [...authority.aliases], clientId: this.clientId, realm: entry.realm })
      : undefined;
    return {
      accessToken: entry.secret,
      tokenType: entry.token_type ?? 'Bearer',
      expiresIn: expiresOn - nowSeconds(),
      expiresOn: new Date(expiresOn * 1000),
      extExpiresOn: dateFromSeconds(entry.extended_expires_on),
      refreshOn: dateFromSeconds(entry.refresh_on),
      idToken: idToken?.secret,
      idTokenClaims: idToken ? this.idTokenClaimsOf(idToken) : undefined,
      account,
      scopes: parseScopeString(entry.target),
      tokenSource: 'cache',
      correlationId,
    };
  }

  /**
   * At a user's sign-in (auth code, device code), the account's name from the userinfo endpoint
   * when the ID token names nobody: one request then, none otherwise, and never a failure (see
   * userinfo.ts). Not for refreshes, which do not recreate the account, nor app-only grants.
   * Without the library's x-client-* headers: in a browser they would make the request need a
   * CORS preflight that userinfo endpoints need not answer.
   */
  protected accountProfileOf(authority: Authority, grant: TokenGrantResult): Promise<AccountProfile | undefined> {
    const endpoint = authority.metadata['userinfo_endpoint'];
    return lookUpAccountProfile(typeof endpoint === 'string' ? endpoint : undefined, grant.response, grant.idTokenClaims, {
      pipeline: this.pipeline,
      log: this.log,
    });
  }

  /** Stores a token response in the cache and builds the caller's result. */
  protected storeAndBuildResult(authority: Authority, grant: TokenGrantResult, options: StoreOptions): AuthenticationResult {
    const { grantType, response, idTokenClaims } = grant;
    const { correlationId, data, refreshOf } = options;
    // RFC 6749 §5.1: no scope means the requested ones; an empty one is read the same way (oidc-provider
    // answers `""` to a refresh for the OpenID scopes alone), or the token could never be found again.
    const granted = response.scope !== undefined && response.scope.trim() !== '' ? parseScopeString(response.scope) : options.scopes;
    const written = this.tokenCache.add({
      clientId: this.clientId,
      scope: granted,
      tokenEndpoint: authority.metadata.token_endpoint,
      response,
      environment: authority.instance,
      aliases: authority.aliases,
      realm: cacheRealmOf(authority),
      authorityType: authority.type === 'OIDC' ? 'Generic' : authority.type === 'ADFS' ? 'ADFS' : 'MSSTS',
      idTokenClaims: idTokenClaims as Record<string, unknown> | undefined,
      data,
      grantType,
      // A concurrent removeAccount() must win: a refresh does not recreate the account.
      skipAccountCreation: refreshOf !== undefined,
      homeAccountId: refreshOf,
      profile: options.profile,
    });
    const issuedAt = nowSeconds();
    const homeAccountId = written.homeAccountId;
    const accountEntity = homeAccountId
      ? this.tokenCache.getAccounts({ homeAccountId, environments: [authority.instance] })[0]
      : undefined;
    const scopes = granted;
    return {
      accessToken: response.access_token,
      tokenType: response.token_type,
      expiresIn: response.expires_in,
      expiresOn: new Date((issuedAt + response.expires_in) * 1000),
      extExpiresOn: response.ext_expires_in !== undefined ? new Date((issuedAt + response.ext_expires_in) * 1000) : undefined,
      refreshOn: response.refresh_in !== undefined ? new Date((issuedAt + response.refresh_in) * 1000) : undefined,
      idToken: response.id_token,
      idTokenClaims,
      account: accountEntity ? toAccount(accountEntity) : homeAccountId ? accountFromClaims(homeAccountId, authority, idTokenClaims, data) : undefined,
      scopes,
      tokenSource: 'identity_provider',
      correlationId,
    };
  }
}

/** How {@link ClientApplication.storeAndBuildResult} files a token response. */
interface StoreOptions {
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
}

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

function toAccount(entity: AccountEntity): Account {
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
    authorityType: authority.type === 'ADFS' ? 'ADFS' : 'MSSTS',
  };
}

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
    super(options);
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
    const result = await redeemDeviceCode(this.tokenClient, authority, flow, {
      correlationId,
      claims: this.claimsFor(options.claimsChallenge ?? flow.claimsChallenge),
      data: options.data,
      caller: 'acquireTokenByDeviceFlow',
      signal: options.signal,
      exitCondition: options.exitCondition,
    });
    const profile = await this.accountProfileOf(authority, result);
    return this.storeAndBuildResult(authority, result, { scopes: flow.scope, correlationId, profile, data: options.data });
  }
}

/** An app that runs on a server and keeps a secret or a certificate. */
export class ConfidentialClientApplication extends ClientApplication {
  constructor(options: ClientApplicationOptions) {
    if (options?.clientCredential === undefined) {
      throw new AuthError('invalid_argument', 'a confidential client application needs a clientCredential');
    }
    super(options);
  }

  /** The regional token endpoint for client credentials, when `azureRegion` (or `MSAL_FORCE_REGION`) asks for one. */
  private regionalTokenEndpoint(authority: Authority): string | undefined {
    if (authority.type !== 'AAD') return undefined;
    return regionalTokenEndpoint(authority, regionToUse(this.options.azureRegion, this.platform, this.log));
  }

  /** An app-only token (client credentials), served from the cache while valid. */
  async acquireTokenForClient(scopes: string[], options: ClientCredentialsOptions = {}): Promise<AuthenticationResult> {
    checkOptionNames(options, OPTION_NAMES.clientCredentials, 'acquireTokenForClient');
    clientCredentialsForm(scopes, { data: options.data, caller: 'acquireTokenForClient' }); // refused before the cache is read
    validateScopes(scopes);
    const authority = await this.getAuthority();
    const correlationId = randomUuid();
    if (!options.claimsChallenge && !options.forceRefresh) {
      const found = this.tokenCache.findAppOnlyAccessToken({ environments: [...authority.aliases], clientId: this.clientId, realm: cacheRealmOf(authority), scopes });
      const state = found && cachedTokenState(found);
      if (found && state !== 'expired') {
        const cached = this.resultFromCache(found, authority, undefined, correlationId);
        if (state === 'valid') return cached;
        try {
          return await this.requestForClient(authority, scopes, options, correlationId);
        } catch {
          return cached;
        }
      }
    }
    return this.requestForClient(authority, scopes, options, correlationId);
  }

  private async requestForClient(authority: Authority, scopes: string[], options: ClientCredentialsOptions, correlationId: string) {
    const sent = await clientCredentialsGrantRequest(this.tokenClient, authority, scopes, {
      correlationId,
      claims: this.claimsFor(options.claimsChallenge),
      data: options.data,
      caller: 'acquireTokenForClient',
      tokenEndpoint: this.regionalTokenEndpoint(authority),
    });
    const result = await processClientCredentialsResponse(this.tokenClient, authority, sent);
    return this.storeAndBuildResult(authority, result, { scopes, correlationId, data: options.data });
  }

  /** Exchanges the access token a caller sent to this API for a token to a downstream API. */
  async acquireTokenOnBehalfOf(userAssertion: string, scopes: string[], options: OnBehalfOfOptions = {}): Promise<AuthenticationResult> {
    checkOptionNames(options, OPTION_NAMES.onBehalfOf, 'acquireTokenOnBehalfOf');
    if (typeof userAssertion !== 'string' || userAssertion.length === 0) throw new AuthError('invalid_argument', 'userAssertion is required');
    const authority = await this.getAuthority();
    // Decorated so that a refresh token and an ID token come back, as MSAL does.
    const scope = this.decorate(scopes);
    const correlationId = randomUuid();
    const sent = await onBehalfOfGrantRequest(this.tokenClient, authority, userAssertion, scope, {
      correlationId,
      claims: this.claimsFor(options.claimsChallenge),
      data: options.data,
      caller: 'acquireTokenOnBehalfOf',
    });
    const result = await processOnBehalfOfResponse(this.tokenClient, authority, sent);
    return this.storeAndBuildResult(authority, result, { scopes: scope, correlationId, data: options.data });
  }

  /** Removes this app's app-only tokens (those of client credentials) from the cache. */
  async removeTokensForClient(): Promise<void> {
    const authority = await this.getAuthority();
    this.tokenCache.removeAppOnlyTokens({ environments: [...authority.aliases], clientId: this.clientId });
  }
}
