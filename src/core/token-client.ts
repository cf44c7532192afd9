/**
 * The one place token requests are sent: adds client authentication and MSAL's request headers,
 * posts the form to the token endpoint, checks the answer and verifies its ID token.
 */
import type { JWTPayload } from 'jose';
import type { Authority } from './authority.js';
import type { ClientAuth } from './client-auth.js';
import { sha256Base64Url } from './crypto.js';
import { type HttpPipeline, isThrottlingStatus } from './http.js';
import { ServerError } from './errors.js';
import { describeUrl, type LogContext } from './logger.js';
import { checkTokenResponse, type IdTokenExpectations, type IdTokenValidator, readOAuthJson, type TokenResponse } from './token-response.js';

/** Library identification sent with every request, as MSAL does (no personal data). */
export const LIBRARY_SKU = 'MSAL.TypeScript';
export const LIBRARY_VERSION = '0.1.0';

/** A checked token response and, when it carried one, its verified ID token claims. */
export interface TokenGrantResult {
  response: TokenResponse;
  idTokenClaims?: JWTPayload;
}

/** Options of one token request. */
export interface TokenRequestOptions {
  correlationId: string;
  /** Checks for the ID token: nonce and max_age of the authorization request. */
  idToken?: Omit<IdTokenExpectations, 'clientId'>;
  /** Extra headers, such as MSAL's `X-AnchorMailbox` routing hint. */
  headers?: Record<string, string>;
  /** Overrides the token endpoint (regional endpoints of client credentials). */
  tokenEndpoint?: string;
  signal?: AbortSignal;
}

export interface TokenClientConfig {
  clientId: string;
  clientAuth: ClientAuth;
  pipeline: HttpPipeline;
  validator: IdTokenValidator;
  log: LogContext;
  appName?: string;
  appVersion?: string;
}

export class TokenClient {
  constructor(private readonly config: TokenClientConfig) {}

  /** Headers MSAL sends with every request. */
  headers(correlationId: string): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'client-request-id': correlationId,
      'return-client-request-id': 'true',
      'x-client-sku': LIBRARY_SKU,
      'x-client-ver': LIBRARY_VERSION,
      // Tells Entra this client honours Retry-After and 429 throttling.
      'x-ms-lib-capability': 'retry-after, h429',
    };
    if (this.config.appName) headers['x-app-name'] = this.config.appName;
    if (this.config.appVersion) headers['x-app-ver'] = this.config.appVersion;
    return headers;
  }

  /** Posts a form to `url` and reads the OAuth JSON answer (errors become ServerError). */
  async postForm(url: string, form: Record<string, string | undefined>, what: string, options: { correlationId: string; headers?: Record<string, string>; signal?: AbortSignal; throttleKey?: string }) {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form)) if (value !== undefined && value !== '') body.set(name, value);
    const response = await this.config.pipeline.send(
      url,
      {
        method: 'POST',
        headers: { ...this.headers(options.correlationId), 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', ...options.headers },
        body: body.toString(),
        signal: options.signal,
      },
      options.throttleKey,
    );
    const throttled = options.throttleKey !== undefined && isThrottlingStatus(response.status) ? this.config.pipeline.throttledUntil(options.throttleKey) : undefined;
    return readOAuthJson(response, what, throttled);
  }

  /** Sends one token request with `params` (grant-specific) and returns the checked result. */
  async requestToken(authority: Authority, params: Record<string, string | undefined>, options: TokenRequestOptions): Promise<TokenGrantResult> {
    const tokenEndpoint = options.tokenEndpoint ?? authority.metadata.token_endpoint;
    const auth = await this.config.clientAuth(this.config.clientId, tokenEndpoint);
    // The throttle key names the request by endpoint, client, grant, scope and account, as MSAL
    // for Python's does (its account part is a hash of the refresh token, code or username), so
    // that one account's 429 does not block the client's other accounts. A hash, never a secret.
    const accountOf = params.refresh_token ?? params.code ?? params.username;
    const account = accountOf ? await sha256Base64Url(accountOf) : '';
    const throttleKey = `POST ${tokenEndpoint}|${this.config.clientId}|${params.grant_type}|${params.scope ?? ''}|${account}`;
    this.config.log.verbose(`token request (${params.grant_type}) to ${describeUrl(tokenEndpoint)}, correlation id ${options.correlationId}`);
    const body = await this.postForm(tokenEndpoint, { ...params, ...auth }, 'token response', {
      correlationId: options.correlationId,
      headers: options.headers,
      signal: options.signal,
      throttleKey,
    }).catch((err: unknown) => {
      // Which grant was refused decides what the refusal means (see isInteractionRequired).
      throw err instanceof ServerError && err.grantType === undefined ? new ServerError({ ...err, grantType: params.grant_type }) : err;
    });
    const response = checkTokenResponse(body);
    let idTokenClaims: JWTPayload | undefined;
    if (response.id_token) {
      idTokenClaims = await this.config.validator.validate(response.id_token, authority, { clientId: this.config.clientId, ...options.idToken });
    } else if (options.idToken?.nonce !== undefined && params.scope?.split(' ').includes('openid')) {
      // OIDC Core 3.1.3.3: an authorization-code response to an openid request carries an ID token.
      this.config.log.warning('the token response to an openid request carried no ID token');
    }
    return { response, idTokenClaims };
  }
}
