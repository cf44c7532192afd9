/**
 * The token cache of one provider, kept in the editor's SecretStorage (never in settings or
 * globalState). It is read before each use, written only when it changed, and follows changes
 * made by other windows, so a sign-in, refresh or sign-out in one window shows in all of them.
 */
import { SerializableTokenCache } from '../core/cache/serializable-token-cache.js';
import { AuthError } from '../core/errors.js';

/** The part of `vscode.SecretStorage` this needs. */
export interface SecretStore {
  get(key: string): Thenable<string | undefined>;
  store(key: string, value: string): Thenable<void>;
  delete(key: string): Thenable<void>;
  onDidChange(listener: (event: { key: string }) => unknown): { dispose(): unknown };
}

export interface SecretCacheEvents {
  /** Another window changed the stored cache (this window has already reloaded it). */
  onExternalChange(): void;
  /** The stored cache could not be read; it was set aside under `backupKey`. Shown to the user once. */
  onUnreadable(backupKey: string): void;
  /** Reading the store failed (a locked keyring, for instance): logged, the cache stays as it was. */
  onError(err: unknown): void;
}

export class SecretTokenCache {
  readonly cache = new SerializableTokenCache();
  /** The stored text this window last read or wrote: a change event for it is our own echo. */
  private lastSeen: string | undefined;
  private readonly subscription: { dispose(): unknown };

  constructor(
    private readonly secrets: SecretStore,
    readonly key: string,
    private readonly events: SecretCacheEvents,
  ) {
    this.subscription = secrets.onDidChange((event) => {
      if (event.key !== key) return;
      this.load().then(
        (changed) => {
          if (changed) events.onExternalChange();
        },
        (err: unknown) => events.onError(err),
      );
    });
  }

  /** Reads the stored cache when it differs from what this window has; true when it did. */
  async load(): Promise<boolean> {
    const stored = (await this.secrets.get(this.key)) ?? '';
    if (stored === (this.lastSeen ?? '')) return false;
    try {
      this.cache.deserialize(stored);
    } catch (err) {
      if (!(err instanceof AuthError) || err.code !== 'invalid_cache') throw err;
      // Keep the unreadable data where a person can find it, then go on with an empty cache.
      const backupKey = `${this.key}.unreadable`;
      await this.secrets.store(backupKey, stored);
      this.cache.deserialize('');
      this.events.onUnreadable(backupKey);
    }
    this.lastSeen = stored;
    return true;
  }

  /** Writes the cache when it changed since it was last read or written. */
  async save(): Promise<void> {
    if (!this.cache.hasStateChanged) return;
    const text = this.cache.serialize();
    this.lastSeen = text;
    await this.secrets.store(this.key, text);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
