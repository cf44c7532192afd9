/**
 * The resource owner password grant (RFC 6749 §4.3): MSAL's username/password flow. Not
 * recommended (no MFA, no consent); kept for MSAL parity.
 */
import type { Authority } from '../authority.js';
import { mergeRequestData } from '../options.js';
import type { SentTokenRequest, TokenClient, TokenGrantOptions, TokenGrantResult } from '../token-client.js';

export const PASSWORD_GRANT = 'password';

/**
 * Sends the user's credentials; the answer is returned unread (see {@link processPasswordResponse}).
 * Entra routes the request by the username (`X-AnchorMailbox: upn:<username>`), as MSAL does;
 * other issuers than Microsoft's get no such header (see `Authority.isMicrosoft`).
 */
export async function passwordGrantRequest(
  client: TokenClient,
  authority: Authority,
  username: string,
  password: string,
  scope: string[],
  options: TokenGrantOptions,
): Promise<SentTokenRequest> {
  const form = mergeRequestData(
    { grant_type: PASSWORD_GRANT, username, password, scope: scope.join(' '), claims: options.claims, client_info: '1' },
    options.data,
    options.caller ?? 'the password request',
  );
  const headers = authority.isMicrosoft ? { ...options.headers, 'X-AnchorMailbox': `upn:${username}` } : options.headers;
  return client.sendTokenRequest(authority, form, { ...options, headers });
}

/** Checks the answer to a password grant: a refusal is a ServerError of the password grant. */
export function processPasswordResponse(client: TokenClient, authority: Authority, sent: SentTokenRequest): Promise<TokenGrantResult> {
  return client.processTokenResponse(authority, sent);
}
