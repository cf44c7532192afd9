/**
 * MSAL's {@link ClientApplication}: what public and confidential clients share — the authority,
 * the cache, the auth-code flow, refresh-token migration, silent acquisition and the accounts.
 * It checks the caller's arguments and hands the work to the grant modules (grants/), silent
 * acquisition (silent-acquisition.ts) and result building (authentication-result.ts).
 * `PublicClientApplication` and `ConfidentialClientApplication` extend it in their own files and
 * hand it their client authentication: what only a confidential client uses (its credential,
 * regions) stays in its file, out of the public build.
 */
import type { Account, AuthenticationResult } from './account.js';
import { type Authority, type AuthorityOptions, parseAuthority, resolveAuthority } from './authority.js';
import { storeAndBuildResult, type StoreOptions, toAccount } from './authentication-result.js';
import { TokenCache } from './cache/token-cache.js';
import { mergeClaims } from './claims.js';
import type { ClientAuth } from './client-auth.js';
import type { ClientCredential } from './client-credential.js';
import { randomUuid } from './crypto.js';
import { DpopNonces } from './dpop.js';
import { checkDpopOptions, type DpopBinding, type DpopKeyOwner, dpopKeyOwnerOf, type DpopOptions, isDpopTokenType, issuerSupportsDpop } from './dpop-keys.js';
import { AuthError, ServerError } from './errors.js';
import { type AuthCodeFlow, authorizationCodeGrantRequest, buildAuthorizationUrl, checkAuthorizationResponse, createAuthCodeFlow, processAuthorizationCodeResponse } from './grants/authorization-code.js';
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
  OPTION_NAMES,
  refuseAuthScheme,
  type RefreshTokenOptions,
  type UsernamePasswordOptions,
} from './options.js';
import type { Platform, Proxies } from './platform.js';
import { type AuthorizedResourceRequest, authorizeResourceRequest, decideResourceRetry } from './resource-request.js';
import type { DpopRetryDecision } from './dpop.js';
import { decorateScopes, validateScopes } from './scopes.js';
import { acquireSilently, FIRST_PARTY_FAMILY_ID, RefreshesInFlight, type SilentOptions } from './silent-acquisition.js';
import { TokenClient, type TokenGrantResult } from './token-client.js';
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
  /**
   * DPoP (RFC 9449): with an issuer whose metadata lists ES256 in
   * `dpop_signing_alg_values_supported`, every token request carries a proof of the account's key,
   * tokens come back as `token_type: DPoP` bound to it, and refresh tokens with them. `keys` keeps
   * a key per account (`new MemoryDpopKeyStore()`, or one that outlives the process beside a
   * persisted token cache). Other issuers get Bearer requests, as without this option.
   */
  dpop?: DpopOptions;
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

/** `azureRegion: true`: detect the region (MSAL's `ATTEMPT_REGION_DISCOVERY`; the string `TryAutoDetect` still works). */
export const ATTEMPT_REGION_DISCOVERY = true;

/** The broker switches of MSAL for Python's applications; none has an effect here (no broker). */
const BROKER_OPTIONS = ['allowBroker', 'enableBrokerOnWindows', 'enableBrokerOnMac', 'enableBrokerOnLinux', 'enableBrokerOnWsl'] as const;

