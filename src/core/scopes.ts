/**
 * The one home of the scope rules. Scopes compare case-insensitively (as every MSAL does) and
 * keep the caller's spelling; the reserved OpenID scopes are added by the library, never by the
 * caller. The cache, the application and the VS Code sessions all read their scope rules here.
 */
import { AuthError } from './errors.js';

/**
 * MSAL for Python's reserved scopes (`_decorate_scope`): the library adds them to user flows so
 * that an ID token and a refresh token come back, and refuses them from the caller.
 */
export const RESERVED_SCOPES: readonly string[] = ['openid', 'profile', 'offline_access'];

/**
 * The scopes that ask about the user rather than for a resource: the reserved ones and `email`.
 * MSAL for Python treats `email` as an ordinary scope (it neither adds nor refuses it), but
 * msal-common does not let it make two cached access tokens overlap (Entra grants it beside every
 * Graph scope), and VS Code's Microsoft provider does not count it as a resource a session asks for.
 */
const OPENID_SCOPES: ReadonlySet<string> = new Set([...RESERVED_SCOPES, 'email']);

/** Whether a scope (in any case) is one of the OpenID scopes: the reserved ones or `email`. */
export function isOpenIdScope(scope: string): boolean {
  return OPENID_SCOPES.has(scope.toLowerCase());
}

/** Splits a space-separated scope string (a response's `scope`, a cache entry's `target`); drops empty parts. */
export function parseScopeString(value: string): string[] {
  return value.split(/\s+/).filter((scope) => scope.length > 0);
}

/**
 * A set of scopes that ignores case: each scope is kept once, in the spelling it was first given,
 * in the order first given. Its target string is MSAL for Python's normal form of a cache entry's
 * `target` (those spellings sorted, space-separated).
 */
export class ScopeSet {
  /** Lower-cased scope → the spelling first given. */
  readonly #spellings: Map<string, string>;

  private constructor(spellings: Map<string, string>) {
    this.#spellings = spellings;
  }

  /** The scopes of a list whose items may each hold several, space-separated. */
  static of(scopes: Iterable<string>): ScopeSet {
    const spellings = new Map<string, string>();
    for (const item of scopes) {
      for (const scope of parseScopeString(item)) {
        const key = scope.toLowerCase();
        if (!spellings.has(key)) spellings.set(key, scope);
      }
    }
    return new ScopeSet(spellings);
  }

  /** The scopes of a target string; anything but a string (an entry another library damaged) holds none. */
  static fromTarget(target: unknown): ScopeSet {
    return ScopeSet.of(typeof target === 'string' ? [target] : []);
  }

  get size(): number {
    return this.#spellings.size;
  }

  has(scope: string): boolean {
    return this.#spellings.has(scope.toLowerCase());
  }

  /** Whether every scope of `wanted` is in this set. */
  containsAll(wanted: ScopeSet): boolean {
    for (const key of wanted.#spellings.keys()) if (!this.#spellings.has(key)) return false;
    return true;
  }

  /**
   * Whether a token granted these scopes replaces a cached token granted `older` (msal-common's
   * rule): they share a scope, the OpenID scopes not counting unless these hold nothing else, so
   * that tokens for two resources, both granted `openid profile`, live side by side.
   */
  replaces(older: ScopeSet): boolean {
    const own = [...this.#spellings.keys()];
    const resources = own.filter((key) => !OPENID_SCOPES.has(key));
    return (resources.length > 0 ? resources : own).some((key) => older.#spellings.has(key));
  }

  /** This set less the scopes of `other`. */
  without(other: ScopeSet): ScopeSet {
    return new ScopeSet(new Map([...this.#spellings].filter(([key]) => !other.#spellings.has(key))));
  }

  /** The scopes in the spelling and order first given. */
  toArray(): string[] {
    return [...this.#spellings.values()];
  }

  /** A key equal for every set of the same scopes, whatever their case and order (lower-cased, sorted). */
  toKey(): string {
    return [...this.#spellings.keys()].sort().join(' ');
  }

  /** MSAL for Python's target string: the scopes sorted, space-separated. */
  toTarget(): string {
    return this.toArray().sort().join(' ');
  }
}

const RESERVED = ScopeSet.of(RESERVED_SCOPES);

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
  const passedReserved = scopes.filter((scope) => RESERVED.has(scope));
  if (passedReserved.length > 0) {
    throw new AuthError(
      'invalid_argument',
      `the library adds ${RESERVED_SCOPES.join(', ')} itself; do not pass ${passedReserved.join(', ')}`,
    );
  }
  let decorated: ScopeSet;
  if (scopes.includes(clientId)) {
    if (ScopeSet.of(scopes).size > 1) {
      throw new AuthError('invalid_argument', 'the client id can only be requested as the only scope');
    }
    decorated = RESERVED;
  } else {
    decorated = ScopeSet.of([...scopes, ...RESERVED_SCOPES]);
  }
  return decorated.without(ScopeSet.of(excludeScopes)).toArray();
}

/**
 * The scopes a cached access token must hold to serve a silent request for `scopes`. No scopes
 * asks for the OpenID scopes alone, which get a token for the userinfo endpoint: that token is
 * found by `openid profile` (msal-common's search scopes; `offline_access` is a request for a
 * refresh token, not a scope a token is granted), less what the app excludes.
 */
export function searchScopesFor(scopes: readonly string[], excludeScopes: readonly string[] = []): string[] {
  if (scopes.length > 0) return [...scopes];
  const kept = ScopeSet.of(['openid', 'profile']).without(ScopeSet.of(excludeScopes)).toArray();
  return kept.length > 0 ? kept : ['openid'];
}
