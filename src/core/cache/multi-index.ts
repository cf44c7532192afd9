/**
 * A map from an index key to the cache keys filed under it. Most index keys name exactly one
 * entry, so a single cache key is stored as a bare string and only a second one makes an array:
 * building the index for a large cache then costs one Map insertion per entry.
 * @internal
 */
export class MultiIndex {
  private readonly map = new Map<string, string | string[]>();

  add(indexKey: string, cacheKey: string): void {
    const current = this.map.get(indexKey);
    if (current === undefined) this.map.set(indexKey, cacheKey);
    else if (typeof current === 'string') {
      if (current !== cacheKey) this.map.set(indexKey, [current, cacheKey]);
    } else if (!current.includes(cacheKey)) current.push(cacheKey);
  }

  delete(indexKey: string, cacheKey: string): void {
    const current = this.map.get(indexKey);
    if (current === undefined) return;
    if (typeof current === 'string') {
      if (current === cacheKey) this.map.delete(indexKey);
      return;
    }
    const at = current.indexOf(cacheKey);
    if (at < 0) return;
    current.splice(at, 1);
    if (current.length === 1) this.map.set(indexKey, current[0]!);
    else if (current.length === 0) this.map.delete(indexKey);
  }

  /** The cache keys under `indexKey`, as a fresh array the caller may keep while the index changes. */
  get(indexKey: string): string[] {
    const current = this.map.get(indexKey);
    if (current === undefined) return [];
    return typeof current === 'string' ? [current] : current.slice();
  }

  /**
   * The cache keys under `indexKey` without a copy: a bare string, the stored array, or
   * undefined. For read-only lookups on hot paths; callers that change the cache while walking
   * the keys use {@link get}.
   */
  peek(indexKey: string): string | readonly string[] | undefined {
    return this.map.get(indexKey);
  }
}
