/**
 * Option objects checked by name. MSAL for Python refuses a keyword argument it does not know
 * (a `TypeError`); JavaScript would silently drop a misspelt or unsupported option instead, and
 * the caller would get a token made without it (another tenant's cache, no regional endpoint, a
 * Bearer token where a PoP token was meant). So every option object the applications take is
 * checked here against the names it knows, and an unknown name is refused with `invalid_argument`
 * naming it. The name lists are objects typed `Record<keyof Options, true>`: adding an option to
 * an interface without adding it here does not compile.
 *
 * This file also holds the checks of option values that several methods share: MSAL's `data`
 * (extra token-request body parameters) and `authScheme` (which needs a broker).
 */
import type { AuthCodeFlowOptions, ClientApplicationOptions } from './client-application.js';
import type { DeviceFlowOptions, InteractiveOptions } from './public-client-application.js';
import type { SilentOptions } from './silent-acquisition.js';
import type { AuthorityBuilder } from './authority.js';
import { AuthError } from './errors.js';
import { isJsonObject, setMember } from './json.js';

/** The names an options object may carry; `true` for each. */
export type OptionNames<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Refuses an options object with a name not in `known`. An absent object (undefined) passes; a
 * non-object is refused too: `acquireTokenSilent(scopes, account, true)` is a mistake, not a default.
 */
export function checkOptionNames(options: unknown, known: Readonly<Record<string, true>>, where: string): void {
  if (options === undefined) return;
  if (!isJsonObject(options)) {
    throw new AuthError('invalid_argument', `${where}: the options must be an object`);
  }
  const unknown = Object.keys(options).filter((name) => !Object.hasOwn(known, name));
  if (unknown.length > 0) {
    throw new AuthError('invalid_argument', `${where} does not take ${unknown.map((name) => `'${name}'`).join(', ')} (unknown option${unknown.length > 1 ? 's' : ''})`);
  }
}

/** MSAL for Python's `auth_scheme`: this library has no broker, which proof-of-possession needs. */
export function refuseAuthScheme(authScheme: unknown, where: string): void {
  if (authScheme === undefined || authScheme === null) return;
  throw new AuthError(
    'not_supported',
    `${where}: authScheme (proof-of-possession) is only available through a broker, and this library has none; as MSAL for Python without a broker, it is refused rather than answered with a Bearer token`,
  );
}

/**
 * Form parameters the library sets itself on token requests, whatever the grant: `data` may not
 * replace them (a client_id, grant or client authentication from `data` would silently change who
 * asks for what). Grant parameters (`code`, `refresh_token`, `scope`, ...) are refused through
 * the request's own names in {@link mergeRequestData}.
 */
const LIBRARY_TOKEN_PARAMETERS: readonly string[] = [
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'grant_type',
  'scope',
  'claims',
  'client_info',
];

/**
 * Refuses extra parameters (`what`: the option that carries them) naming one the library sets
 * itself, compared without case: which of the two would be sent is an accident of spelling.
 */
export function refuseOwnedParameters(extra: Record<string, string> | undefined, owned: readonly string[], what: string): void {
  const names = Object.keys(extra ?? {}).filter((name) => owned.includes(name.toLowerCase()));
  if (names.length > 0) throw new AuthError('invalid_argument', `${what} may not set ${names.join(', ')}: the library sets it`);
}

/**
 * MSAL's `data`: extra parameters for the token request body (`token_type`, `req_cnf` and `key_id`
 * of an SSH certificate request, a server's own parameters). Values must be strings; names the
 * library sets for this request (those of `params`, and {@link LIBRARY_TOKEN_PARAMETERS}) are
 * refused with `invalid_argument`, compared without case.
 */
export function mergeRequestData(
  params: Record<string, string | undefined>,
  data: Record<string, string> | undefined,
  where: string,
): Record<string, string | undefined> {
  if (data === undefined) return params;
  if (!isJsonObject(data)) throw new AuthError('invalid_argument', `${where}: data must be an object of strings`);
  refuseOwnedParameters(data, [...LIBRARY_TOKEN_PARAMETERS, ...Object.keys(params).map((name) => name.toLowerCase())], `${where}: data`);
  const merged = { ...params };
  for (const [name, value] of Object.entries(data)) {
    if (typeof value !== 'string') throw new AuthError('invalid_argument', `${where}: data.${name} must be a string`);
    setMember(merged, name, value);
  }
  return merged;
}

/** The option of silent calls naming another authority (tenant) than the application's. */
export type AuthorityOption = string | AuthorityBuilder;

/** Options of {@link ClientApplication.getAuthorizationRequestUrl} (MSAL's `get_authorization_request_url`). */
export interface AuthorizationRequestUrlOptions extends AuthCodeFlowOptions {
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256';
  /**
   * `code` (default), or another response type such as `id_token` or `token` for an implicit
   * grant, as MSAL for Python allows here (not recommended; this method checks nothing that comes back).
   */
  responseType?: string;
}

