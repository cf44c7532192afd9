/**
 * The in-memory token cache: MSAL for Python's `TokenCache` in camelCase, with indexes.
 *
 * Entries are kept exactly in their serialized shape (one object per section, keyed by cache
 * key), so serializing is one `JSON.stringify` and loading is one `JSON.parse` and a shape check.
 * Beside them sit indexes from `home_account_id|environment|client_id|realm` (and coarser keys)
 * to cache keys: a section's index is built in one pass the first time the section is looked
 * up, then kept in step by every change, so account-scoped lookups cost the tokens of that
 * account, not the size of the cache.
 *
 * Entries handed out are the stored objects: treat them as read-only and change the cache only
 * through {@link TokenCache.modify} and the `update*`/`remove*` methods, which keep the indexes right.
 */
import * as base64url from 'jose/base64url';
import { decodeJwt } from 'jose/jwt/decode';
import { usernameFromClaims } from '../account.js';
import { AuthError } from '../errors.js';
import { isJsonObject } from '../json.js';
import { MultiIndex } from './multi-index.js';
import {
  ACCESS_TOKEN_WITH_AUTH_SCHEME,
  CredentialType,
  makeAccountKey,
  makeAppMetadataKey,
  makeCredentialKey,
  makeKey,
  type AccessTokenEntity,
  type AccountEntity,
  type AppMetadataEntity,
  type AuthorityType,
  type EntityOf,
  type IdTokenEntity,
  type RefreshTokenEntity,
  type SerializedCache,
} from './schema.js';

/** A token endpoint's successful response, and what the request was, as {@link TokenCache.add} takes it. */
export interface TokenEvent {
  clientId: string;
  /** The scopes requested. The response's `scope`, when present, wins. */
  scope: string[];
  /** Gives the environment (its host, with the port when present) and realm (first path segment). */
  tokenEndpoint: string;
  /** The token endpoint's JSON (access_token, refresh_token, id_token, client_info, expires_in, ...). */
  response: Record<string, unknown>;
  /** Overrides the host of `tokenEndpoint`, e.g. the authority's preferred cache alias. */
  environment?: string;
  /**
   * Other hosts that serve the same accounts (`login.windows.net` beside
   * `login.microsoftonline.com`): a refresh token stored there by another library (msal-node
   * files under the preferred cache alias) is superseded by the one stored now, and removed.
   */
  aliases?: readonly string[];
  /**
   * Overrides the realm, which otherwise is the token endpoint's first path segment (MSAL for
   * Python). `''` is a realm too: that of an issuer at a host root (see `cache-realm.ts`).
   */
  realm?: string;
  /**
   * Request data worth keeping: `username` names an account that has no ID token (ROPC);
   * `key_id` binds the access token to a key (it is then served only to lookups naming that key).
   */
  data?: Record<string, unknown>;
  /** `authorization_code`, `password`, the device code grant or `broker` mark the account's source. */
  grantType?: string;
  /** Claims of the ID token, already validated. Otherwise the ID token is decoded without verification. */
  idTokenClaims?: Record<string, unknown>;
  /** Store tokens but no account (on-behalf-of and similar middle-tier flows). */
  skipAccountCreation?: boolean;
  /**
   * The account a refresh was for. Used only when the response names none: a server that sends
   * no ID token on refresh (and no client_info) would otherwise have the tokens filed as
   * app-only, where the account's next silent call never finds them.
   */
  homeAccountId?: string;
  /**
   * The account's username and name from the userinfo endpoint, for an ID token that names nobody
   * (see `userinfo.ts`); the ID token's claims win where it has them.
   */
  profile?: { username?: string; name?: string };
  /** The account's `authority_type`; default `ADFS` when the realm is `adfs`, else `MSSTS`. */
  authorityType?: AuthorityType;
}

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

/** What {@link TokenCache.add} stored, for building the caller's result. */
export interface AddResult {
  /** `''` for app-only tokens. */
  homeAccountId: string;
  environment: string;
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

/** The grants after which an account records its `account_source` (MSAL for Python's list). */
const GRANT_TYPES_THAT_ESTABLISH_AN_ACCOUNT: ReadonlySet<string> = new Set([
  'broker',
  'authorization_code',
  'password',
  'urn:ietf:params:oauth:grant-type:device_code',
]);

/** Scopes that never make two access tokens overlap on their own (msal-common's OIDC scopes). */
const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'offline_access', 'email']);

/** Fields that must be strings (or null, which MSAL for Python writes for absent values) when read. */
const STRING_FIELDS: Record<CredentialType, readonly string[]> = {
  AccessToken: ['home_account_id', 'environment', 'client_id', 'realm', 'target', 'token_type', 'credential_type'],
  RefreshToken: ['home_account_id', 'environment', 'client_id', 'family_id', 'credential_type'],
  IdToken: ['home_account_id', 'environment', 'client_id', 'realm', 'credential_type'],
  Account: ['home_account_id', 'environment', 'realm', 'username'],
  AppMetadata: ['environment', 'client_id', 'family_id'],
};

const SECTIONS: readonly CredentialType[] = [
  CredentialType.ACCOUNT,
  CredentialType.ID_TOKEN,
  CredentialType.ACCESS_TOKEN,
  CredentialType.REFRESH_TOKEN,
  CredentialType.APP_METADATA,
];

/** Separates the parts of an index key; it cannot occur in hosts, ids or tenant names. */
const SEP = '\u001f';

type Section<T extends CredentialType> = Record<string, EntityOf[T]>;

const EMPTY_SECTION: Record<string, never> = Object.freeze({}) as Record<string, never>;

/**
 * The index of one section. Every index key is made of lower-cased field values:
 * - `byHome`: home_account_id → keys (unused for app metadata);
 * - `byGroup`: access and ID tokens by home_account_id|environment|client_id|realm, refresh
 *   tokens by home_account_id|environment, app metadata by environment|client_id;
 * - `rows` (accounts only): every account with the lower-cased fields accounts are filtered on;
 * - `refreshRows` (refresh tokens only): home_account_id → the lower-cased fields that say whose
 *   each refresh token is, so that listing accounts reads these small rows, made side by side
 *   when the index is built, instead of entries spread through the whole parsed cache (bench/,
 *   figure 2).
 * @internal
 */
