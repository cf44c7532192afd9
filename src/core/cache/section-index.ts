/**
 * The indexes beside the stored sections, and their upkeep. A section's index is built in one
 * pass the first time the section is looked up, then kept in step by every change, so that
 * account-scoped lookups cost the tokens of that account, not the size of the cache. Every index
 * key is made of lower-cased field values; the key makers below are the only places that join them.
 */
import { MultiIndex } from './multi-index.js';
import { CredentialType, type AccountEntity, type SerializedCache } from './schema.js';
import { lower } from './values.js';

/** Separates the parts of an index key; it cannot occur in hosts, ids or tenant names. */
const SEP = '\u001f';

/**
 * The index of one section:
 * - `byHome`: home_account_id → keys (unused for app metadata);
 * - `byGroup`: access and ID tokens by {@link tokenGroup}, refresh tokens by
 *   {@link refreshTokenGroup}, app metadata by {@link appGroup};
 * - `rows` (accounts only): every account with the lower-cased fields accounts are filtered on;
 * - `refreshRows` (refresh tokens only): home_account_id → the lower-cased fields that say whose
 *   each refresh token is, so that listing accounts reads these small rows, made side by side
 *   when the index is built, instead of entries spread through the whole parsed cache (bench/,
 *   figure 2).
 * @internal
 */
export interface SectionIndex {
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

/** The group of access and ID tokens: one account's tokens of one client and realm, in one environment (all lower-cased). */
export function tokenGroup(home: string, environment: string, clientId: string, realm: string): string {
  return home + SEP + environment + SEP + clientId + SEP + realm;
}

/** The group of refresh tokens: one account's, in one environment (lower-cased). */
export function refreshTokenGroup(home: string, environment: string): string {
  return home + SEP + environment;
}

/** The group of app metadata: one client's, in one environment (lower-cased). */
export function appGroup(environment: string, clientId: string): string {
  return environment + SEP + clientId;
}

/** The `byGroup` key of an entry (or of a query naming the same fields). */
export function groupKey(type: CredentialType, entry: Record<string, unknown>): string {
  switch (type) {
    case CredentialType.ACCESS_TOKEN:
    case CredentialType.ID_TOKEN:
      return tokenGroup(lower(entry['home_account_id']), lower(entry['environment']), lower(entry['client_id']), lower(entry['realm']));
    case CredentialType.REFRESH_TOKEN:
      return refreshTokenGroup(lower(entry['home_account_id']), lower(entry['environment']));
    case CredentialType.APP_METADATA:
      return appGroup(lower(entry['environment']), lower(entry['client_id']));
    default:
      return '';
  }
}

/** The shared string of a lower-cased home_account_id (see {@link CacheStore.homes}). */
function homeOf(homes: Map<string, string>, entry: Record<string, unknown>): string {
  const home = lower(entry['home_account_id']);
  const shared = homes.get(home);
  if (shared !== undefined) return shared;
  homes.set(home, home);
  return home;
}

/** Files one entry in a section's index (or, with `remove`, takes it out). */
function fileEntry(index: SectionIndex, homes: Map<string, string>, type: CredentialType, key: string, entry: Record<string, unknown>, remove: boolean): void {
  const home = homeOf(homes, entry);
  if (type === CredentialType.ACCOUNT) {
    if (remove) index.rows.delete(key);
    else {
      index.rows.set(key, {
        entry: entry as AccountEntity,
        home,
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
    const rows = (index.refreshRows.get(home) ?? []).filter((row) => row.key !== key);
    if (!remove) rows.push({ key, environment: lower(entry['environment']), clientId: lower(entry['client_id']), familyId: lower(entry['family_id']) });
    if (rows.length > 0) index.refreshRows.set(home, rows);
    else index.refreshRows.delete(home);
  }
  if (type !== CredentialType.APP_METADATA) {
    if (remove) index.byHome.delete(home, key);
    else index.byHome.add(home, key);
  }
}

/** Files a stored entry in its section's index. */
export function addToIndex(index: SectionIndex, homes: Map<string, string>, type: CredentialType, key: string, entry: Record<string, unknown>): void {
  fileEntry(index, homes, type, key, entry, false);
}

/** Takes an entry, about to be replaced or removed, out of its section's index. */
export function removeFromIndex(index: SectionIndex, homes: Map<string, string>, type: CredentialType, key: string, entry: Record<string, unknown>): void {
  fileEntry(index, homes, type, key, entry, true);
}

/** The index of a section, in one pass over its entries. */
export function buildSectionIndex(type: CredentialType, section: Record<string, Record<string, unknown>>, homes: Map<string, string>): SectionIndex {
  const index: SectionIndex = { byHome: new MultiIndex(), byGroup: new MultiIndex(), rows: new Map(), refreshRows: new Map() };
  for (const key in section) addToIndex(index, homes, type, key, section[key]!);
  return index;
}

/** Whether the home account has a refresh token in the environments, of the client or of its family. */
export function hasUsableRefreshToken(index: SectionIndex, home: string, environments: ReadonlySet<string>, clientId: string, familyId: string | undefined): boolean {
  const rows = index.refreshRows.get(home);
  if (rows === undefined) return false;
  for (const row of rows) {
    if (environments.has(row.environment) && (row.clientId === clientId || (familyId !== undefined && row.familyId === familyId))) return true;
  }
  return false;
}
