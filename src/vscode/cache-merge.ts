/**
 * Three-way merge of two serialized token caches that grew apart from one common state: what this
 * window changed (`ours`) goes over what another window stored meanwhile (`theirs`), entry by
 * entry. Whole-cache "last writer wins" would otherwise drop the other window's sign-in, or put
 * back a refresh token it had already rotated, and replaying a rotated refresh token makes the
 * identity provider revoke the whole grant.
 *
 * MSAL's unified cache is `{ section: { key: entry } }` (AccessToken, RefreshToken, IdToken,
 * Account, AppMetadata, and whatever a newer library adds); entries are compared whole. A value
 * that is not such a section is merged the same way, as one entry.
 */
import { isJsonObject } from '../core/index.js';

type CacheJson = Record<string, unknown>;

function parse(text: string | undefined): CacheJson {
  if (!text) return {};
  const value: unknown = JSON.parse(text);
  return isJsonObject(value) ? value : {};
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Ours where ours changed something since `base` (a deletion included), theirs everywhere else. */
function pick(base: unknown, ours: unknown, theirs: unknown): unknown {
  return sameJson(ours, base) ? theirs : ours;
}

function mergeSection(base: Record<string, unknown>, ours: Record<string, unknown>, theirs: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(theirs), ...Object.keys(ours)])) {
    const value = pick(base[key], ours[key], theirs[key]);
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/**
 * Merges `ours` (this window's cache, changed since it read `base`) into `theirs` (what is stored
 * now). All three are serialized caches; `base` may be empty (nothing was stored) or unreadable.
 * Throws `SyntaxError` when `ours` or `theirs` is not JSON.
 */
export function mergeCacheChanges(base: string | undefined, ours: string, theirs: string): string {
  const [oursJson, theirsJson] = [parse(ours), parse(theirs)];
  // A base that was unreadable shares nothing with either side.
  let baseJson: CacheJson;
  try {
    baseJson = parse(base);
  } catch {
    baseJson = {};
  }
  const merged: CacheJson = {};
  for (const name of new Set([...Object.keys(theirsJson), ...Object.keys(oursJson)])) {
    const [b, o, t] = [baseJson[name], oursJson[name], theirsJson[name]];
    const value = isJsonObject(o) && isJsonObject(t) ? mergeSection(isJsonObject(b) ? b : {}, o, t) : pick(b, o, t);
    if (value !== undefined) merged[name] = value;
  }
  return JSON.stringify(merged);
}