interface SectionIndex {
  byHome: MultiIndex;
  byGroup: MultiIndex;
  rows: Map<string, AccountRow>;
  refreshRows: Map<string, RefreshTokenRow[]>;
}

/** Whose a refresh token is, lower-cased. @internal */
interface RefreshTokenRow {
  key: string;
  environment: string;
  clientId: string;
  familyId: string;
}

/** An account and the lower-cased fields accounts are filtered on. @internal */
interface AccountRow {
  entry: AccountEntity;
  /** The shared string of its lower-cased home_account_id (see {@link CacheStore.homes}). */
  home: string;
  environment: string;
  username: string;
  realm: string;
}

/**
 * The stored cache: the serialized object itself, and the indexes of its sections. A section's
 * index is built on its first use, in one pass, so loading a cache costs little more than
 * parsing it. @internal
 */
export interface CacheStore {
  root: SerializedCache;
  indexes: { [T in CredentialType]?: SectionIndex };
  /**
   * One string per lower-cased home_account_id, shared by every section's index: a lookup with
   * one index's key in another index then compares strings by identity, not character by
   * character, which halves the time to list 10,000 accounts (bench/, figure 2). Homes removed
   * from the cache stay here until the next load; there are never more than were loaded or added.
   */
  homes: Map<string, string>;
}

/** The shared string of a lower-cased home_account_id (see {@link CacheStore.homes}). */
function homeOf(homes: Map<string, string>, entry: Record<string, unknown>): string {
  const home = lower(entry['home_account_id']);
  const shared = homes.get(home);
  if (shared !== undefined) return shared;
  homes.set(home, home);
  return home;
}

/** Lower-cased text of a field; absent, null or non-string values count as `''`. */
function lower(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}

function groupKey(type: CredentialType, entry: Record<string, unknown>): string {
  switch (type) {
    case CredentialType.ACCESS_TOKEN:
    case CredentialType.ID_TOKEN:
      return lower(entry['home_account_id']) + SEP + lower(entry['environment']) + SEP + lower(entry['client_id']) + SEP + lower(entry['realm']);
    case CredentialType.REFRESH_TOKEN:
      return lower(entry['home_account_id']) + SEP + lower(entry['environment']);
    case CredentialType.APP_METADATA:
      return lower(entry['environment']) + SEP + lower(entry['client_id']);
    default:
      return '';
  }
}

/** Files one entry in a section's index (or, with `remove`, takes it out). */
function indexEntry(index: SectionIndex, homes: Map<string, string>, type: CredentialType, key: string, entry: Record<string, unknown>, remove = false): void {
  if (type === CredentialType.ACCOUNT) {
    if (remove) index.rows.delete(key);
    else {
      index.rows.set(key, {
        entry: entry as AccountEntity,
        home: homeOf(homes, entry),
        environment: lower(entry['environment']),
        username: lower(entry['username']),
        realm: lower(entry['realm']),
      });
    }
  } else {
    const group = groupKey(type, entry);
    if (remove) index.byGroup.delete(group, key);
    else index.byGroup.add(group, key);
  }
  if (type === CredentialType.REFRESH_TOKEN) {
    const home = homeOf(homes, entry);
    const rows = (index.refreshRows.get(home) ?? []).filter((row) => row.key !== key);
    if (!remove) rows.push({ key, environment: lower(entry['environment']), clientId: lower(entry['client_id']), familyId: lower(entry['family_id']) });
    if (rows.length > 0) index.refreshRows.set(home, rows);
    else index.refreshRows.delete(home);
  }
  if (type !== CredentialType.APP_METADATA) {
    const home = homeOf(homes, entry);
    if (remove) index.byHome.delete(home, key);
    else index.byHome.add(home, key);
  }
}

/** Whether the home account has a refresh token in the environments, of the client or of its family. */
function hasUsableRefreshToken(index: SectionIndex, home: string, environments: ReadonlySet<string>, clientId: string, familyId: string | undefined): boolean {
  const rows = index.refreshRows.get(home);
  if (rows === undefined) return false;
  for (const row of rows) {
    if (environments.has(row.environment) && (row.clientId === clientId || (familyId !== undefined && row.familyId === familyId))) return true;
  }
  return false;
}

function buildSectionIndex(type: CredentialType, section: Record<string, Record<string, unknown>>, homes: Map<string, string>): SectionIndex {
  const index: SectionIndex = { byHome: new MultiIndex(), byGroup: new MultiIndex(), rows: new Map(), refreshRows: new Map() };
  for (const key in section) indexEntry(index, homes, type, key, section[key]!);
  return index;
}

/**
 * Checks the shape of a parsed cache: an object whose known sections are objects of entry
 * objects, with string (or null) fields where the cache reads them. Throws
 * `AuthError('invalid_cache')` otherwise. Unknown sections and fields are not looked at.
 * @internal
 */
export function loadStore(parsed: unknown): CacheStore {
  if (!isJsonObject(parsed)) throw new AuthError('invalid_cache', 'The token cache is not a JSON object');
  for (const type of SECTIONS) {
    const section = parsed[type];
    if (section === undefined) continue;
    if (!isJsonObject(section)) throw new AuthError('invalid_cache', `The token cache's ${type} section is not an object`);
    const fields = STRING_FIELDS[type];
    for (const key in section) {
      const entry = section[key];
      if (!isJsonObject(entry)) throw new AuthError('invalid_cache', `An entry of the token cache's ${type} section is not an object`);
      for (const field of fields) {
        const value = entry[field];
        if (value != null && typeof value !== 'string') {
          throw new AuthError('invalid_cache', `An entry of the token cache's ${type} section has a ${field} that is not a string`);
        }
      }
    }
  }
  return { root: parsed as SerializedCache, indexes: {}, homes: new Map() };
}

