/**
 * The credentials one request to a protected resource carries, in one place: the authenticated
 * fetch asks here for every attempt. A Bearer token is `Authorization: Bearer` (RFC 6750 §2.1); a
 * DPoP-bound one (RFC 9449 §7.1) is `Authorization: DPoP` plus a fresh `DPoP` proof bound to
 * `method`, `url` and the token, signed with its account's key and carrying the resource's latest
 * nonce — which is why the request is passed in and the answer is asynchronous. The application
 * that got the token presents it (the core's `authorizeResourceRequest`) and reads the resource's
 * answer for the one `use_dpop_nonce` retry RFC 9449 §9 allows (`decideResourceRetry`).
 */
import type { AuthenticationResult, AuthorizedResourceRequest, DpopRetryDecision } from '../core/index.js';

/** What presents a token to a resource: the core application that got it. */
export interface ResourcePresenter {
  authorizeResourceRequest(result: AuthenticationResult, request: ResourceRequestTarget): Promise<AuthorizedResourceRequest>;
  decideResourceRetry(url: string, response: Pick<Response, 'status' | 'headers'>, sent: AuthorizedResourceRequest, options: { retried?: boolean }): DpopRetryDecision;
}

/**
 * The token a resource request is made with (a session's, as the provider hands it out), and,
 * from a provider's application, the result and the application that present it. Without them
 * the token is a plain Bearer token.
 */
export interface ResourceCredential {
  accessToken: string;
  resource?: { result: AuthenticationResult; app: ResourcePresenter };
}

/** What a proof is bound to (RFC 9449 §4.2 `htm`, `htu`). */
export interface ResourceRequestTarget {
  method: string;
  url: string;
}

/** The headers that authenticate one resource request, as the core's answer (keep it for {@link resourceRetry}). */
export async function resourceRequestHeaders(credential: ResourceCredential, target: ResourceRequestTarget): Promise<AuthorizedResourceRequest> {
  if (!credential.resource) return { headers: { authorization: `Bearer ${credential.accessToken}` } };
  return credential.resource.app.authorizeResourceRequest(credential.resource.result, target);
}

/**
 * Whether to authorize and send the request once more: a DPoP token's resource asked for a nonce
 * (`401` with `DPoP error="use_dpop_nonce"`). Asked again after that retry, it throws the core's
 * `AuthError` `dpop_nonce_loop`. Never for a Bearer token.
 */
export function resourceRetry(
  credential: ResourceCredential,
  url: string,
  response: Pick<Response, 'status' | 'headers'>,
  sent: AuthorizedResourceRequest,
  retried: boolean,
): DpopRetryDecision {
  if (!credential.resource) return { retry: false };
  return credential.resource.app.decideResourceRetry(url, response, sent, { retried });
}
