/**
 * The client-credentials grant (RFC 6749 §4.4): app-only tokens of a confidential client, sent
 * to the regional token endpoint when the application names a region.
 */
import type { Authority } from '../authority.js';
import { mergeRequestData } from '../options.js';
import type { SentTokenRequest, TokenClient, TokenGrantOptions, TokenGrantResult } from '../token-client.js';

export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

/**
 * The form of the request. Exported so that `data` naming a field the library sets is refused
 * before the cache is read, not only when a request is due.
 */
export function clientCredentialsForm(scope: string[], options: Pick<TokenGrantOptions, 'claims' | 'data' | 'caller'>): Record<string, string | undefined> {
  return mergeRequestData({ grant_type: CLIENT_CREDENTIALS_GRANT, scope: scope.join(' '), claims: options.claims }, options.data, options.caller ?? 'the client credentials request');
}

/** Asks for an app-only token for `scope`; the answer is returned unread (see {@link processClientCredentialsResponse}). */
export async function clientCredentialsGrantRequest(client: TokenClient, authority: Authority, scope: string[], options: TokenGrantOptions): Promise<SentTokenRequest> {
  return client.sendTokenRequest(authority, clientCredentialsForm(scope, options), options);
}

/** Checks the answer to a client-credentials request: a refusal is a ServerError of that grant. */
export function processClientCredentialsResponse(client: TokenClient, authority: Authority, sent: SentTokenRequest): Promise<TokenGrantResult> {
  return client.processTokenResponse(authority, sent);
}
