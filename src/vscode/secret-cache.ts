/**
 * The token cache of one provider, kept in the editor's SecretStorage (never in settings or
 * globalState). It is read before each use, written only when it changed, and follows changes
 * made by other windows, so a sign-in, refresh or sign-out in one window shows in all of them.
 *
 * Two ways news arrives from another window: `secrets.onDidChange` (desktop VS Code shares
 * SecretStorage between windows) and a {@link PeerLink} (browser-based editors give each window
 * its own copy, read once). A change that meets unsaved changes of this window is merged entry by
 * entry ({@link mergeCacheChanges}) rather than thrown away or written over.
 */
import { SerializableTokenCache } from '../core/cache/serializable-token-cache.js';
import { AuthError } from '../core/errors.js';
import { mergeCacheChanges } from './cache-merge.js';

/** The part of `vscode.SecretStorage` this needs. */
export interface SecretStore {
  get(key: string): Thenable<string | undefined>;
  store(key: string, value: string): Thenable<void>;
  delete(key: string): Thenable<void>;
  onDidChange(listener: (event: { key: string }) => unknown): { dispose(): unknown };
}

/**
 * The other windows' extension hosts on this machine (src/node/peer-channel.ts): a message to all
 * of them, answered by each once handled. The channel hands over only messages and answers of
 * windows holding its key (MACed, encrypted, never replayed), so what arrives here came from a
 * window of this editor; it opens only where windows do not share SecretStorage.
 */
export interface PeerLink {
  broadcast(message: Record<string, unknown>): Promise<unknown[]>;
}

/** A window wrote the cache: every other window adopts it. */
interface CacheUpdate {
  kind: 'cache-update';
  topic: string;
  text: string;
  generation: number;
}

/** A window that starts asks the others what they hold (answered with a {@link CacheState}). */
interface CacheStateRequest {
  kind: 'cache-state';
  topic: string;
}

interface CacheState {
  text: string;
  generation: number;
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
  /** A merge left changes of ours that the store does not have yet. */
  private mergedUnsaved = false;
  /**
   * When the cache this window holds was written, by whichever window wrote it (milliseconds);
   * 0 when unknown (read from SecretStorage). A starting window takes the newest its peers hold.
   */
  private generation = 0;
  /** Reads, writes and peer updates run one at a time, so none sees another half done. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly subscription: { dispose(): unknown };

  constructor(
    private readonly secrets: SecretStore,
    readonly key: string,
    private readonly events: SecretCacheEvents,
    private readonly peers?: PeerLink,
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

  private serialized<T>(step: () => Promise<T>): Promise<T> {
    const result = this.queue.then(step);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Reads the stored cache when it differs from what this window has; true when it did. */
  load(): Promise<boolean> {
    return this.serialized(async () => this.adopt((await this.secrets.get(this.key)) ?? ''));
  }

  /** Answers a message of another window about this cache; other messages are not for it. */
  handlePeerMessage(message: Record<string, unknown>): Promise<CacheState | undefined> {
    if (message.topic !== this.key) return Promise.resolve(undefined);
    if (isCacheUpdate(message)) return this.receiveFromPeer(message.text, message.generation).then(() => undefined);
    if (message.kind === 'cache-state') return this.serialized(async () => ({ text: this.lastSeen ?? '', generation: this.generation }));
    return Promise.resolve(undefined);
  }

  /**
   * Brings a starting window up to date: its SecretStorage copy may predate another window's
   * write (browser-based editors read it once, when the window opens), so it takes the newest
   * cache the running windows hold.
   */
  async catchUp(): Promise<void> {
    if (!this.peers) return;
    const request: CacheStateRequest = { kind: 'cache-state', topic: this.key };
    const states = (await this.peers.broadcast({ ...request })).filter(isCacheState);
    const newest = states.reduce<CacheState | undefined>((best, state) => (state.generation > (best?.generation ?? 0) ? state : best), undefined);
    if (newest && newest.generation > this.generation) await this.receiveFromPeer(newest.text, newest.generation);
  }

  /**
   * Takes a cache another window wrote, handed over directly (it may not be in this window's
   * SecretStorage copy): adopts it like a change read from the store, and stores it so that this
   * window's copy is current too.
   */
  private receiveFromPeer(text: string, generation: number): Promise<void> {
    return this.serialized(async () => {
      if (!(await this.adopt(text))) return;
      this.generation = generation;
      if (((await this.secrets.get(this.key)) ?? '') !== text) await this.secrets.store(this.key, text);
      this.events.onExternalChange();
    });
  }

  /** Makes `stored` this window's view, keeping unsaved changes of ours on top; true when it changed. */
  private async adopt(stored: string): Promise<boolean> {
    if (stored === (this.lastSeen ?? '')) return false;
    const hadChanges = this.cache.hasStateChanged || this.mergedUnsaved;
    try {
      this.cache.deserialize(hadChanges ? mergeCacheChanges(this.lastSeen, this.cache.serialize(), stored) : stored);
      this.mergedUnsaved = hadChanges;
    } catch (err) {
      if (!isUnreadable(err)) throw err;
      // Keep the unreadable data where a person can find it, and keep what this window had (a
      // failed deserialize leaves the cache as it was): it goes back to the store at the next
      // save, so a bad write elsewhere loses no sign-in.
      const backupKey = `${this.key}.unreadable`;
      await this.secrets.store(backupKey, stored);
      this.mergedUnsaved = hadChanges || this.cache.getAccounts().length > 0;
      this.events.onUnreadable(backupKey);
    }
    this.lastSeen = stored;
    return true;
  }

  /** Writes the cache when it changed since it was last read or written, and tells other windows. */
  save(): Promise<void> {
    return this.serialized(async () => {
      if (!this.cache.hasStateChanged && !this.mergedUnsaved) return;
      const text = this.cache.serialize();
      this.mergedUnsaved = false;
      this.lastSeen = text;
      this.generation = Math.max(Date.now(), this.generation + 1);
      await this.secrets.store(this.key, text);
      const update: CacheUpdate = { kind: 'cache-update', topic: this.key, text, generation: this.generation };
      await this.peers?.broadcast({ ...update });
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

function isCacheUpdate(message: Record<string, unknown>): message is Record<string, unknown> & CacheUpdate {
  return message.kind === 'cache-update' && typeof message.text === 'string' && typeof message.generation === 'number';
}

function isCacheState(answer: unknown): answer is CacheState {
  const candidate = answer as Partial<CacheState> | null;
  return typeof candidate?.text === 'string' && typeof candidate.generation === 'number';
}

function isUnreadable(err: unknown): boolean {
  return (err instanceof AuthError && err.code === 'invalid_cache') || err instanceof SyntaxError;
}
