/**
 * Scope handling. Scopes compare case-insensitively (as MSAL does), keep the caller's spelling,
 * and the reserved OpenID scopes are added by the library, never by the caller.
 */
import { AuthError } from './errors.js';

/** Scopes the library adds to user flows so that an ID token and a refresh token come back. */
export const RESERVED_SCOPES: readonly string[] = ['openid', 'profile', 'offline_access'];

/** Splits a space-separated scope string; drops empty parts. */
export function parseScopeString(value: string): string[] {
  return value.split(' ').filter((scope) => scope.length > 0);
}

/** Removes duplicates, case-insensitively, keeping the first spelling. */
export function uniqueScopes(scopes: Iterable<string>): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const scope of scopes) {
    const key = scope.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      result.push(scope);
    }
  }
  return result;
}

/** True when every scope of `wanted` is in `granted`, ignoring case. */
export function containsAllScopes(granted: Iterable<string>, wanted: Iterable<string>): boolean {
  const have = new Set(Array.from(granted, (scope) => scope.toLowerCase()));
  for (const scope of wanted) if (!have.has(scope.toLowerCase())) return false;
  return true;
}

/** Checks the caller's scopes: an array of non-empty strings without spaces. */
export function validateScopes(scopes: unknown, what = 'scopes'): string[] {
  if (!Array.isArray(scopes)) throw new AuthError('invalid_argument', `${what} must be an array of strings`);
  for (const scope of scopes) {
    if (typeof scope !== 'string' || scope.length === 0 || /\s/.test(scope)) {
      throw new AuthError('invalid_argument', `${what} must hold non-empty strings without white space`);
    }
  }
  return scopes as string[];
}

/**
 * MSAL's scope decoration for user flows: rejects reserved scopes passed by the caller, allows the
 * client id alone (B2C: a token for the app itself), adds the reserved scopes, then drops the
 * application's `excludeScopes` (for example `offline_access`).
 */
export function decorateScopes(scopes: string[], clientId: string, excludeScopes: readonly string[] = []): string[] {
  validateScopes(scopes);
  const reserved = new Set(RESERVED_SCOPES);
  const passedReserved = scopes.filter((scope) => reserved.has(scope.toLowerCase()));
  if (passedReserved.length > 0) {
    throw new AuthError(
      'invalid_argument',
      `the library adds ${RESERVED_SCOPES.join(', ')} itself; do not pass ${passedReserved.join(', ')}`,
    );
  }
  let decorated: string[];
  if (scopes.includes(clientId)) {
    if (uniqueScopes(scopes).length > 1) {
      throw new AuthError('invalid_argument', 'the client id can only be requested as the only scope');
    }
    decorated = [...RESERVED_SCOPES];
  } else {
    decorated = uniqueScopes([...scopes, ...RESERVED_SCOPES]);
  }
  const excluded = new Set(excludeScopes.map((scope) => scope.toLowerCase()));
  return decorated.filter((scope) => !excluded.has(scope.toLowerCase()));
}

/**
 * The scopes a cached access token must hold to serve a silent request for `scopes`. No scopes
 * asks for the OpenID scopes alone, which get a token for the userinfo endpoint: that token is
 * found by `openid profile` (msal-common's search scopes; `offline_access` is a request for a
 * refresh token, not a scope a token is granted), less what the app excludes.
 */
export function searchScopesFor(scopes: readonly string[], excludeScopes: readonly string[] = []): string[] {
  if (scopes.length > 0) return [...scopes];
  const excluded = new Set(excludeScopes.map((scope) => scope.toLowerCase()));
  const kept = ['openid', 'profile'].filter((scope) => !excluded.has(scope));
  return kept.length > 0 ? kept : ['openid'];
}