/** The broker switches `options` turns on: a public client logs that there is no broker, a confidential one refuses them. */
export function brokerSwitchesOn(options: ClientApplicationOptions): string[] {
  return BROKER_OPTIONS.filter((name) => options[name]);
}

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
  #authorityPromise?: Promise<Authority>;
  /** Authorities given to silent calls, by URL (see otherAuthority). */
  readonly #otherAuthorities = new Map<string, Promise<Authority>>();
  /** Refreshes under way, so concurrent silent calls needing the same refresh share one request. */
  readonly #refreshesInFlight = new RefreshesInFlight();
  /** The token endpoints' DPoP nonces (RFC 9449 §8), by origin. */
  readonly #tokenEndpointNonces = new DpopNonces();
  /** The resources' DPoP nonces (§9), by origin: see {@link authorizeResourceRequest}. */
  readonly #resourceNonces = new DpopNonces();

  /**
   * `clientAuth` is the subclass's: a public client sends its id alone, a confidential one
   * authenticates with its `clientCredential`.
   */
  protected constructor(options: ClientApplicationOptions, clientAuth: ClientAuth) {
    checkOptionNames(options, OPTION_NAMES.application, 'the application');
    if (typeof options?.clientId !== 'string' || options.clientId.length === 0) {
      throw new AuthError('invalid_argument', 'clientId is required');
    }
    if (options.authority !== undefined && options.oidcAuthority !== undefined) {
      throw new AuthError('invalid_argument', 'set authority or oidcAuthority, not both');
    }
    if (options.excludeScopes !== undefined) validateScopes(options.excludeScopes, 'excludeScopes');
    checkDpopOptions(options.dpop);
    parseAuthority(options); // fail fast on a malformed authority, before any request
    this.options = options;
    this.clientId = options.clientId;
    this.platform = options.platform ?? {};
    this.tokenCache = options.tokenCache ?? new TokenCache();
    this.httpCache = options.httpCache ?? new Map<string, unknown>();
    this.log = new LogContext(options.logger, options.enablePiiLog === true);
    const fetchLike = options.httpClient ?? this.#defaultHttpClient(options);
    this.pipeline = new HttpPipeline(fetchLike, this.httpCache);
    this.tokenClient = new TokenClient({
      clientId: options.clientId,
      clientAuth,
      pipeline: this.pipeline,
      validator: new IdTokenValidator(this.pipeline, this.httpCache),
      log: this.log,
      appName: options.appName,
      appVersion: options.appVersion,
    });
  }

  #defaultHttpClient(options: ClientApplicationOptions): FetchLike {
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
  #otherAuthority(given: AuthorityOption): Promise<Authority> {
    const other = parseAuthority({ ...this.options, oidcAuthority: undefined, authority: given });
    const key = other.url.toString();
    let found = this.#otherAuthorities.get(key);
    if (!found) {
      found = this.getAuthority().then((own) => {
        if (own.type !== other.type || !own.aliases.includes(other.url.host)) {
          throw new AuthError('invalid_argument', `the authority of a silent call must be another tenant of ${own.instance}, the application's cloud`);
        }
        return resolveAuthority({ ...this.options, oidcAuthority: undefined, authority: key }, this.pipeline, this.httpCache, this.log);
      });
      found.catch(() => this.#otherAuthorities.delete(key));
      this.#otherAuthorities.set(key, found);
    }
    return found;
  }

  /** The resolved authority (discovery happens once, on first use). */
  protected getAuthority(): Promise<Authority> {
    this.#authorityPromise ??= resolveAuthority(this.options, this.pipeline, this.httpCache, this.log).catch((err: unknown) => {
      this.#authorityPromise = undefined; // a failed discovery is retried on the next call
      throw err;
    });
    return this.#authorityPromise;
  }

  protected claimsFor(claimsChallenge?: string): string | undefined {
    return mergeClaims(this.options.clientCapabilities, claimsChallenge);
  }

  protected decorate(scopes: string[]): string[] {
    return decorateScopes(scopes, this.clientId, this.options.excludeScopes);
  }

  /**
   * MSAL for Python's `is_pop_supported`: whether proof-of-possession tokens can be had here. They
   * can where WebCrypto signs (DPoP, see the `dpop` option); MSAL's broker PoP (`authScheme`) is
   * still refused, there being no broker.
   */
  isPopSupported(): boolean {
    return typeof globalThis.crypto?.subtle?.sign === 'function';
  }

  /**
   * The DPoP key a token request of `owner` signs with, when the application has DPoP on and the
   * issuer takes ES256 proofs: the owner's kept key, else a new one (a first sign-in, which then
   * keeps it, see {@link storeResult}). Undefined otherwise: the request is a Bearer one.
   */
  protected async dpopBinding(authority: Authority, owner?: DpopKeyOwner): Promise<DpopBinding | undefined> {
    const keys = this.options.dpop?.keys;
    if (!keys || !issuerSupportsDpop(authority)) return undefined;
    const key = (owner && (await keys.get(owner))) ?? (await keys.create());
    return { key, nonces: this.#tokenEndpointNonces };
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
      // RFC 9449 §10: the code is bound to the key, so that only its holder can redeem it.
      dpopKey: (await this.dpopBinding(authority))?.key,
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
    return this.#redeemCode(authority, code, options.scopes ? this.decorate(options.scopes) : authCodeFlow.scope, {
      redirectUri: authCodeFlow.redirectUri,
      codeVerifier: authCodeFlow.codeVerifier,
      claimsChallenge: authCodeFlow.claimsChallenge,
      nonce: authCodeFlow.nonce,
      maxAge: authCodeFlow.maxAge,
      data: options.data,
      dpop: authCodeFlow.dpopKey && issuerSupportsDpop(authority) ? { key: authCodeFlow.dpopKey, nonces: this.#tokenEndpointNonces } : await this.dpopBinding(authority),
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
    const authority = await this.getAuthority();
    return this.#redeemCode(authority, code, this.decorate(scopes), { ...options, dpop: await this.dpopBinding(authority) });
  }

  /** The authorization_code grant shared by both auth-code methods: redeem, verify, store. */
  async #redeemCode(
    authority: Authority,
    code: string,
    scope: string[],
    options: { redirectUri?: string; codeVerifier?: string; claimsChallenge?: string; nonce?: string; maxAge?: number; data?: Record<string, string>; dpop?: DpopBinding },
  ): Promise<AuthenticationResult> {
    const correlationId = randomUuid();
    const sent = await authorizationCodeGrantRequest(this.tokenClient, authority, code, scope, {
      correlationId,
      redirectUri: options.redirectUri,
      codeVerifier: options.codeVerifier,
      claims: this.claimsFor(options.claimsChallenge),
      data: options.data,
      dpop: options.dpop,
    });
    const result = await processAuthorizationCodeResponse(this.tokenClient, authority, sent, { nonce: options.nonce, maxAge: options.maxAge });
    const profile = await this.accountProfileOf(authority, result);
    return this.storeResult(authority, result, { scopes: scope, correlationId, profile, data: options.data }, options.dpop);
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
    const dpop = await this.dpopBinding(authority);
    const sent = await refreshTokenGrantRequest(this.tokenClient, authority, refreshToken, scope, {
      correlationId,
      claims: this.claimsFor(undefined),
      data: options.data,
      caller: 'acquireTokenByRefreshToken',
      dpop,
    });
    const result = await processRefreshTokenResponse(this.tokenClient, authority, sent);
    return this.storeResult(authority, result, { scopes: scope, correlationId, data: options.data }, dpop);
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
    const dpop = await this.dpopBinding(authority);
    const sent = await passwordGrantRequest(this.tokenClient, authority, username, password, scope, {
      correlationId,
      claims: this.claimsFor(options.claimsChallenge),
      data: options.data,
      caller: 'acquireTokenByUsernamePassword',
      dpop,
    });
    const result = await processPasswordResponse(this.tokenClient, authority, sent);
    return this.storeResult(authority, result, { scopes: scope, correlationId, data: { ...options.data, username } }, dpop);
  }

  /**
   * Accounts in the cache that this app can use, optionally only those whose username matches
   * (case-insensitive).
   */
  async getAccounts(username?: string): Promise<Account[]> {
    const authority = await this.getAuthority();
    const environments = authority.aliases;
    // One pass in the cache, grouped by home account (see TokenCache.getAppAccounts): with
    // thousands of accounts, per-account lookups from here were the cost of this method.
    // An app the cache has never seen may be in the family (see refreshTokensToTry): its family's accounts are listed.
    const metadata = this.tokenCache.findAppMetadata({ environments, clientId: this.clientId });
    const familyId = metadata === undefined ? FIRST_PARTY_FAMILY_ID : metadata.family_id || undefined;
    const entities = this.tokenCache.getAppAccounts({ environments, clientId: this.clientId, familyId, username });
    return entities.map(toAccount);
  }

  /** Signs the account out of this app and forgets it: its tokens, ID tokens and account entries. */
  async removeAccount(account: Account): Promise<void> {
    if (!account?.homeAccountId) throw new AuthError('invalid_argument', 'removeAccount needs an account from getAccounts()');
    const authority = await this.getAuthority();
    this.tokenCache.removeAccountData({ homeAccountId: account.homeAccountId, environments: authority.aliases, clientId: this.clientId });
    await this.options.dpop?.keys.remove(dpopKeyOwnerOf(account));
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
    const authority = options.authority === undefined ? await this.getAuthority() : await this.#otherAuthority(options.authority);
    const dpop = await this.dpopBinding(authority, dpopKeyOwnerOf(account));
    return acquireSilently(
      {
        tokenCache: this.tokenCache,
        tokenClient: this.tokenClient,
        clientId: this.clientId,
        excludeScopes: this.options.excludeScopes,
        log: this.log,
        refreshesInFlight: this.#refreshesInFlight,
        decorate: (given) => this.decorate(given),
        claimsFor: (challenge) => this.claimsFor(challenge),
        storeResult: (...args) => this.storeResult(...args),
      },
      { authority, account, scopes, options, correlationId: randomUuid(), dpop },
    );
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

  /**
   * Stores a token response in this application's cache and builds the caller's result. A DPoP
   * token is filed bound to the key the request was signed with, and that key is kept as its
   * account's (or, for an app-only token, the app's): the refresh token is bound to it too.
   */
  protected async storeResult(authority: Authority, grant: TokenGrantResult, options: StoreOptions, dpop?: DpopBinding): Promise<AuthenticationResult> {
    const bound = dpop !== undefined && isDpopTokenType(grant.response.token_type);
    const result = storeAndBuildResult(this, authority, grant, { ...options, dpopKeyId: bound ? dpop.key.thumbprint : undefined });
    if (bound) await this.options.dpop?.keys.save(this.#dpopKeyOwner(result.account, authority), dpop.key);
    return result;
  }

  #dpopKeyOwner(account: Account | undefined, authority: Authority): DpopKeyOwner {
    return account ? dpopKeyOwnerOf(account) : { homeAccountId: '', environment: authority.instance };
  }

  /**
   * The headers that present a result's access token to a resource at `request.url`: `Bearer`,
   * or for a DPoP token `DPoP` with a fresh proof of its account's key (`ath`, the resource's
   * latest nonce). Send them, then ask {@link decideResourceRetry} about the answer.
   */
  async authorizeResourceRequest(result: AuthenticationResult, request: { method: string; url: string }): Promise<AuthorizedResourceRequest> {
    const dpopKey = isDpopTokenType(result.tokenType)
      ? await this.options.dpop?.keys.get(this.#dpopKeyOwner(result.account, await this.getAuthority()))
      : undefined;
    return authorizeResourceRequest({ accessToken: result.accessToken, tokenType: result.tokenType, dpopKey }, request, this.#resourceNonces);
  }

  /**
   * After a resource answered a request {@link authorizeResourceRequest} authorized: keeps its
   * DPoP nonce, and says whether to authorize and send it once more (`401 use_dpop_nonce`). Pass
   * `retried: true` for the answer to that retry: asking again is a `dpop_nonce_loop` error.
   */
  decideResourceRetry(
    url: string,
    response: { status: number; headers: { get(name: string): string | null } },
    sent: AuthorizedResourceRequest,
    options: { retried?: boolean } = {},
  ): DpopRetryDecision {
    return decideResourceRetry(url, response, sent, this.#resourceNonces, options);
  }
}
