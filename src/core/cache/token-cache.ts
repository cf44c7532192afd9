/**
 * The in-memory token cache: MSAL for Python's `TokenCache` in camelCase, with indexes.
 *
 * Entries are kept exactly in their serialized shape (one object per section, keyed by cache
 * key), so serializing is one `JSON.stringify` and loading is one `JSON.parse` and a shape check
 * (`shape-check.ts`). Beside them sit indexes from `home_account_id|environment|client_id|realm`
 * (and coarser keys) to cache keys, kept in step by every change here (`section-index.ts`), so
 * account-scoped lookups cost the tokens of that account, not the size of the cache. What a
 * token response writes is worked out in `token-entries.ts`; this class stores it.
 *
 * Entries handed out are the stored objects: treat them as read-only and change the cache only
 * through {@link TokenCache.modify} and the `update*`/`remove*` methods, which keep the indexes right.
 */
import { AuthError } from '../errors.js';
import { isJsonObject } from '../json.js';
import { ScopeSet } from '../scopes.js';
import { expiryOf, hasSecret, isKeyBound, isPartitioned, schemeOf } from './entry-rules.js';
import type { AccessTokenQuery, AccountDataQuery, AccountFilter, AppAccountsQuery, AppMetadataQuery, IdTokenQuery, RefreshTokenQuery, SearchOptions } from './queries.js';
import {
  addToIndex,
  appGroup,
  buildSectionIndex,
  groupKey,
  hasUsableRefreshToken,
  refreshTokenGroup,
  removeFromIndex,
  tokenGroup,
  type CacheStore,
  type SectionIndex,
} from './section-index.js';
import {
  CredentialType,
  makeAccountKey,
  makeAppMetadataKey,
  makeCredentialKey,
  makeKey,
  type AccessTokenEntity,
  type AccountEntity,
  type AppMetadataEntity,
  type EntityOf,
  type IdTokenEntity,
  type RefreshTokenEntity,
} from './schema.js';
import { loadStore, SECTIONS } from './shape-check.js';
import { tokenEntries, type AddResult, type TokenEvent } from './token-entries.js';
import { lower, nowSeconds, requireEnvironments, requireScopes, requireText, toInteger } from './values.js';

type Section<T extends CredentialType> = Record<string, EntityOf[T]>;

const { ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN, ACCOUNT, APP_METADATA } = CredentialType;

const EMPTY_SECTION: Record<string, never> = Object.freeze({}) as Record<string, never>;

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

function requireSection(type: CredentialType): void {
  if (!SECTIONS.includes(type)) throw new AuthError('invalid_argument', `Unknown credential type ${String(type)}`);
}

/** The fields the lookups and removals share, checked in this order (see queries.ts). */
interface LookupFields {
  homeAccountId?: string;
  environments: readonly string[];
  clientId: string;
  realm?: string;
  familyId?: string;
}

/**
 * A lookup's fields checked (`homeAccountId` only when the lookup needs one) and lower-cased as
 * the index keys are.
 */
function readLookup(query: LookupFields, needsHome: boolean) {
  if (needsHome && typeof query?.homeAccountId !== 'string') throw new AuthError('invalid_argument', 'homeAccountId must be a string');
  // Without environments (or without a query at all) this throws before the query is read further.
  const environments = requireEnvironments(query?.environments);
  return {
    environments,
    clientId: requireText(query.clientId, 'clientId').toLowerCase(),
    home: lower(query.homeAccountId),
    realm: lower(query.realm),
    familyId: query.familyId?.toLowerCase(),
  };
}

/** The access or ID token groups of an account, client and realm in each environment. */
function tokenGroups({ home, environments, clientId, realm }: ReturnType<typeof readLookup>): string[] {
  return environments.map((environment) => tokenGroup(home, environment, clientId, realm));
}

