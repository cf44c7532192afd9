/**
 * The check a parsed cache passes before it is used. A cache file is written by any MSAL library,
 * or damaged: the fields the cache indexes and compares are checked once here, at load, so that
 * a malformed file is refused whole instead of failing later, half-way through a lookup. What the
 * cache does not read is not looked at, and survives a load and a save as it was.
 */
import { AuthError } from '../errors.js';
import { isJsonObject } from '../json.js';
import type { CacheStore } from './section-index.js';
import { CredentialType, type SerializedCache } from './schema.js';

/** The sections of the cache, in the order MSAL for Python writes them. */
export const SECTIONS: readonly CredentialType[] = [
  CredentialType.ACCOUNT,
  CredentialType.ID_TOKEN,
  CredentialType.ACCESS_TOKEN,
  CredentialType.REFRESH_TOKEN,
  CredentialType.APP_METADATA,
];

/** Fields that must be strings (or null, which MSAL for Python writes for absent values) when read. */
const STRING_FIELDS: Record<CredentialType, readonly string[]> = {
  AccessToken: ['home_account_id', 'environment', 'client_id', 'realm', 'target', 'token_type', 'credential_type'],
  RefreshToken: ['home_account_id', 'environment', 'client_id', 'family_id', 'credential_type'],
  IdToken: ['home_account_id', 'environment', 'client_id', 'realm', 'credential_type'],
  Account: ['home_account_id', 'environment', 'realm', 'username'],
  AppMetadata: ['environment', 'client_id', 'family_id'],
};

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
    const where = `the token cache's ${type} section`;
    if (!isJsonObject(section)) throw new AuthError('invalid_cache', `The token cache's ${type} section is not an object`);
    for (const key in section) {
      const entry = section[key];
      if (!isJsonObject(entry)) throw new AuthError('invalid_cache', `An entry of ${where} is not an object`);
      for (const field of STRING_FIELDS[type]) {
        const value = entry[field];
        if (value != null && typeof value !== 'string') throw new AuthError('invalid_cache', `An entry of ${where} has a ${field} that is not a string`);
      }
    }
  }
  return { root: parsed as SerializedCache, indexes: {}, homes: new Map() };
}
