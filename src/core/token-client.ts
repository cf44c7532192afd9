/**
 * The one place requests to the token endpoint are sent and their answers read. Each grant module
 * (grants/) builds its form and calls {@link TokenClient.sendTokenRequest}, which adds client
 * authentication, MSAL's headers and throttling; {@link TokenClient.processTokenResponse} then
 * checks the answer and verifies its ID token, as oauth4webapi pairs a request with its processing.
 */
import type { JWTPayload } from 'jose';
import type { Authority } from './authority.js';
import type { ClientAuth } from './client-auth.js';
import { sha256Base64Url } from './crypto.js';
import { createDpopProof, decideDpopRetry } from './dpop.js';
import type { DpopBinding } from './dpop-keys.js';
import { type HttpPipeline, type HttpResponse, isThrottlingStatus, readBodyText } from './http.js';
import { isJsonObject } from './json.js';
import { ServerError } from './errors.js';
import { describeUrl, type LogContext } from './logger.js';
import { checkTokenResponse, type IdTokenExpectations, type IdTokenValidator, readOAuthJson, type TokenResponse } from './token-response.js';

/** Library identification sent with every request, as MSAL does (no personal data). */
export const LIBRARY_SKU = 'MSAL.TypeScript';
export const LIBRARY_VERSION = '0.1.0';

/** A checked token response and, when it carried one, its verified ID token claims. */
export interface TokenGrantResult {
  /** The grant that was redeemed; the cache files the account under it (`account_source`). */
  grantType: string;
  response: TokenResponse;
  idTokenClaims?: JWTPayload;
}

/** How one token request is sent: what every grant module passes besides its form. */
export interface TokenRequestOptions {
  correlationId: string;
  /** Extra headers, such as MSAL's `X-AnchorMailbox` routing hint. */
  headers?: Record<string, string>;
  /** Overrides the token endpoint (regional endpoints of client credentials). */
  tokenEndpoint?: string;
  signal?: AbortSignal;
  /** Sign the request with this DPoP key (RFC 9449): a proof header, the server's nonce, one retry for a new nonce. */
  dpop?: DpopBinding;
}

/** What every token grant takes besides its own fields: how to send, plus the claims and MSAL's `data`. */
export interface TokenGrantOptions extends TokenRequestOptions {
  /** The `claims` parameter (client capabilities merged with a claims challenge, see mergeClaims). */
  claims?: string;
  /** MSAL's `data`: extra form fields; one naming a field the library sets is refused (see mergeRequestData). */
  data?: Record<string, string>;
  /** The public method to name in errors about `data`; the grant's request otherwise. */
  caller?: string;
}

/**
 * A token endpoint's answer not read yet, with what its processing must know of the request: the
 * grant (a refusal is typed with it, see isInteractionRequired), the scope sent, and until when a
 * throttling answer asked to wait.
 */
export interface SentTokenRequest {
  response: HttpResponse;
  grantType: string;
  scope?: string;
  retryAfter?: number;
}

/** Checks of the ID token a response may carry: those of the authorization request (nonce, max_age). */
export type IdTokenChecks = Omit<IdTokenExpectations, 'clientId'>;

export interface TokenClientConfig {
  clientId: string;
  clientAuth: ClientAuth;
  pipeline: HttpPipeline;
  validator: IdTokenValidator;
  log: LogContext;
  appName?: string;
  appVersion?: string;
}

/** The parameters a request sends: absent and empty values are left out (servers read `scope=` as a scope). */
export function presentParams(params: Record<string, string | undefined>): [string, string][] {
  return Object.entries(params).filter((param): param is [string, string] => param[1] !== undefined && param[1] !== '');
}

/**
 * Whether a token endpoint's answer to a DPoP request is `use_dpop_nonce` with a nonce to retry
 * with (see decideDpopRetry; a second one after the retry is a `dpop_nonce_loop`). Only a 400
 * that gives a nonce is read here; its body is then handed on as the answer, unchanged.
 */
async function readDpopNonceAnswer(response: HttpResponse, sentNonce: string | undefined, retried = false): Promise<{ answer: HttpResponse; retryNonce?: string }> {
  const nonce = response.headers.get('dpop-nonce');
  if (response.status !== 400 || !nonce) return { answer: response };
  const text = await readBodyText(response);
  const answer: HttpResponse = { status: response.status, headers: response.headers, text: async () => text };
  let error: unknown;
  try {
    const body: unknown = JSON.parse(text);
    if (isJsonObject(body)) error = body.error;
  } catch {
    return { answer };
  }
  const decision = decideDpopRetry('token', { status: response.status, error: typeof error === 'string' ? error : undefined, nonce }, { sentNonce, retried });
  return decision.retry ? { answer, retryNonce: decision.nonce } : { answer };
}

