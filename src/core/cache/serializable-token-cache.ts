/**
 * A token cache that can be saved and restored: MSAL for Python's `SerializableTokenCache`.
 * The serialized form is MSAL's unified cache JSON, readable by msal-node, MSAL for Python and
 * the other MSAL libraries; sections, entries and fields this library does not know are kept
 * verbatim from `deserialize()` to `serialize()`.
 */
import { AuthError } from '../errors.js';
import { TokenCache } from './token-cache.js';

export class SerializableTokenCache extends TokenCache {
  /**
   * Whether the cache changed since the last {@link serialize} or {@link deserialize}: persist it
   * only then.
   */
  hasStateChanged = false;

  protected override onStateChanged(): void {
    this.hasStateChanged = true;
  }

  /**
   * Replaces the contents with a state from {@link serialize} (or another MSAL library). An empty,
   * null or undefined state makes an empty cache. Throws `AuthError('invalid_cache')`, leaving the
   * current contents as they were, when the state is not JSON or not shaped like a token cache.
   */
  deserialize(state: string | null | undefined): void {
    let parsed: unknown = {};
    if (state !== null && state !== undefined && state !== '') {
      if (typeof state !== 'string') throw new AuthError('invalid_cache', 'The token cache state is not a string');
      try {
        parsed = JSON.parse(state);
      } catch (cause) {
        // Blank is empty, as MSAL's persistence plugins hand it over for a missing file.
        if (!/^\s*$/.test(state)) throw new AuthError('invalid_cache', 'The token cache state is not valid JSON', { cause });
      }
    }
    this.replaceStore(parsed);
    this.hasStateChanged = false;
  }

  /** The cache as MSAL's unified cache JSON. */
  serialize(): string {
    const state = JSON.stringify(this.store.root);
    this.hasStateChanged = false;
    return state;
  }
}
