/** The resource owner password grant (RFC 6749 §4.3): MSAL's username/password flow. */
export function passwordParams(username: string, password: string, scope: string[], claims?: string): Record<string, string | undefined> {
  return { grant_type: 'password', username, password, scope: scope.join(' '), claims, client_info: '1' };
}
