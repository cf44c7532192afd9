/**
 * The `claims` request parameter: MSAL merges the app's client capabilities (as
 * `access_token.xms_cc`) into the claims challenge a resource sent.
 */
import { AuthError } from './errors.js';
import { isJsonObject } from './json.js';

export function mergeClaims(capabilities: readonly string[] | undefined, claimsChallenge: string | undefined): string | undefined {
  if (!capabilities || capabilities.length === 0) return claimsChallenge || undefined;
  let claims: Record<string, unknown> = {};
  if (claimsChallenge) {
    try {
      claims = JSON.parse(claimsChallenge) as Record<string, unknown>;
    } catch {
      throw new AuthError('invalid_argument', 'the claims challenge is not JSON');
    }
    if (!isJsonObject(claims)) {
      throw new AuthError('invalid_argument', 'the claims challenge is not a JSON object');
    }
  }
  const accessToken = typeof claims.access_token === 'object' && claims.access_token !== null ? (claims.access_token as Record<string, unknown>) : {};
  return JSON.stringify({ ...claims, access_token: { ...accessToken, xms_cc: { values: [...capabilities] } } });
}
