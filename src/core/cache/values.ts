/**
 * Reading what the cache is handed: the caller's arguments, checked once with a typed error, and
 * the numbers of token responses and foreign entries, read as MSAL for Python reads them.
 */
import { AuthError } from '../errors.js';
import { isStringArray } from '../json.js';
import { ScopeSet } from '../scopes.js';

export function requireText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new AuthError('invalid_argument', `${what} must be a non-empty string`);
  return value;
}

/** An authority's hosts, lower-cased as the index keys are. */
export function requireEnvironments(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new AuthError('invalid_argument', 'environments must be a non-empty array of hosts');
  }
  return value.map((v: string) => v.toLowerCase());
}

/** The scopes a lookup asks for: at least one. */
export function requireScopes(value: unknown): ScopeSet {
  if (!isStringArray(value)) {
    throw new AuthError('invalid_argument', 'scopes must be an array of strings');
  }
  const scopes = ScopeSet.of(value);
  if (scopes.size === 0) throw new AuthError('invalid_argument', 'scopes must not be empty');
  return scopes;
}

/** Python's `int(x)` for the numbers of a token response (numbers or numeric strings). */
export function toInteger(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? Math.trunc(n) : undefined;
}

/** The clock of the cache, of results and of their rules, in epoch seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Lower-cased text of a field; absent, null or non-string values count as `''`. */
export function lower(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}
