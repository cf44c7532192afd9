/**
 * The authorization-code grant with PKCE (RFC 6749 §4.1, RFC 7636), state and nonce: the
 * authorization URL, the authorization-response checks (state, RFC 9207 `iss`, error) done before
 * any code is redeemed, and the token request that redeems the code.
 */
import type { Authority } from '../authority.js';
import { generatePkce, randomToken } from '../crypto.js';
import type { DpopKey } from '../dpop.js';
import { AuthError, ServerError } from '../errors.js';
import { setMember } from '../json.js';
import { mergeRequestData, refuseOwnedParameters } from '../options.js';
import { type IdTokenChecks, presentParams, type SentTokenRequest, type TokenClient, type TokenGrantOptions, type TokenGrantResult } from '../token-client.js';

export const AUTHORIZATION_CODE_GRANT = 'authorization_code';

/** Parameters of an authorization request beyond the required ones. */
export interface AuthorizationRequestOptions {
  redirectUri?: string;
  state?: string;
  nonce?: string;
  /** `login`, `consent`, `select_account`, `none`, `create`. */
  prompt?: string;
  loginHint?: string;
  domainHint?: string;
  /** The merged `claims` parameter (capabilities + claims challenge). */
  claims?: string;
  maxAge?: number;
  responseMode?: 'query' | 'form_post' | 'fragment';
  codeChallenge?: string;
  codeChallengeMethod?: 'S256';
  extraQueryParameters?: Record<string, string>;
  /** `code` unless given: MSAL's `get_authorization_request_url(response_type=)` may ask for another. */
  responseType?: string;
  /** The thumbprint of the DPoP key the code is to be bound to (RFC 9449 §10, `dpop_jkt`). */
  dpopJkt?: string;
}

/**
 * Parameters of the authorization request that come from the library's own state (client,
 * redirect, state, nonce, PKCE, scope, response type and mode) or from an option the library also
 * checks in the answer (`claims`, `max_age`): an extra parameter must never replace them, or a
 * configured value could silently undo PKCE, state or the ID token checks. Compared without case,
 * since some servers read names that way.
 */
export const LIBRARY_AUTHORIZATION_PARAMETERS: readonly string[] = [
  'client_id',
  'response_type',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'response_mode',
  'claims',
  'max_age',
];

/**
 * Builds the authorization URL; parameters with no value are left out. Extra query parameters may
 * not name a parameter the library sets (`invalid_argument`), nor one whose option is also given
 * (`prompt` with `prompt`, `login_hint` with `loginHint`, `domain_hint` with `domainHint`): which
 * of the two wins would otherwise be an accident of spelling.
 */
