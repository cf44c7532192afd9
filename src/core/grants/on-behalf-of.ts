/**
 * The on-behalf-of exchange as Entra defines it: a JWT bearer grant (RFC 7523) carrying the
 * caller's access token, with `requested_token_use=on_behalf_of`.
 */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export function onBehalfOfParams(userAssertion: string, scope: string[], claims?: string): Record<string, string | undefined> {
  return { grant_type: JWT_BEARER_GRANT, assertion: userAssertion, requested_token_use: 'on_behalf_of', scope: scope.join(' '), claims, client_info: '1' };
}
