/**
 * Which stored entries may be served. The cache holds entries other libraries wrote, or that a
 * damaged file left half-written: these rules read such entries without trusting them, and keep
 * from the caller what this library would never have written or asked for.
 */
import { isJsonObject } from '../json.js';
import { ACCESS_TOKEN_WITH_AUTH_SCHEME, type AccessTokenEntity } from './schema.js';
import { lower } from './values.js';

/** The largest epoch-seconds value a Date can hold. */
const MAX_DATE_S = 8.64e12;

/** An access token's `expires_on` in epoch seconds; undefined when it has none that reads as a number. */
export function expiryOf(entry: { expires_on?: unknown }): number | undefined {
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
export function schemeOf(entry: AccessTokenEntity): string {
  const type = lower(entry.token_type) || 'bearer';
  return entry.credential_type === ACCESS_TOKEN_WITH_AUTH_SCHEME && type === 'bearer' ? 'authscheme' : type;
}

/**
 * Whether a token is bound to a key: an access token is then served only to a lookup that names
 * the key, a refresh token redeemed only with a proof of it (see `refreshTokenUsableWith`).
 */
export function isKeyBound(entry: { key_id?: unknown }): boolean {
  return typeof entry.key_id === 'string' ? entry.key_id !== '' : entry.key_id != null;
}

/**
 * Whether another library filed the access token in a partition of its own: msal-node's
 * `additionalCacheKeyComponents` (an FMI path, client claims) or `requestedClaimsHash`, MSAL for
 * Python's `ext_cache_key`. Such a token was asked for with more than scopes, and this library
 * never asks that way: it is never served here.
 */
export function isPartitioned(entry: AccessTokenEntity): boolean {
  const components = entry['additionalCacheKeyComponents'];
  if (isJsonObject(components) && Object.keys(components).length > 0) return true;
  return Boolean(entry['requestedClaimsHash']) || Boolean(entry['ext_cache_key']);
}

/**
 * Whether a credential entry holds a usable secret. Entries loaded from a damaged or foreign cache
 * may lack it: such a token is never served or redeemed (it would give an empty bearer token).
 */
export function hasSecret(entry: { secret?: unknown }): boolean {
  return typeof entry.secret === 'string' && entry.secret !== '';
}