export function buildAuthorizationUrl(authority: Authority, clientId: string, scope: string[], options: AuthorizationRequestOptions): string {
  refuseOwnedParameters(options.extraQueryParameters, LIBRARY_AUTHORIZATION_PARAMETERS, 'extraQueryParameters');
  // `dpop_jkt` too: a configured one must not silently replace the key the library binds the code to.
  const byOption: Record<string, string | undefined> = { prompt: options.prompt, login_hint: options.loginHint, domain_hint: options.domainHint, dpop_jkt: options.dpopJkt };
  const twice = Object.keys(options.extraQueryParameters ?? {}).filter((name) => Object.hasOwn(byOption, name.toLowerCase()) && byOption[name.toLowerCase()] !== undefined);
  if (twice.length > 0) {
    throw new AuthError('invalid_argument', `${twice.join(', ')} is given both as an option and in extraQueryParameters`);
  }
  const url = new URL(authority.metadata.authorization_endpoint);
  const params: Record<string, string | undefined> = {
    client_id: clientId,
    response_type: options.responseType ?? 'code',
    redirect_uri: options.redirectUri,
    scope: scope.join(' '),
    state: options.state,
    nonce: options.nonce,
    ...byOption,
    claims: options.claims,
    max_age: options.maxAge === undefined ? undefined : String(options.maxAge),
    response_mode: options.responseMode,
    code_challenge: options.codeChallenge,
    code_challenge_method: options.codeChallenge ? (options.codeChallengeMethod ?? 'S256') : undefined,
    ...options.extraQueryParameters,
  };
  for (const [name, value] of presentParams(params)) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * Everything needed to finish an auth-code flow, as MSAL's `initiate_auth_code_flow` returns it.
 * It holds secrets (code verifier, nonce): keep it in memory or in the user's session only.
 */
export interface AuthCodeFlow {
  authUri: string;
  state: string;
  redirectUri?: string;
  /** The scopes sent, reserved scopes included. */
  scope: string[];
  codeVerifier: string;
  nonce: string;
  claimsChallenge?: string;
  maxAge?: number;
  /** The DPoP key the code is bound to (its thumbprint went as `dpop_jkt`): the code is redeemed with proofs of it. */
  dpopKey?: DpopKey;
}

/** Starts an auth-code flow: fresh state, nonce and PKCE pair. */
export async function createAuthCodeFlow(
  authority: Authority,
  clientId: string,
  scope: string[],
  options: Omit<AuthorizationRequestOptions, 'nonce' | 'codeChallenge' | 'codeChallengeMethod' | 'dpopJkt'> & { claimsChallenge?: string; dpopKey?: DpopKey },
): Promise<AuthCodeFlow> {
  const pkce = await generatePkce();
  const state = options.state ?? randomToken(16);
  const nonce = randomToken(16);
  const authUri = buildAuthorizationUrl(authority, clientId, scope, {
    ...options,
    state,
    nonce,
    codeChallenge: pkce.codeChallenge,
    codeChallengeMethod: pkce.codeChallengeMethod,
    dpopJkt: options.dpopKey?.thumbprint,
  });
  return {
    authUri,
    state,
    redirectUri: options.redirectUri,
    scope,
    codeVerifier: pkce.codeVerifier,
    nonce,
    claimsChallenge: options.claimsChallenge,
    maxAge: options.maxAge,
    ...(options.dpopKey ? { dpopKey: options.dpopKey } : {}),
  };
}

/**
 * Reads the query (or form_post body, or fragment) of a redirect into the authorization-response
 * dict that {@link checkAuthorizationResponse} takes. A parameter given twice is refused with
 * `invalid_response` (RFC 6749 §3.1: which copy would be "the" code or state is ambiguous); a
 * parameter named `__proto__` stays plain data. A leading `?` or `#` is ignored.
 */
export function parseAuthorizationResponse(query: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(query.replace(/^[?#]/, ''))) {
    if (Object.hasOwn(params, name)) throw new AuthError('invalid_response', 'the authorization response repeats a parameter');
    setMember(params, name, value);
  }
  return params;
}

/**
 * Checks an authorization response against its flow, in this order: state, then `iss` when the
 * server sent one (RFC 9207, mix-up defence), then an OAuth error, then the presence of `code`.
 * Returns the code.
 */
export function checkAuthorizationResponse(flow: AuthCodeFlow, response: Record<string, string | undefined>, authority: Authority): string {
  if (typeof flow?.state !== 'string' || typeof flow.codeVerifier !== 'string') {
    throw new AuthError('invalid_argument', 'the auth code flow is not one that initiateAuthCodeFlow returned');
  }
  if (response.state !== flow.state) {
    throw new AuthError('state_mismatch', response.state === undefined ? 'the authorization response has no state' : 'the authorization response state does not match');
  }
  if (response.iss === undefined && authority.metadata.authorization_response_iss_parameter_supported === true) {
    // RFC 9207 §2.4: a server that announces `iss` must send it; its absence may mean a mix-up.
    throw new AuthError('issuer_mismatch', 'the authorization response lacks the iss its server announces (RFC 9207)');
  }
  if (response.iss !== undefined) {
    const issuer = authority.metadata.issuer;
    const iss: unknown = response.iss;
    const tenantFree = issuer.includes('{tenantid}');
    const matches =
      typeof iss === 'string' &&
      (tenantFree ? new RegExp(`^${issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('\\{tenantid\\}', '[^/]+')}$`).test(iss) : iss === issuer);
    if (!matches) throw new AuthError('issuer_mismatch', 'the authorization response comes from another issuer (RFC 9207)');
  }
  // The response comes from a query string, yet JS callers may hand over what their parser made
  // of it (arrays for repeated parameters, numbers): only strings count.
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  if (response.error !== undefined) {
    if (typeof response.error !== 'string') throw new AuthError('invalid_response', 'the authorization response has an error that is not a string');
    throw new ServerError({ error: response.error, errorDescription: text(response.error_description), suberror: text(response.suberror) });
  }
  if (typeof response.code !== 'string' || response.code === '') {
    throw new AuthError('invalid_response', 'the authorization response has neither code nor error');
  }
  return response.code;
}

/** What redeeming a code needs beyond the code: the redirect URI and PKCE verifier of its request. */
export interface AuthorizationCodeGrantOptions extends TokenGrantOptions {
  redirectUri?: string;
  codeVerifier?: string;
}

/**
 * The form of the code's redemption. Exported so that `data` naming a field the library sets is
 * refused before the browser opens, not after the user signed in.
 */
export function authorizationCodeForm(code: string, scope: string[], options: Omit<AuthorizationCodeGrantOptions, keyof TokenGrantOptions> & Pick<TokenGrantOptions, 'claims' | 'data' | 'caller'>): Record<string, string | undefined> {
  return mergeRequestData(
    {
      grant_type: AUTHORIZATION_CODE_GRANT,
      code,
      redirect_uri: options.redirectUri,
      code_verifier: options.codeVerifier,
      scope: scope.join(' '),
      claims: options.claims,
      client_info: '1',
    },
    options.data,
    options.caller ?? 'the authorization code request',
  );
}

/** Redeems `code` for `scope`; the answer is returned unread (see {@link processAuthorizationCodeResponse}). */
export async function authorizationCodeGrantRequest(
  client: TokenClient,
  authority: Authority,
  code: string,
  scope: string[],
  options: AuthorizationCodeGrantOptions,
): Promise<SentTokenRequest> {
  return client.sendTokenRequest(authority, authorizationCodeForm(code, scope, options), options);
}

/**
 * Checks the answer to a code redemption. `checks` are those of the authorization request: the
 * ID token must carry its nonce, and an `auth_time` within its `max_age`.
 */
export function processAuthorizationCodeResponse(
  client: TokenClient,
  authority: Authority,
  sent: SentTokenRequest,
  checks: IdTokenChecks,
): Promise<TokenGrantResult> {
  return client.processTokenResponse(authority, sent, checks);
}