/** MSAL's `data`: extra token-request body parameters (see {@link mergeRequestData}). */
export interface RequestDataOption {
  data?: Record<string, string>;
}

export interface AuthCodeFlowRedeemOptions extends RequestDataOption {
  scopes?: string[];
}

export interface AuthorizationCodeOptions extends RequestDataOption {
  redirectUri?: string;
  nonce?: string;
  claimsChallenge?: string;
  codeVerifier?: string;
}

export type RefreshTokenOptions = RequestDataOption;

export interface UsernamePasswordOptions extends RequestDataOption {
  claimsChallenge?: string;
  /** Refused: proof-of-possession needs a broker (see {@link refuseAuthScheme}). */
  authScheme?: unknown;
}

export interface DeviceFlowInitiateOptions {
  claimsChallenge?: string;
  /** Extra parameters of the device authorization request's form (Auth0's `audience`). */
  extraParameters?: Record<string, string>;
}

export interface ClientCredentialsOptions extends RequestDataOption {
  claimsChallenge?: string;
  forceRefresh?: boolean;
}

export interface OnBehalfOfOptions extends RequestDataOption {
  claimsChallenge?: string;
}

/**
 * The names each options object takes. The compiler holds them to the interfaces: a name missing
 * here, or here and not there, fails the build.
 */
/** What an authorization request takes, whoever sends the browser there (the auth-code flow, the interactive sign-in). */
const AUTHORIZATION_OPTION_NAMES = {
  prompt: true, loginHint: true, domainHint: true, claimsChallenge: true, maxAge: true, extraQueryParameters: true, extraScopesToConsent: true,
} as const satisfies OptionNames<Pick<AuthCodeFlowOptions & InteractiveOptions, 'prompt' | 'loginHint' | 'domainHint' | 'claimsChallenge' | 'maxAge' | 'extraQueryParameters' | 'extraScopesToConsent'>>;

const AUTH_CODE_FLOW_OPTION_NAMES = {
  ...AUTHORIZATION_OPTION_NAMES, redirectUri: true, state: true, responseMode: true,
} as const satisfies OptionNames<AuthCodeFlowOptions>;

export const OPTION_NAMES = {
  application: {
    clientId: true, clientCredential: true, authority: true, oidcAuthority: true, validateAuthority: true, instanceDiscovery: true,
    allowInsecureLoopbackAuthority: true, tokenCache: true, httpClient: true, verify: true, proxies: true, timeout: true,
    clientClaims: true, appName: true, appVersion: true, clientCapabilities: true, azureRegion: true, excludeScopes: true,
    httpCache: true, enablePiiLog: true, logger: true, dpop: true, platform: true, allowBroker: true, enableBrokerOnWindows: true,
    enableBrokerOnMac: true, enableBrokerOnLinux: true, enableBrokerOnWsl: true,
  } satisfies OptionNames<ClientApplicationOptions>,
  silent: { forceRefresh: true, claimsChallenge: true, authority: true, authScheme: true, data: true } satisfies OptionNames<SilentOptions>,
  authCodeFlow: AUTH_CODE_FLOW_OPTION_NAMES,
  authorizationRequestUrl: {
    ...AUTH_CODE_FLOW_OPTION_NAMES, nonce: true, codeChallenge: true, codeChallengeMethod: true, responseType: true,
  } satisfies OptionNames<AuthorizationRequestUrlOptions>,
  authCodeFlowRedeem: { scopes: true, data: true } satisfies OptionNames<AuthCodeFlowRedeemOptions>,
  authorizationCode: { redirectUri: true, nonce: true, claimsChallenge: true, codeVerifier: true, data: true } satisfies OptionNames<AuthorizationCodeOptions>,
  refreshToken: { data: true } satisfies OptionNames<RefreshTokenOptions>,
  usernamePassword: { claimsChallenge: true, authScheme: true, data: true } satisfies OptionNames<UsernamePasswordOptions>,
  interactive: {
    ...AUTHORIZATION_OPTION_NAMES, port: true, path: true, host: true, timeout: true, signal: true, openBrowser: true,
    successTemplate: true, errorTemplate: true, parentWindowHandle: true, onBeforeLaunchingUi: true, authScheme: true, data: true,
  } satisfies OptionNames<InteractiveOptions>,
  deviceFlowInitiate: { claimsChallenge: true, extraParameters: true } satisfies OptionNames<DeviceFlowInitiateOptions>,
  deviceFlow: { signal: true, exitCondition: true, claimsChallenge: true, data: true } satisfies OptionNames<DeviceFlowOptions>,
  clientCredentials: { claimsChallenge: true, forceRefresh: true, data: true } satisfies OptionNames<ClientCredentialsOptions>,
  onBehalfOf: { claimsChallenge: true, data: true } satisfies OptionNames<OnBehalfOfOptions>,
} as const;
