/** The client-credentials grant (RFC 6749 §4.4): app-only tokens. */
export function clientCredentialsParams(scope: string[], claims?: string): Record<string, string | undefined> {
  return { grant_type: 'client_credentials', scope: scope.join(' '), claims };
}