/** Scopes as MSAL for Python stores them: trimmed, without empties or duplicates, sorted. */
export function normalizeScopes(scopes: Iterable<string>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of scopes) {
    for (const scope of raw.split(/\s+/)) {
      if (!scope || seen.has(scope.toLowerCase())) continue;
      seen.add(scope.toLowerCase());
      out.push(scope);
    }
  }
  return out.sort();
}

function lowerScopeSet(target: unknown): Set<string> {
  const set = new Set<string>();
  if (typeof target !== 'string') return set;
  for (const scope of target.split(/\s+/)) if (scope) set.add(scope.toLowerCase());
  return set;
}

function containsAll(have: Set<string>, wanted: readonly string[]): boolean {
  for (const scope of wanted) if (!have.has(scope)) return false;
  return true;
}

/** Python's `int(x)` for the numbers of a token response (numbers or numeric strings). */
function toInteger(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? Math.trunc(n) : undefined;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** An access token's `expires_on` in epoch seconds; undefined when it has none that reads as a number. */
function expiryOf(entry: { expires_on?: unknown }): number | undefined {
  const value = entry.expires_on;
  if ((typeof value !== 'string' || value.trim() === '') && typeof value !== 'number') return undefined;
  const seconds = Number(value);
  // Beyond Date's range (±8.64e12 s) an expiry is as unreadable as no number at all.
  return Number.isFinite(seconds) && Math.abs(seconds) <= MAX_DATE_S ? seconds : undefined;
}

/**
 * The scheme an access token is for, lower-cased: `bearer` unless its `token_type` names another
 * (`pop`, `dpop`, `ssh-cert`), or it is msal-node's `AccessToken_With_AuthScheme` entry, which
 * is never a plain Bearer token whatever its `token_type` says.
 */
function schemeOf(entry: AccessTokenEntity): string {
  const type = lower(entry.token_type) || 'bearer';
  return entry.credential_type === ACCESS_TOKEN_WITH_AUTH_SCHEME && type === 'bearer' ? 'authscheme' : type;
}

/** Whether an access token is bound to a key: served only to a lookup that names the key. */
function isKeyBound(entry: AccessTokenEntity): boolean {
  return typeof entry.key_id === 'string' ? entry.key_id !== '' : entry.key_id !== undefined && entry.key_id !== null;
}

/**
 * Whether another library filed the access token in a partition of its own: msal-node's
 * `additionalCacheKeyComponents` (an FMI path, client claims) or `requestedClaimsHash`, MSAL for
 * Python's `ext_cache_key`. Such a token was asked for with more than scopes, and this library
 * never asks that way: it is never served here.
 */
function isPartitioned(entry: AccessTokenEntity): boolean {
  const components = entry['additionalCacheKeyComponents'];
  if (isJsonObject(components) && Object.keys(components).length > 0) return true;
  return Boolean(entry['requestedClaimsHash']) || Boolean(entry['ext_cache_key']);
}

/** The largest epoch-seconds value a Date can hold. */
const MAX_DATE_S = 8.64e12;

/**
 * Whether a credential entry holds a usable secret. Entries loaded from a damaged or foreign cache
 * may lack it: such a token is never served or redeemed (it would give an empty bearer token).
 */
function hasSecret(entry: { secret?: unknown }): boolean {
  return typeof entry.secret === 'string' && entry.secret !== '';
}

function stringClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Decodes Entra's client_info (base64url JSON, padding and the standard alphabet tolerated). */
function decodeClientInfo(clientInfo: string): Record<string, unknown> {
  try {
    const json = new TextDecoder().decode(base64url.decode(clientInfo.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')));
    const value: unknown = JSON.parse(json);
    if (isJsonObject(value)) return value;
  } catch {
    // reported below
  }
  // The server's answer is at fault, not the caller: the same code as every other malformed response field.
  throw new AuthError('invalid_response', 'The token response has a client_info that is not base64url-encoded JSON');
}

/** The `foci` of a token response (Entra's family id, `"1"`), or undefined when it has none. */
function familyIdOf(foci: unknown): string | undefined {
  if (foci === undefined || foci === null || foci === '') return undefined;
  if (typeof foci === 'string' || typeof foci === 'number') return String(foci);
  throw new AuthError('invalid_response', 'The token response has a foci that is not a string');
}

/** MSAL for Python's `__parse_account`: home_account_id from client_info, else from the ID token's `sub`. */
function parseAccount(response: Record<string, unknown>, claims: Record<string, unknown>): { homeAccountId: string; hasAccount: boolean } {
  const clientInfo = response['client_info'];
  if (typeof clientInfo === 'string' && clientInfo !== '') {
    const info = decodeClientInfo(clientInfo);
    const uid = info['uid'];
    const utid = info['utid'];
    if (typeof uid === 'string' && typeof utid === 'string' && uid !== '' && utid !== '') {
      return { homeAccountId: `${uid}.${utid}`, hasAccount: true };
    }
  }
  if (Object.keys(claims).length > 0) {
    const sub = stringClaim(claims, 'sub');
    if (!sub) throw new AuthError('invalid_id_token', 'The ID token has no sub claim');
    return { homeAccountId: sub, hasAccount: true };
  }
  // Client credentials (app-only) tokens: no account.
  return { homeAccountId: '', hasAccount: false };
}

/** Python's `is_subdict_of(query, entry)` with JSON values: every queried field present and equal. */
function matchesQuery(entry: Record<string, unknown>, query: Record<string, unknown> | undefined): boolean {
  if (!query) return true;
  for (const field in query) {
    if (!Object.hasOwn(entry, field) || !jsonEqual(entry[field], query[field])) return false;
  }
  return true;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function shallowEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

function requireText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new AuthError('invalid_argument', `${what} must be a non-empty string`);
  return value;
}

function requireEnvironments(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new AuthError('invalid_argument', 'environments must be a non-empty array of hosts');
  }
  return value.map((v: string) => v.toLowerCase());
}

function requireScopes(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new AuthError('invalid_argument', 'scopes must be an array of strings');
  }
  const scopes = normalizeScopes(value as string[]).map((s) => s.toLowerCase());
  if (scopes.length === 0) throw new AuthError('invalid_argument', 'scopes must not be empty');
  return scopes;
}

/**
 * An in-memory token cache in MSAL's unified schema. See {@link SerializableTokenCache} to
 * persist it.
 */
export class TokenCache {
  /** The serialized-shape data and its indexes. Replaced whole by a load. */
  protected store: CacheStore = { root: {}, indexes: {}, homes: new Map() };

  /** Called after every change; {@link SerializableTokenCache} sets `hasStateChanged` here. */
  protected onStateChanged(): void {}

  // ---------------------------------------------------------------- storage primitives

  /** The entries of a section (an empty object when the section does not exist). */
  protected section<T extends CredentialType>(type: T): Section<T> {
    const section = this.store.root[type];
    return (section ?? EMPTY_SECTION) as Section<T>;
  }

  private writableSection<T extends CredentialType>(type: T): Section<T> {
    let section = this.store.root[type] as Section<T> | undefined;
    if (!section) {
      section = {};
      this.store.root[type] = section as SerializedCache[T];
    }
    return section;
  }

  private entryAt<T extends CredentialType>(type: T, key: string): EntityOf[T] | undefined {
    const section = this.section(type);
    return Object.hasOwn(section, key) ? section[key] : undefined;
  }

  /** The index of a section, built in one pass over it on first use. */
  private index(type: CredentialType): SectionIndex {
    let index = this.store.indexes[type];
    if (!index) {
      index = buildSectionIndex(type, this.section(type), this.store.homes);
      this.store.indexes[type] = index;
    }
    return index;
  }

  private put<T extends CredentialType>(type: T, key: string, entry: EntityOf[T]): void {
    const section = this.writableSection(type);
    // A section not indexed yet is indexed from its data when first used.
    const index = this.store.indexes[type];
    if (index && Object.hasOwn(section, key)) indexEntry(index, this.store.homes, type, key, section[key]!, true);
    section[key] = entry;
    if (index) indexEntry(index, this.store.homes, type, key, entry);
    this.onStateChanged();
  }

  private deleteKey(type: CredentialType, key: string): boolean {
    const section = this.section(type);
    if (!Object.hasOwn(section, key)) return false;
    const index = this.store.indexes[type];
    if (index) indexEntry(index, this.store.homes, type, key, section[key]!, true);
    delete section[key];
    this.onStateChanged();
    return true;
  }

  /**
   * Where `entry` is stored: the very object, else an entry under its computed key, else an entry
   * of the same account with the same fields (an entry stored under another library's key).
   */
  private locate(type: CredentialType, entry: Record<string, unknown>): string | undefined {
    const computed = makeKey(type, entry);
    const atComputed = this.entryAt(type, computed);
    if (atComputed === entry) return computed;
    const index = this.index(type);
    const candidates =
      type === CredentialType.APP_METADATA ? index.byGroup.get(groupKey(type, entry)) : index.byHome.get(lower(entry['home_account_id']));
    for (const key of candidates) if (this.entryAt(type, key) === entry) return key;
    if (atComputed) return computed;
    for (const key of candidates) {
      const stored = this.entryAt(type, key);
      if (stored && shallowEqual(stored, entry)) return key;
    }
    return undefined;
  }

  /** Loads a parsed cache in place of the current one (after checking it, see {@link loadStore}). */
  protected replaceStore(parsed: unknown): void {
    this.store = loadStore(parsed);
  }

  // ---------------------------------------------------------------- add

  /**
   * Stores the tokens of a token endpoint response, as MSAL for Python's `TokenCache.add()`:
   * an AccessToken (replacing older ones of the same account, client and realm whose scopes
   * overlap), an Account (when the response identifies a user), an IdToken (replacing the one of
   * the same account, client and realm), a RefreshToken (replacing the client's older one) and
   * the client's AppMetadata. Entries stored under other libraries' keys are replaced as well.
   *
   * `now` is in epoch seconds.
   */
  add(event: TokenEvent, now: number = nowSeconds()): AddResult {
    if (!isJsonObject(event)) throw new AuthError('invalid_argument', 'The token event must be an object');
    // MSAL for Python's `add({})`: nothing to store is no error (it still counts as a change).
    if (event.response === undefined || (isJsonObject(event.response) && Object.keys(event.response).length === 0)) {
      this.onStateChanged();
      return { homeAccountId: '', environment: '', realm: '' };
    }
    const clientId = requireText(event.clientId, 'clientId');
    const response = event.response;
    if (!isJsonObject(response)) throw new AuthError('invalid_argument', 'The token event has no response object');
    if (event.scope !== undefined && (!Array.isArray(event.scope) || !event.scope.every((s) => typeof s === 'string'))) {
      throw new AuthError('invalid_argument', 'scope must be an array of strings');
    }
    if (!Number.isFinite(now)) throw new AuthError('invalid_argument', 'now must be a number of epoch seconds');
    now = Math.floor(now);

    let endpoint: URL;
    try {
      endpoint = new URL(requireText(event.tokenEndpoint, 'tokenEndpoint'));
    } catch (cause) {
      if (cause instanceof AuthError) throw cause;
      throw new AuthError('invalid_argument', 'tokenEndpoint is not a URL', { cause });
    }
    const environment = event.environment || endpoint.host;

    const data = isJsonObject(event.data) ? event.data : {};
    const accessToken = response['access_token'];
    const refreshToken = response['refresh_token'];
    const idToken = response['id_token'];
    let claims: Record<string, unknown> = {};
    if (isJsonObject(event.idTokenClaims)) claims = event.idTokenClaims;
    else if (typeof idToken === 'string' && idToken !== '') {
      try {
        claims = decodeJwt(idToken) as Record<string, unknown>;
      } catch (cause) {
        throw new AuthError('invalid_id_token', 'The ID token of the token response cannot be decoded', { cause });
      }
    }
    const realm = typeof event.realm === 'string' ? event.realm : (endpoint.pathname.split('/')[1] ?? '');
    const parsed = parseAccount(response, claims);
    const homeAccountId = parsed.homeAccountId || (typeof event.homeAccountId === 'string' ? event.homeAccountId : '');
    const hasAccount = parsed.hasAccount;

    // Read before anything is written: a response refused here must leave the cache as it was.
    const familyId = familyIdOf(response['foci']);
    const grantedScope = response['scope'];
    const target = normalizeScopes(typeof grantedScope === 'string' && grantedScope.trim() !== '' ? [grantedScope] : (event.scope ?? [])).join(' ');

    if (typeof accessToken === 'string' && accessToken !== '') {
      const expiresOn = toInteger(response['expires_on']);
      const expiresIn = toInteger(response['expires_in']) ?? (expiresOn !== undefined ? expiresOn - now : 600);
      const extExpiresIn = toInteger(response['ext_expires_in']) ?? expiresIn;
      const tokenType = typeof response['token_type'] === 'string' && response['token_type'] !== '' ? response['token_type'] : 'Bearer';
      const at: AccessTokenEntity = {
        credential_type: CredentialType.ACCESS_TOKEN,
        secret: accessToken,
        home_account_id: homeAccountId,
        environment,
        client_id: clientId,
        target,
        realm,
        token_type: tokenType,
        cached_at: String(now),
        expires_on: String(now + expiresIn),
        extended_expires_on: String(now + extExpiresIn),
      };
      const refreshIn = toInteger(response['refresh_in']);
      if (refreshIn !== undefined) at.refresh_on = String(now + refreshIn);
      const keyId = data['key_id'];
      if ((typeof keyId === 'string' && keyId !== '') || typeof keyId === 'number') at.key_id = String(keyId);
      this.saveAccessToken(at);
    }

    if (hasAccount && !event.skipAccountCreation) {
      const account: AccountEntity = {
        home_account_id: homeAccountId,
        environment,
        realm,
        // null without an ID token, as MSAL for Python writes it.
        local_account_id: stringClaim(claims, 'oid') ?? stringClaim(claims, 'sub') ?? null,
        username:
          usernameFromClaims(claims) ??
          (typeof event.profile?.username === 'string' && event.profile.username !== '' ? event.profile.username : undefined) ??
          (typeof data['username'] === 'string' ? data['username'] : ''),
        authority_type: event.authorityType ?? (realm.toLowerCase() === 'adfs' ? 'ADFS' : 'MSSTS'),
      };
      const name = stringClaim(claims, 'name') ?? (typeof event.profile?.name === 'string' ? event.profile.name : undefined);
      if (name) account.name = name;
      if (event.grantType && GRANT_TYPES_THAT_ESTABLISH_AN_ACCOUNT.has(event.grantType)) account.account_source = event.grantType;
      this.put(CredentialType.ACCOUNT, makeAccountKey(account), account);
    }

    if (typeof idToken === 'string' && idToken !== '') {
      const idt: IdTokenEntity = {
        credential_type: CredentialType.ID_TOKEN,
        secret: idToken,
        home_account_id: homeAccountId,
        environment,
        realm,
        client_id: clientId,
      };
      this.saveIdToken(idt);
    }

    if (typeof refreshToken === 'string' && refreshToken !== '') {
      const rt: RefreshTokenEntity = {
        credential_type: CredentialType.REFRESH_TOKEN,
        secret: refreshToken,
        home_account_id: homeAccountId,
        environment,
        client_id: clientId,
        target,
        last_modification_time: String(now),
      };
      if (familyId !== undefined) rt.family_id = familyId;
      this.saveRefreshToken(rt, event.aliases);
    }

    const appMetadata: AppMetadataEntity = { client_id: clientId, environment };
    if (familyId !== undefined) appMetadata.family_id = familyId;
    this.put(CredentialType.APP_METADATA, makeAppMetadataKey(appMetadata), appMetadata);
    return { homeAccountId, environment, realm };
  }

  /**
   * Stores an access token, first removing the tokens of the same account, environment, client,
   * realm and token type whose scopes overlap its scopes (as msal-common does; OpenID Connect
   * scopes alone do not count as an overlap).
   */
  private saveAccessToken(at: AccessTokenEntity): void {
    const key = makeCredentialKey(at);
    const scopes = [...lowerScopeSet(at.target)];
    const resourceScopes = scopes.filter((s) => !OIDC_SCOPES.has(s));
    const compared = resourceScopes.length > 0 ? resourceScopes : scopes;
    const scheme = schemeOf(at);
    const keyId = at.key_id ?? '';
    for (const oldKey of this.index(CredentialType.ACCESS_TOKEN).byGroup.get(groupKey(CredentialType.ACCESS_TOKEN, at))) {
      if (oldKey === key) continue;
      const old = this.entryAt(CredentialType.ACCESS_TOKEN, oldKey);
      if (!old || schemeOf(old) !== scheme || (old.key_id ?? '') !== keyId) continue;
      const oldScopes = lowerScopeSet(old.target);
      if (compared.some((s) => oldScopes.has(s))) this.deleteKey(CredentialType.ACCESS_TOKEN, oldKey);
    }
    this.put(CredentialType.ACCESS_TOKEN, key, at);
  }

  /** Stores an ID token in place of any other of the same account, environment, client and realm (under another key). */
  private saveIdToken(idt: IdTokenEntity): void {
    const key = makeCredentialKey(idt);
    for (const oldKey of this.index(CredentialType.ID_TOKEN).byGroup.get(groupKey(CredentialType.ID_TOKEN, idt))) {
      if (oldKey !== key) this.deleteKey(CredentialType.ID_TOKEN, oldKey);
    }
    this.put(CredentialType.ID_TOKEN, key, idt);
  }

  /**
   * Stores a refresh token in place of every older one of the same account and environment that
   * it supersedes: the client's own, and for a family refresh token every one of the family,
   * whatever key each was stored under (MSAL for Python's key, msal-node's, an older target's).
   * One refresh token is left, so no reader, ours or another library's, can pick a stale one.
   */
  private saveRefreshToken(rt: RefreshTokenEntity, aliases: readonly string[] = []): void {
    const key = makeCredentialKey(rt);
    const clientId = lower(rt.client_id);
    const familyId = lower(rt.family_id);
    const home = lower(rt.home_account_id);
    const environments = new Set([lower(rt.environment), ...aliases.filter((alias) => typeof alias === 'string').map(lower)]);
    const index = this.index(CredentialType.REFRESH_TOKEN);
    for (const environment of environments) {
      for (const oldKey of index.byGroup.get(home + SEP + environment)) {
        if (oldKey === key) continue;
        const old = this.entryAt(CredentialType.REFRESH_TOKEN, oldKey);
        if (old && (lower(old.client_id) === clientId || (familyId !== '' && lower(old.family_id) === familyId))) this.deleteKey(CredentialType.REFRESH_TOKEN, oldKey);
      }
    }
    this.put(CredentialType.REFRESH_TOKEN, key, rt);
  }

  // ---------------------------------------------------------------- search and lookups

  /**
   * MSAL for Python's `search()`: the entries of a section whose fields equal those of `query`
   * and whose `target` contains every scope of `target`. Served from an index when the query
   * names `home_account_id` (and, for access tokens, also environment, client_id and realm);
   * otherwise it reads the whole section. Expired access tokens met on the way are removed.
   */
  search<T extends CredentialType>(credentialType: T, options: SearchOptions = {}): EntityOf[T][] {
    if (!SECTIONS.includes(credentialType)) throw new AuthError('invalid_argument', `Unknown credential type ${String(credentialType)}`);
    const { query, target } = options;
    const now = options.now ?? nowSeconds();
    const wanted = target && target.length > 0 ? requireScopes(target) : undefined;

    let keys: Iterable<string>;
    if (query && credentialType === CredentialType.ACCESS_TOKEN && ['home_account_id', 'environment', 'client_id', 'realm'].every((f) => Object.hasOwn(query, f))) {
      keys = this.index(credentialType).byGroup.get(groupKey(credentialType, query));
    } else if (query && credentialType !== CredentialType.APP_METADATA && Object.hasOwn(query, 'home_account_id')) {
      keys = this.index(credentialType).byHome.get(lower(query['home_account_id']));
    } else {
      keys = Object.keys(this.section(credentialType));
    }

    const found: EntityOf[T][] = [];
    const expired: string[] = [];
    for (const key of keys) {
      const entry = this.entryAt(credentialType, key);
      if (!entry) continue;
      if (credentialType === CredentialType.ACCESS_TOKEN) {
        // An entry without a readable expiry is not ours to judge: neither served nor removed.
        const expiresOn = expiryOf(entry as AccessTokenEntity);
        if (expiresOn === undefined) continue;
        if (expiresOn < now) {
          expired.push(key);
          continue;
        }
      }
      if (!matchesQuery(entry, query)) continue;
      // A key-bound token goes only to a search that names its key (MSAL for Python's isolation).
      if (credentialType === CredentialType.ACCESS_TOKEN && isKeyBound(entry as AccessTokenEntity) && !Object.hasOwn(query ?? {}, 'key_id')) continue;
      if (wanted && !containsAll(lowerScopeSet(entry['target']), wanted)) continue;
      found.push(entry);
    }
    for (const key of expired) this.deleteKey(CredentialType.ACCESS_TOKEN, key);
    return found;
  }

  /**
   * Accounts matching the filter, all of them without one. With `homeAccountId` it is an index
   * lookup; otherwise one pass over the accounts (never over the credentials).
   */
  getAccounts(filter: AccountFilter = {}): AccountEntity[] {
    const hosts = filter.environments ?? filter.environment;
    const environments = hosts ? new Set(hosts.map((e) => e.toLowerCase())) : undefined;
    const username = filter.username?.toLowerCase();
    const realm = filter.realm?.toLowerCase();
    const { rows: accounts, byHome } = this.index(CredentialType.ACCOUNT);
    const rows =
      filter.homeAccountId !== undefined ? byHome.get(filter.homeAccountId.toLowerCase()).map((key) => accounts.get(key)!) : accounts.values();
    const found: AccountEntity[] = [];
    for (const row of rows) {
      if (
        (!environments || environments.has(row.environment)) &&
        (username === undefined || row.username === username) &&
        (realm === undefined || row.realm === realm)
      ) {
        found.push(row.entry);
      }
    }
    return found;
  }

  /**
   * The accounts an app lists (what `ClientApplication.getAccounts()` returns): one per home
   * account, in any of the environments, that holds a refresh token of `clientId` or of its
   * family, or else an ID token of `clientId` in that account entry's realm. Of several entries
   * of one home account (one per realm), the first that qualifies is returned.
   *
   * One walk over the account index rows, with one refresh-token index lookup per account and
   * no string built or lower-cased per account (home ids are shared strings, compared by
   * identity): listing 10,000 accounts is bound by memory reads, not by work (bench/, figure 2).
   */
  getAppAccounts(query: AppAccountsQuery): AccountEntity[] {
    const environments = new Set(requireEnvironments(query.environments));
    const clientId = requireText(query.clientId, 'clientId').toLowerCase();
    const familyId = query.familyId ? query.familyId.toLowerCase() : undefined;
    const username = query.username?.toLowerCase();
    const refreshTokens = this.index(CredentialType.REFRESH_TOKEN);
    const accounts = this.index(CredentialType.ACCOUNT);
    // Homes listed already, kept only for homes with several account entries (one per realm):
    // a set of every home would cost as much as the rest of the walk.
    const listed = new Set<string>();
    const found: AccountEntity[] = [];
    for (const row of accounts.rows.values()) {
      if (!environments.has(row.environment) || (username !== undefined && row.username !== username)) continue;
      const several = typeof accounts.byHome.peek(row.home) !== 'string';
      if (several && listed.has(row.home)) continue;
      if (
        hasUsableRefreshToken(refreshTokens, row.home, environments, clientId, familyId) ||
        this.findIdToken({ homeAccountId: row.home, environments: [...environments], clientId, realm: row.realm })
      ) {
        if (several) listed.add(row.home);
        found.push(row.entry);
      }
    }
    return found;
  }

  /**
   * The access token of this account, client and realm, in any of the environments, whose scopes
   * include all of `scopes` and that has not expired; the one that lives longest when several do.
   * Costs the access tokens of that account, client and realm.
   */
  findAccessToken(query: AccessTokenQuery): AccessTokenEntity | undefined {
    if (typeof query.homeAccountId !== 'string') throw new AuthError('invalid_argument', 'homeAccountId must be a string');
    const environments = requireEnvironments(query.environments);
    const clientId = requireText(query.clientId, 'clientId').toLowerCase();
    const realm = typeof query.realm === 'string' ? query.realm.toLowerCase() : '';
    const wanted = requireScopes(query.scopes);
    const tokenType = (query.tokenType ?? 'Bearer').toLowerCase();
    const now = query.now ?? nowSeconds();
    const home = query.homeAccountId.toLowerCase();
    const keyId = query.keyId ?? '';

    const index = this.index(CredentialType.ACCESS_TOKEN);
    let best: AccessTokenEntity | undefined;
    for (const environment of environments) {
      for (const key of index.byGroup.get(home + SEP + environment + SEP + clientId + SEP + realm)) {
        const entry = this.entryAt(CredentialType.ACCESS_TOKEN, key);
        if (!entry || !hasSecret(entry) || schemeOf(entry) !== tokenType || (entry.key_id ?? '') !== keyId || isPartitioned(entry)) continue;
        const expiresOn = expiryOf(entry);
        if (expiresOn === undefined || expiresOn < now || !containsAll(lowerScopeSet(entry.target), wanted)) continue;
        if (!best || expiresOn > expiryOf(best)!) best = entry;
      }
    }
    return best;
  }

  /** {@link findAccessToken} for app-only tokens (client credentials), whose home_account_id is `''`. */
  findAppOnlyAccessToken(query: Omit<AccessTokenQuery, 'homeAccountId'>): AccessTokenEntity | undefined {
    return this.findAccessToken({ ...query, homeAccountId: '' });
  }

  /**
   * The client's refresh token for the account in any of the environments; with `familyId`, the
   * family refresh token of that family instead (the client's own one first, else a sibling's).
   */
  findRefreshToken(query: RefreshTokenQuery): RefreshTokenEntity | undefined {
    const { clientId, familyId, entries } = this.refreshTokensOfAccount(query);
    let sibling: RefreshTokenEntity | undefined;
    for (const { entry } of entries) {
      if (familyId === undefined) {
        if (lower(entry.client_id) === clientId) return entry;
      } else if (lower(entry.family_id) === familyId) {
        if (lower(entry.client_id) === clientId) return entry;
        sibling ??= entry;
      }
    }
    return sibling;
  }

  /**
   * Every refresh token that can serve the client for the account, in any of the environments:
   * the client's own and, with `familyId`, those of its family. The likeliest to be valid comes
   * first, which matters: at a server that rotates refresh tokens, sending a used one revokes
   * the whole grant, and the next one with it. This library writes a time on every refresh token
   * and replaces the others when it stores one, so an entry without a time beside one with a
   * time was written later, by msal-node (which writes none and leaves other keys alone): entries
   * without a time come first, those under another library's key before ours, then the newest
   * `last_modification_time` (MSAL for Python's order).
   */
  findRefreshTokens(query: RefreshTokenQuery): RefreshTokenEntity[] {
    const { clientId, familyId, entries } = this.refreshTokensOfAccount(query);
    const found: { entry: RefreshTokenEntity; time: number; foreign: boolean }[] = [];
    for (const { key, entry } of entries) {
      if (lower(entry.client_id) !== clientId && (familyId === undefined || lower(entry.family_id) !== familyId)) continue;
      const time = toInteger(entry.last_modification_time) ?? Infinity;
      found.push({ entry, time, foreign: key !== makeCredentialKey(entry) });
    }
    found.sort((a, b) => (b.time === a.time ? Number(b.foreign) - Number(a.foreign) : b.time > a.time ? 1 : -1));
    return found.map((candidate) => candidate.entry);
  }

  /** The account's refresh tokens that hold a secret, in the environments (checked query, lower-cased ids). */
  private refreshTokensOfAccount(query: RefreshTokenQuery) {
    if (typeof query.homeAccountId !== 'string') throw new AuthError('invalid_argument', 'homeAccountId must be a string');
    const environments = requireEnvironments(query.environments);
    const clientId = requireText(query.clientId, 'clientId').toLowerCase();
    const familyId = query.familyId?.toLowerCase();
    const home = query.homeAccountId.toLowerCase();
    const index = this.index(CredentialType.REFRESH_TOKEN);
    const entries: { key: string; entry: RefreshTokenEntity }[] = [];
    for (const environment of environments) {
      for (const key of index.byGroup.get(home + SEP + environment)) {
        const entry = this.entryAt(CredentialType.REFRESH_TOKEN, key);
        if (entry && hasSecret(entry)) entries.push({ key, entry });
      }
    }
    return { clientId, familyId, entries };
  }

  /** The client's ID token for the account and realm, in any of the environments. */
  findIdToken(query: IdTokenQuery): IdTokenEntity | undefined {
    if (typeof query.homeAccountId !== 'string') throw new AuthError('invalid_argument', 'homeAccountId must be a string');
    const environments = requireEnvironments(query.environments);
    const clientId = requireText(query.clientId, 'clientId').toLowerCase();
    const realm = typeof query.realm === 'string' ? query.realm.toLowerCase() : '';
    const home = query.homeAccountId.toLowerCase();
    const index = this.index(CredentialType.ID_TOKEN);
    for (const environment of environments) {
      for (const key of index.byGroup.get(home + SEP + environment + SEP + clientId + SEP + realm)) {
        const entry = this.entryAt(CredentialType.ID_TOKEN, key);
        if (entry) return entry;
      }
    }
    return undefined;
  }

  /** The client's app metadata (its `family_id`, when it is a family app), in any of the environments. */
  findAppMetadata(query: AppMetadataQuery): AppMetadataEntity | undefined {
    const environments = requireEnvironments(query.environments);
    const clientId = requireText(query.clientId, 'clientId').toLowerCase();
    const index = this.index(CredentialType.APP_METADATA);
    for (const environment of environments) {
      for (const key of index.byGroup.get(environment + SEP + clientId)) {
        const entry = this.entryAt(CredentialType.APP_METADATA, key);
        if (entry) return entry;
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------- changes

  /**
   * MSAL for Python's `modify()`: replaces `oldEntry` with `{...oldEntry, ...newFields}` (stored
   * under the key of the result), or removes it when `newFields` is absent. `oldEntry` may be the
   * stored object or a copy of it.
   */
  modify<T extends CredentialType>(credentialType: T, oldEntry: EntityOf[T], newFields?: Partial<EntityOf[T]>): void {
    if (!SECTIONS.includes(credentialType)) throw new AuthError('invalid_argument', `Unknown credential type ${String(credentialType)}`);
    if (!isJsonObject(oldEntry)) throw new AuthError('invalid_argument', 'The entry to modify must be an object');
    const storedKey = this.locate(credentialType, oldEntry);
    if (newFields === undefined || newFields === null) {
      if (storedKey !== undefined) this.deleteKey(credentialType, storedKey);
      return;
    }
    const updated = { ...oldEntry, ...newFields } as EntityOf[T];
    const key = makeKey(credentialType, updated);
    if (storedKey !== undefined && storedKey !== key) this.deleteKey(credentialType, storedKey);
    this.put(credentialType, key, updated);
  }

  /** Gives a refresh token its successor (the rotated refresh token of a refresh grant). */
  updateRefreshToken(entry: RefreshTokenEntity, newSecret: string, now: number = nowSeconds()): void {
    this.requireType(entry, CredentialType.REFRESH_TOKEN);
    requireText(newSecret, 'newSecret');
    this.modify(CredentialType.REFRESH_TOKEN, entry, { secret: newSecret, last_modification_time: String(Math.floor(now)) });
  }

  removeRefreshToken(entry: RefreshTokenEntity): void {
    this.requireType(entry, CredentialType.REFRESH_TOKEN);
    this.modify(CredentialType.REFRESH_TOKEN, entry);
  }

  removeAccessToken(entry: AccessTokenEntity): void {
    if (!isJsonObject(entry) || !String(entry.credential_type).startsWith(CredentialType.ACCESS_TOKEN)) {
      throw new AuthError('invalid_argument', 'The entry is not an AccessToken');
    }
    this.modify(CredentialType.ACCESS_TOKEN, entry);
  }

  removeIdToken(entry: IdTokenEntity): void {
    this.requireType(entry, CredentialType.ID_TOKEN);
    this.modify(CredentialType.ID_TOKEN, entry);
  }

  /** Removes the account entry only (MSAL for Python's `TokenCache.remove_account`); see {@link removeAccountData}. */
  removeAccount(account: AccountEntity): void {
    if (!isJsonObject(account) || !('authority_type' in account)) throw new AuthError('invalid_argument', 'The entry is not an Account');
    this.modify(CredentialType.ACCOUNT, account);
  }

  /**
   * What MSAL for Python's `ClientApplication.remove_account()` does to the cache, for the home
   * account in each of the environments and every realm: removes the refresh tokens of
   * `clientId` and of its family, every access token (whatever the client), every ID token and
   * every account entry. Costs the entries of that account.
   */
  removeAccountData(query: AccountDataQuery): void {
    if (typeof query?.homeAccountId !== 'string') throw new AuthError('invalid_argument', 'homeAccountId must be a string');
    const environments = new Set(requireEnvironments(query.environments));
    const clientId = requireText(query.clientId, 'clientId').toLowerCase();
    const home = query.homeAccountId.toLowerCase();
    const familyId = (query.familyId ?? this.findAppMetadata({ environments: [...environments], clientId })?.family_id)?.toLowerCase();
    for (const environment of environments) {
      for (const key of this.index(CredentialType.REFRESH_TOKEN).byGroup.get(home + SEP + environment)) {
        const rt = this.entryAt(CredentialType.REFRESH_TOKEN, key);
        if (rt && (lower(rt.client_id) === clientId || (familyId && lower(rt.family_id) === familyId))) {
          this.deleteKey(CredentialType.REFRESH_TOKEN, key);
        }
      }
    }
    for (const type of [CredentialType.ACCESS_TOKEN, CredentialType.ID_TOKEN, CredentialType.ACCOUNT] as const) {
      for (const key of this.index(type).byHome.get(home)) {
        if (environments.has(lower(this.entryAt(type, key)?.environment))) this.deleteKey(type, key);
      }
    }
  }

  /**
   * Removes the client's app-only access tokens (client credentials) in each of the environments
   * and every realm: MSAL for Python's `remove_tokens_for_client()`.
   */
  removeAppOnlyTokens(query: AppMetadataQuery): void {
    const environments = new Set(requireEnvironments(query?.environments));
    const clientId = requireText(query.clientId, 'clientId').toLowerCase();
    for (const key of this.index(CredentialType.ACCESS_TOKEN).byHome.get('')) {
      const at = this.entryAt(CredentialType.ACCESS_TOKEN, key);
      if (at && lower(at.client_id) === clientId && environments.has(lower(at.environment))) this.deleteKey(CredentialType.ACCESS_TOKEN, key);
    }
  }

  private requireType(entry: unknown, type: CredentialType): void {
    if (!isJsonObject(entry) || entry['credential_type'] !== type) throw new AuthError('invalid_argument', `The entry is not a ${type}`);
  }
}