/** The refresh-token groups of an account in each environment. */
function refreshTokenGroups(home: string, environments: Iterable<string>): string[] {
  return [...environments].map((environment) => refreshTokenGroup(home, environment));
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
  #section<T extends CredentialType>(type: T): Section<T> {
    return (this.store.root[type] ?? EMPTY_SECTION) as Section<T>;
  }

  #entryAt<T extends CredentialType>(type: T, key: string): EntityOf[T] | undefined {
    const section = this.#section(type);
    return Object.hasOwn(section, key) ? section[key] : undefined;
  }

  /** The index of a section, built in one pass over it on first use. */
  #index(type: CredentialType): SectionIndex {
    return (this.store.indexes[type] ??= buildSectionIndex(type, this.#section(type), this.store.homes));
  }

  /** The entries filed under each of `groups` in the section's index, with their keys. */
  #inGroups<T extends CredentialType>(type: T, groups: readonly string[]): [string, EntityOf[T]][] {
    const { byGroup } = this.#index(type);
    const found: [string, EntityOf[T]][] = [];
    for (const group of groups) {
      for (const key of byGroup.get(group)) {
        const entry = this.#entryAt(type, key);
        if (entry) found.push([key, entry]);
      }
    }
    return found;
  }

  #put<T extends CredentialType>(type: T, key: string, entry: EntityOf[T]): void {
    const section = (this.store.root[type] ??= {}) as Section<T>;
    // A section not indexed yet is indexed from its data when first used.
    const index = this.store.indexes[type];
    if (index && Object.hasOwn(section, key)) removeFromIndex(index, this.store.homes, type, key, section[key]!);
    section[key] = entry;
    if (index) addToIndex(index, this.store.homes, type, key, entry);
    this.onStateChanged();
  }

  #delete(type: CredentialType, key: string): void {
    const section = this.#section(type);
    if (!Object.hasOwn(section, key)) return;
    const index = this.store.indexes[type];
    if (index) removeFromIndex(index, this.store.homes, type, key, section[key]!);
    delete section[key];
    this.onStateChanged();
  }

  /**
   * Where `entry` is stored: the very object, else an entry under its computed key, else an entry
   * of the same account with the same fields (an entry stored under another library's key).
   */
  #locate(type: CredentialType, entry: Record<string, unknown>): string | undefined {
    const computed = makeKey(type, entry);
    const atComputed = this.#entryAt(type, computed);
    if (atComputed === entry) return computed;
    const index = this.#index(type);
    const candidates = type === APP_METADATA ? index.byGroup.get(groupKey(type, entry)) : index.byHome.get(lower(entry['home_account_id']));
    for (const key of candidates) if (this.#entryAt(type, key) === entry) return key;
    if (atComputed) return computed;
    return candidates.find((key) => jsonEqual(this.#entryAt(type, key), entry));
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
    const entries = tokenEntries(event, now);
    // MSAL for Python's `add({})`: nothing to store still counts as a change.
    if (!entries.appMetadata) {
      this.onStateChanged();
      return entries.result;
    }
    if (entries.accessToken) this.#saveAccessToken(entries.accessToken);
    if (entries.account) this.#put(ACCOUNT, makeAccountKey(entries.account), entries.account);
    if (entries.idToken) this.#saveIdToken(entries.idToken);
    if (entries.refreshToken) this.#saveRefreshToken(entries.refreshToken, event.aliases);
    this.#put(APP_METADATA, makeAppMetadataKey(entries.appMetadata), entries.appMetadata);
    return entries.result;
  }

  /**
   * Stores an access token, first removing the tokens of the same account, environment, client,
   * realm and token type whose scopes overlap its scopes (as msal-common does; OpenID Connect
   * scopes alone do not count as an overlap).
   */
  #saveAccessToken(at: AccessTokenEntity): void {
    const key = makeCredentialKey(at);
    const scopes = ScopeSet.fromTarget(at.target);
    const scheme = schemeOf(at);
    const keyId = at.key_id ?? '';
    for (const [oldKey, old] of this.#inGroups(ACCESS_TOKEN, [groupKey(ACCESS_TOKEN, at)])) {
      if (oldKey !== key && schemeOf(old) === scheme && (old.key_id ?? '') === keyId && scopes.replaces(ScopeSet.fromTarget(old.target))) {
        this.#delete(ACCESS_TOKEN, oldKey);
      }
    }
    this.#put(ACCESS_TOKEN, key, at);
  }

  /** Stores an ID token in place of any other of the same account, environment, client and realm (under another key). */
  #saveIdToken(idt: IdTokenEntity): void {
    const key = makeCredentialKey(idt);
    for (const [oldKey] of this.#inGroups(ID_TOKEN, [groupKey(ID_TOKEN, idt)])) if (oldKey !== key) this.#delete(ID_TOKEN, oldKey);
    this.#put(ID_TOKEN, key, idt);
  }

  /**
   * Stores a refresh token in place of every older one of the same account and environment that
   * it supersedes: the client's own, and for a family refresh token every one of the family,
   * whatever key each was stored under (MSAL for Python's key, msal-node's, an older target's).
   * One refresh token is left, so no reader, ours or another library's, can pick a stale one.
   */
  #saveRefreshToken(rt: RefreshTokenEntity, aliases: readonly string[] = []): void {
    const key = makeCredentialKey(rt);
    const environments = new Set([lower(rt.environment), ...aliases.filter((alias) => typeof alias === 'string').map(lower)]);
    this.#removeRefreshTokens(refreshTokenGroups(lower(rt.home_account_id), environments), lower(rt.client_id), lower(rt.family_id), key);
    this.#put(REFRESH_TOKEN, key, rt);
  }

  /** Removes the refresh tokens of the groups that are the client's or of its family (`familyId` `''`: none), but the one under `keep`. */
  #removeRefreshTokens(groups: string[], clientId: string, familyId: string, keep?: string): void {
    for (const [key, rt] of this.#inGroups(REFRESH_TOKEN, groups)) {
      if (key !== keep && (lower(rt.client_id) === clientId || (familyId !== '' && lower(rt.family_id) === familyId))) this.#delete(REFRESH_TOKEN, key);
    }
  }

  // ---------------------------------------------------------------- search and lookups

  /**
   * MSAL for Python's `search()`: the entries of a section whose fields equal those of `query`
   * and whose `target` contains every scope of `target`. Served from an index when the query
   * names `home_account_id` (and, for access tokens, also environment, client_id and realm);
   * otherwise it reads the whole section. Expired access tokens met on the way are removed.
   */
  search<T extends CredentialType>(credentialType: T, options: SearchOptions = {}): EntityOf[T][] {
    requireSection(credentialType);
    const { query, target } = options;
    const now = options.now ?? nowSeconds();
    const wanted = target && target.length > 0 ? requireScopes(target) : undefined;
    const isAccessToken = credentialType === ACCESS_TOKEN;

    let keys: Iterable<string>;
    if (query && isAccessToken && ['home_account_id', 'environment', 'client_id', 'realm'].every((f) => Object.hasOwn(query, f))) {
      keys = this.#index(credentialType).byGroup.get(groupKey(credentialType, query));
    } else if (query && credentialType !== APP_METADATA && Object.hasOwn(query, 'home_account_id')) {
      keys = this.#index(credentialType).byHome.get(lower(query['home_account_id']));
    } else {
      keys = Object.keys(this.#section(credentialType));
    }

    const found: EntityOf[T][] = [];
    const expired: string[] = [];
    for (const key of keys) {
      const entry = this.#entryAt(credentialType, key);
      if (!entry) continue;
      if (isAccessToken) {
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
      if (isAccessToken && isKeyBound(entry as AccessTokenEntity) && !Object.hasOwn(query ?? {}, 'key_id')) continue;
      if (wanted && !ScopeSet.fromTarget(entry['target']).containsAll(wanted)) continue;
      found.push(entry);
    }
    for (const key of expired) this.#delete(ACCESS_TOKEN, key);
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
    const { rows: accounts, byHome } = this.#index(ACCOUNT);
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
    const { environments: hosts, clientId, familyId } = readLookup(query, false);
    const environments = new Set(hosts);
    const username = query.username?.toLowerCase();
    const refreshTokens = this.#index(REFRESH_TOKEN);
    const accounts = this.#index(ACCOUNT);
    // Homes listed already, kept only for homes with several account entries (one per realm):
    // a set of every home would cost as much as the rest of the walk.
    const listed = new Set<string>();
    const found: AccountEntity[] = [];
    for (const row of accounts.rows.values()) {
      if (!environments.has(row.environment) || (username !== undefined && row.username !== username)) continue;
      const several = typeof accounts.byHome.peek(row.home) !== 'string';
      if (several && listed.has(row.home)) continue;
      if (
        hasUsableRefreshToken(refreshTokens, row.home, environments, clientId, familyId || undefined) ||
        this.findIdToken({ homeAccountId: row.home, environments: hosts, clientId, realm: row.realm })
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
    const lookup = readLookup(query, true);
    const wanted = requireScopes(query.scopes);
    const tokenType = (query.tokenType ?? 'Bearer').toLowerCase();
    const now = query.now ?? nowSeconds();
    const keyId = query.keyId ?? '';
    let best: AccessTokenEntity | undefined;
    for (const [, entry] of this.#inGroups(ACCESS_TOKEN, tokenGroups(lookup))) {
      if (!hasSecret(entry) || schemeOf(entry) !== tokenType || (entry.key_id ?? '') !== keyId || isPartitioned(entry)) continue;
      const expiresOn = expiryOf(entry);
      if (expiresOn === undefined || expiresOn < now || !ScopeSet.fromTarget(entry.target).containsAll(wanted)) continue;
      if (!best || expiresOn > expiryOf(best)!) best = entry;
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
    const { clientId, familyId, entries } = this.#refreshTokensOfAccount(query);
    let sibling: RefreshTokenEntity | undefined;
    for (const [, entry] of entries) {
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
    const { clientId, familyId, entries } = this.#refreshTokensOfAccount(query);
    const found: { entry: RefreshTokenEntity; time: number; foreign: boolean }[] = [];
    for (const [key, entry] of entries) {
      if (lower(entry.client_id) !== clientId && (familyId === undefined || lower(entry.family_id) !== familyId)) continue;
      const time = toInteger(entry.last_modification_time) ?? Infinity;
      found.push({ entry, time, foreign: key !== makeCredentialKey(entry) });
    }
    found.sort((a, b) => (b.time === a.time ? Number(b.foreign) - Number(a.foreign) : b.time > a.time ? 1 : -1));
    return found.map((candidate) => candidate.entry);
  }

  /** The account's refresh tokens that hold a secret, in the environments (checked query, lower-cased ids). */
  #refreshTokensOfAccount(query: RefreshTokenQuery) {
    const { home, environments, clientId, familyId } = readLookup(query, true);
    const entries = this.#inGroups(REFRESH_TOKEN, refreshTokenGroups(home, environments)).filter(([, entry]) => hasSecret(entry));
    return { clientId, familyId, entries };
  }

  /** The client's ID token for the account and realm, in any of the environments. */
  findIdToken(query: IdTokenQuery): IdTokenEntity | undefined {
    return this.#inGroups(ID_TOKEN, tokenGroups(readLookup(query, true)))[0]?.[1];
  }

  /** The client's app metadata (its `family_id`, when it is a family app), in any of the environments. */
  findAppMetadata(query: AppMetadataQuery): AppMetadataEntity | undefined {
    const { environments, clientId } = readLookup(query, false);
    return this.#inGroups(APP_METADATA, environments.map((environment) => appGroup(environment, clientId)))[0]?.[1];
  }

  // ---------------------------------------------------------------- changes

  /**
   * MSAL for Python's `modify()`: replaces `oldEntry` with `{...oldEntry, ...newFields}` (stored
   * under the key of the result), or removes it when `newFields` is absent. `oldEntry` may be the
   * stored object or a copy of it.
   */
  modify<T extends CredentialType>(credentialType: T, oldEntry: EntityOf[T], newFields?: Partial<EntityOf[T]>): void {
    requireSection(credentialType);
    if (!isJsonObject(oldEntry)) throw new AuthError('invalid_argument', 'The entry to modify must be an object');
    const storedKey = this.#locate(credentialType, oldEntry);
    const updated = newFields == null ? undefined : ({ ...oldEntry, ...newFields } as EntityOf[T]);
    const key = updated && makeKey(credentialType, updated);
    if (storedKey !== undefined && storedKey !== key) this.#delete(credentialType, storedKey);
    if (updated) this.#put(credentialType, key!, updated);
  }

  /** Gives a refresh token its successor (the rotated refresh token of a refresh grant). */
  updateRefreshToken(entry: RefreshTokenEntity, newSecret: string, now: number = nowSeconds()): void {
    requireType(entry, REFRESH_TOKEN);
    requireText(newSecret, 'newSecret');
    this.modify(REFRESH_TOKEN, entry, { secret: newSecret, last_modification_time: String(Math.floor(now)) });
  }

  removeRefreshToken(entry: RefreshTokenEntity): void {
    requireType(entry, REFRESH_TOKEN);
    this.modify(REFRESH_TOKEN, entry);
  }

  removeAccessToken(entry: AccessTokenEntity): void {
    if (!isJsonObject(entry) || !String(entry.credential_type).startsWith(ACCESS_TOKEN)) {
      throw new AuthError('invalid_argument', 'The entry is not an AccessToken');
    }
    this.modify(ACCESS_TOKEN, entry);
  }

  removeIdToken(entry: IdTokenEntity): void {
    requireType(entry, ID_TOKEN);
    this.modify(ID_TOKEN, entry);
  }

  /** Removes the account entry only (MSAL for Python's `TokenCache.remove_account`); see {@link removeAccountData}. */
  removeAccount(account: AccountEntity): void {
    if (!isJsonObject(account) || !('authority_type' in account)) throw new AuthError('invalid_argument', 'The entry is not an Account');
    this.modify(ACCOUNT, account);
  }

  /**
   * What MSAL for Python's `ClientApplication.remove_account()` does to the cache, for the home
   * account in each of the environments and every realm: removes the refresh tokens of
   * `clientId` and of its family, every access token (whatever the client), every ID token and
   * every account entry. Costs the entries of that account.
   */
  removeAccountData(query: AccountDataQuery): void {
    const { home, environments, clientId } = readLookup(query, true);
    const familyId = lower(query.familyId ?? this.findAppMetadata({ environments, clientId })?.family_id);
    this.#removeRefreshTokens(refreshTokenGroups(home, environments), clientId, familyId);
    const hosts = new Set(environments);
    for (const type of [ACCESS_TOKEN, ID_TOKEN, ACCOUNT] as const) {
      for (const key of this.#index(type).byHome.get(home)) {
        if (hosts.has(lower(this.#entryAt(type, key)?.environment))) this.#delete(type, key);
      }
    }
  }

  /**
   * Removes the client's app-only access tokens (client credentials) in each of the environments
   * and every realm: MSAL for Python's `remove_tokens_for_client()`.
   */
  removeAppOnlyTokens(query: AppMetadataQuery): void {
    const { environments, clientId } = readLookup(query, false);
    const hosts = new Set(environments);
    for (const key of this.#index(ACCESS_TOKEN).byHome.get('')) {
      const at = this.#entryAt(ACCESS_TOKEN, key);
      if (at && lower(at.client_id) === clientId && hosts.has(lower(at.environment))) this.#delete(ACCESS_TOKEN, key);
    }
  }
}

function requireType(entry: unknown, type: CredentialType): void {
  if (!isJsonObject(entry) || entry['credential_type'] !== type) throw new AuthError('invalid_argument', `The entry is not a ${type}`);
}
