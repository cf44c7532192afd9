/**
 * What the token cache's lookups and removals take: one type per question. Its fields are
 * camelCase; only `SearchOptions.query`, MSAL for Python's `search()` query, names entry fields.
 */

/** Options of {@link TokenCache.search}. */
export interface SearchOptions {
  /** Scopes the entry's `target` must contain (case-insensitive). */
  target?: readonly string[];
  /** Fields the entry must have, with these exact values. */
  query?: Record<string, unknown>;
  /** Epoch seconds; access tokens that expired before it are removed, as MSAL for Python does. */
  now?: number;
}

/** Filter of {@link TokenCache.getAccounts}; every field given must match (case-insensitive). */
export interface AccountFilter {
  /** Any of these hosts (an authority's aliases). */
  environments?: readonly string[];
  /** The same as `environments` (the name MSAL for Python's query field has). */
  environment?: readonly string[];
  homeAccountId?: string;
  username?: string;
  realm?: string;
}

/** What {@link TokenCache.findAccessToken} looks for. */
export interface AccessTokenQuery {
  /** `''` for app-only tokens. */
  homeAccountId: string;
  /** The authority host and its aliases. */
  environments: readonly string[];
  clientId: string;
  realm: string;
  /** The token's scopes must include all of these (case-insensitive). */
  scopes: readonly string[];
  /** Default `Bearer`. */
  tokenType?: string;
  /** Epoch seconds; tokens that expired before it are not returned. Default: now. */
  now?: number;
  /** The key a key-bound token must be bound to; without it, only unbound tokens are found. */
  keyId?: string;
}

export interface RefreshTokenQuery {
  homeAccountId: string;
  environments: readonly string[];
  clientId: string;
  /** Look for the family refresh token of this family (any client of the family) instead. */
  familyId?: string;
}

export interface IdTokenQuery {
  homeAccountId: string;
  environments: readonly string[];
  clientId: string;
  realm: string;
}

/** Whose data {@link TokenCache.removeAccountData} removes. */
export interface AccountDataQuery {
  homeAccountId: string;
  /** The authority host and its aliases. */
  environments: readonly string[];
  /** The app whose refresh tokens go (with those of its family). */
  clientId: string;
  /** The app's family; default: the one its app metadata records. */
  familyId?: string;
}

/** What {@link TokenCache.getAppAccounts} looks for. */
export interface AppAccountsQuery {
  /** The authority host and its aliases. */
  environments: readonly string[];
  clientId: string;
  /** The app's family (its app metadata's `family_id`): the family's refresh tokens count too. */
  familyId?: string;
  /** Only accounts with this username (case-insensitive). */
  username?: string;
}

export interface AppMetadataQuery {
  environments: readonly string[];
  clientId: string;
}
