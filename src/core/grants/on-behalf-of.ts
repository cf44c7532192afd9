/**
 * The on-behalf-of exchange as Entra defines it: a JWT bearer grant (RFC 7523) carrying the
 * access token a caller sent to this API, with `requested_token_use=on_behalf_of`.
 */
import type { Authority } from '../authority.js';
import { mergeRequestData } from '../options.js';
import type { SentTokenRequest, TokenClient, TokenGrantOptions, TokenGrantResult } from '../token-client.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Exchanges `userAssertion` for a token to `scope`; the answer is returned unread (see {@link processOnBehalfOfResponse}). */
export async function onBehalfOfGrantRequest(
  client: TokenClient,
  authority: Authority,
  userAssertion: string,
  scope: string[],
  options: TokenGrantOptions,
): Promise<SentTokenRequest> {
  const form = mergeRequestData(
    { grant_type: JWT_BEARER_GRANT, assertion: userAssertion, requested_token_use: 'on_behalf_of', scope: scope.join(' '), claims: options.claims, client_info: '1' },
    options.data,
    options.caller ?? 'the on-behalf-of request',
  );
  return client.sendTokenRequest(authority, form, options);
}

/** Checks the answer to an on-behalf-of exchange: a refusal is a ServerError of the jwt-bearer grant. */
export function processOnBehalfOfResponse(client: TokenClient, authority: Authority, sent: SentTokenRequest): Promise<TokenGrantResult> {
  return client.processTokenResponse(authority, sent);
}