export class TokenClient {
  constructor(private readonly config: TokenClientConfig) {}

  get clientId(): string {
    return this.config.clientId;
  }

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

  /** Posts a form to `url` with MSAL's headers; the answer is returned unread. */
  postForm(url: string, form: Record<string, string | undefined>, options: { correlationId: string; headers?: Record<string, string>; signal?: AbortSignal; throttleKey?: string }): Promise<HttpResponse> {
    return this.config.pipeline.send(
      url,
      {
        method: 'POST',
        headers: { ...this.headers(options.correlationId), 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', ...options.headers },
        body: new URLSearchParams(presentParams(form)).toString(),
        signal: options.signal,
      },
      options.throttleKey,
    );
  }

  /** Sends a grant's `form` to the token endpoint with the client's authentication; the answer is returned unread. */
  async sendTokenRequest(authority: Authority, form: Record<string, string | undefined>, options: TokenRequestOptions): Promise<SentTokenRequest> {
    const { clientAuth, clientId, log, pipeline } = this.config;
    const tokenEndpoint = options.tokenEndpoint ?? authority.metadata.token_endpoint;
    const auth = await clientAuth(clientId, tokenEndpoint);
    const grantType = form.grant_type ?? '';
    // The throttle key names the request by endpoint, client, grant, scope and account, as MSAL
    // for Python's does (its account part is a hash of the refresh token, code or username), so
    // that one account's 429 does not block the client's other accounts. A hash, never a secret.
    const accountOf = form.refresh_token ?? form.code ?? form.username;
    const account = accountOf ? await sha256Base64Url(accountOf) : '';
    const throttleKey = `POST ${tokenEndpoint}|${clientId}|${grantType}|${form.scope ?? ''}|${account}`;
    log.verbose(`token request (${grantType}) to ${describeUrl(tokenEndpoint)}, correlation id ${options.correlationId}`);
    const send = async (dpopNonce: string | undefined, clientAuth: Record<string, string>) => {
      const headers = options.dpop
        ? { ...options.headers, dpop: await createDpopProof(options.dpop.key, { method: 'POST', url: tokenEndpoint, nonce: dpopNonce }) }
        : options.headers;
      const answer = await this.postForm(tokenEndpoint, { ...form, ...clientAuth }, { correlationId: options.correlationId, headers, signal: options.signal, throttleKey });
      options.dpop?.nonces.remember(tokenEndpoint, answer.headers);
      return answer;
    };
    const sentNonce = options.dpop?.nonces.get(tokenEndpoint);
    let response = await send(sentNonce, auth);
    if (options.dpop) {
      const { answer, retryNonce } = await readDpopNonceAnswer(response, sentNonce);
      response = answer;
      if (retryNonce !== undefined) {
        log.verbose('the token endpoint asked for a DPoP nonce; sending again with it');
        // A fresh client authentication too: a signed assertion's jti must not be sent twice.
        response = await send(retryNonce, await clientAuth(clientId, tokenEndpoint));
        response = (await readDpopNonceAnswer(response, retryNonce, true)).answer;
      }
    }
    const retryAfter = isThrottlingStatus(response.status) ? pipeline.throttledUntil(throttleKey) : undefined;
    return { response, grantType, scope: form.scope, retryAfter };
  }

  /**
   * Reads a token endpoint's answer, in order: OAuth error (a ServerError naming the grant), the
   * token response's fields, then the ID token when there is one (signature, issuer, audience,
   * `checks`).
   */
  async processTokenResponse(authority: Authority, sent: SentTokenRequest, checks: IdTokenChecks = {}): Promise<TokenGrantResult> {
    const body = await readOAuthJson(sent.response, 'token response', sent.retryAfter).catch((err: unknown) => {
      // Which grant was refused decides what the refusal means (see isInteractionRequired).
      throw err instanceof ServerError && err.grantType === undefined ? new ServerError({ ...err, grantType: sent.grantType }) : err;
    });
    const response = checkTokenResponse(body);
    let idTokenClaims: JWTPayload | undefined;
    if (response.id_token) {
      idTokenClaims = await this.config.validator.validate(response.id_token, authority, { clientId: this.config.clientId, ...checks });
    } else if (checks.nonce !== undefined && sent.scope?.split(' ').includes('openid')) {
      // OIDC Core 3.1.3.3: an authorization-code response to an openid request carries an ID token.
      this.config.log.warning('the token response to an openid request carried no ID token');
    }
    return { grantType: sent.grantType, response, idTokenClaims };
  }
}
