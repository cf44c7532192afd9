/** The refresh-token grant (RFC 6749 §6). */
export function refreshTokenParams(refreshToken: string, scope: string[], claims?: string): Record<string, string | undefined> {
  return { grant_type: 'refresh_token', refresh_token: refreshToken, scope: scope.join(' '), claims, client_info: '1' };
}
