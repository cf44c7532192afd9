/**
 * The refresh-token grant (RFC 6749 §6): silent acquisition redeems the cached refresh tokens of
 * an account with it, `acquireTokenByRefreshToken` one brought from elsewhere.
 */
import type { Authority } from '../authority.js';
import { mergeRequestData } from '../options.js';
import type { SentTokenRequest, TokenClient, TokenGrantOptions, TokenGrantResult } from '../token-client.js';

export const REFRESH_TOKEN_GRANT = 'refresh_token';

export interface RefreshTokenGrantOptions extends TokenGrantOptions {
  /**
   * The account the token belongs to (`<uid>.<utid>`): Entra then routes the request to the
   * account's home (MSAL's `X-AnchorMailbox: Oid:<uid>@<utid>`). Other ids, and other issuers
   * than Microsoft's (see `Authority.isMicrosoft`), send no hint.
   */
  homeAccountId?: string;
}

/** Sends the refresh token for `scope`; the answer is returned unread (see {@link processRefreshTokenResponse}). */
export async function refreshTokenGrantRequest(
  client: TokenClient,
  authority: Authority,
  refreshToken: string,
  scope: string[],
  options: RefreshTokenGrantOptions,
): Promise<SentTokenRequest> {
  const form = mergeRequestData(
    { grant_type: REFRESH_TOKEN_GRANT, refresh_token: refreshToken, scope: scope.join(' '), claims: options.claims, client_info: '1' },
    options.data,
    options.caller ?? 'the refresh token request',
  );
  const homeAccountId = options.homeAccountId;
  const headers = authority.isMicrosoft && homeAccountId?.includes('.') ? { ...options.headers, 'X-AnchorMailbox': `Oid:${homeAccountId.replace('.', '@')}` } : options.headers;
  return client.sendTokenRequest(authority, form, { ...options, headers });
}

/** Checks the answer to a refresh: a refusal is a ServerError of the refresh_token grant. */
export function processRefreshTokenResponse(client: TokenClient, authority: Authority, sent: SentTokenRequest): Promise<TokenGrantResult> {
  return client.processTokenResponse(authority, sent);
}
