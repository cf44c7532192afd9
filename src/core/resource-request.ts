/**
 * The client's side of a resource request with an access token (RFC 6750, RFC 9449 §7): the
 * `Authorization` header in the token's scheme and, for a DPoP-bound token, a fresh proof of the
 * key (`htm`, `htu`, `ath`, and the resource's latest nonce), then the rule for the one retry a
 * resource's `401 use_dpop_nonce` allows. What sends the request (the extension's `api.fetch`) is
 * the host's; these are its pieces, free of any transport.
 */
import { createDpopProof, decideDpopRetry, type DpopKey, type DpopNonces, type DpopRetryDecision } from './dpop.js';
import { isDpopTokenType } from './dpop-keys.js';
import { AuthError } from './errors.js';

/** An access token as a result gives it, with the key it is bound to when it is a DPoP token. */
export interface ResourceCredential {
  accessToken: string;
  /** `Bearer` or `DPoP` (the result's `tokenType`). */
  tokenType: string;
  /** The key of a DPoP token; required for one. */
  dpopKey?: DpopKey;
}

/** The headers of one resource request, and the nonce its proof carried (for the retry rule). */
export interface AuthorizedResourceRequest {
  headers: { authorization: string; dpop?: string };
  sentNonce?: string;
}

/**
 * The headers that present `credential` to the resource at `url`: `Bearer <token>`, or for a DPoP
 * token `DPoP <token>` and a new proof signed with its key, carrying the origin's latest nonce.
 */
export async function authorizeResourceRequest(credential: ResourceCredential, request: { method: string; url: string }, nonces: DpopNonces): Promise<AuthorizedResourceRequest> {
  if (!isDpopTokenType(credential.tokenType)) return { headers: { authorization: `Bearer ${credential.accessToken}` } };
  if (!credential.dpopKey) throw new AuthError('invalid_argument', 'a DPoP token needs its key to be presented');
  const nonce = nonces.get(request.url);
  const dpop = await createDpopProof(credential.dpopKey, { method: request.method.toUpperCase(), url: request.url, accessToken: credential.accessToken, nonce });
  return { headers: { authorization: `DPoP ${credential.accessToken}`, dpop }, sentNonce: nonce };
}

/**
 * After a resource's answer: keeps its `DPoP-Nonce` for the origin, and says whether to send the
 * request once more (a `401` DPoP challenge `use_dpop_nonce` with a new nonce; authorize it again,
 * the nonce is then in the proof). A second such answer after the retry is a `dpop_nonce_loop`.
 */
export function decideResourceRetry(
  url: string,
  response: { status: number; headers: { get(name: string): string | null } },
  sent: AuthorizedResourceRequest,
  nonces: DpopNonces,
  options: { retried?: boolean } = {},
): DpopRetryDecision {
  if (sent.headers.dpop === undefined) return { retry: false };
  nonces.remember(url, response.headers);
  return decideDpopRetry(
    'resource',
    { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), nonce: response.headers.get('dpop-nonce') },
    { sentNonce: sent.sentNonce, retried: options.retried === true },
  );
}
