/**
 * The token cache of one provider, shared by every window of the editor: the one owner of keeping
 * it in step. It is kept in the editor's SecretStorage (never in settings or globalState), read
 * before each use, written only when it changed, and follows what other windows write, so a
 * sign-in, refresh or sign-out in one window shows in all of them.
 *
 * - {@link read} runs work on the cache as stored now; {@link write} does the same under the
 *   cross-window lock and stores what the work changed. Redeeming a refresh token is a write: with
 *   rotation, two windows redeeming the same one would be a replay, and identity providers answer
 *   a replay by revoking the whole grant.
 * - News from another window arrives two ways: `secrets.onDidChange` (desktop VS Code shares
 *   SecretStorage between windows) and a {@link PeerLink} (browser-based editors give each window
 *   its own copy, read once). A change that meets unsaved changes of this window is merged entry
 *   by entry (cache-merge.ts) rather than thrown away or written over.
 * - {@link onDidChangeAccounts} tells which accounts another window's write brought or took.
 *
 * The lock and the peer link are handed in: the Node wiring gives a file lock
 * (src/node/cross-window-lock.ts) and the socket channel; an editor without either leaves them out.
 */
import { AuthError, SerializableTokenCache } from '../core/index.js';
import { mergeCacheChanges } from './cache-merge.js';
import type { Disposable, PeerLink, PeerMessage } from './peer-link.js';
import type { SecretStore } from './secret-store.js';

/** Held by one window at a time, across the windows of the editor. */
export interface CacheLock {
  run<T>(work: () => Promise<T>): Promise<T>;
}

/** What goes wrong with the store, for the person and the log (report-errors.ts). */
export interface CacheProblems {
  /** The stored cache could not be read; it was set aside under `backupKey`. Called once per bad value. */
  unreadable(backupKey: string): void;
  /** Reading the store after another window's change failed (a locked keyring, for instance); the cache stays as it was. */
  readFailed(err: unknown): void;
}

/** An account as the change event names it. */
export interface CachedAccount {
  homeAccountId: string;
  username: string;
  name?: string;
}

/** Accounts another window's write brought (`added`) or took (`removed`). */
export interface AccountsChange {
  added: CachedAccount[];
  removed: CachedAccount[];
}

export interface SharedTokenCacheOptions {
  secrets: SecretStore;
  /** The SecretStorage key, and the topic of this cache's messages between windows. */
  key: string;
  /** Without one, writes of this window still run one at a time, but other windows do not wait. */
  lock?: CacheLock;
  /** Only where windows do not share SecretStorage (peer-gating.ts). */
  peers?: PeerLink;
  problems?: CacheProblems;
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

export class SharedTokenCache implements Disposable {
  /** What the core's applications read and write: the same object for the cache's whole life. */
  readonly tokenCache = new SerializableTokenCache();
  readonly key: string;
  /** The stored text this window last read or wrote: a change event for it is our own echo. */
  #lastSeen: string | undefined;
  /** Whether this window read the store yet: the first read is what it starts from, not news. */
  #hasRead = false;
  /** A merge left changes of ours that the store does not have yet. */
  #mergedUnsaved = false;
  /**
   * When the cache this window holds was written, by whichever window wrote it (milliseconds);
   * 0 when unknown (read from SecretStorage). A starting window takes the newest its peers hold.
   */
  #generation = 0;
  /** Reads, writes and peer updates run one at a time, so none sees another half done. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #accountListeners = new Set<(change: AccountsChange) => void>();
  readonly #subscriptions: Disposable[];

  constructor(private readonly options: SharedTokenCacheOptions) {
    this.key = options.key;
    const { secrets, peers } = options;
    this.#subscriptions = [
      secrets.onDidChange((event) => {
        if (event.key === this.key) this.#load().catch((err: unknown) => options.problems?.readFailed(err));
      }),
      ...(peers
        ? [peers.handle(this.key, (message) => this.#answerPeer(message)), peers.onDidRejoin(() => void this.catchUp().catch((err: unknown) => options.problems?.readFailed(err)))]
        : []),
    ];
  }

  /** Runs `work` on the cache as stored now. Changes it makes are stored by the next {@link write}. */
  async read<T>(work: () => Promise<T>): Promise<T> {
    await this.#load();
    return work();
  }

  /** Runs `work` on the cache as stored now, under the cross-window lock, and stores what changed. */
  write<T>(work: () => Promise<T>): Promise<T> {
    const locked = async () => {
      await this.#load();
      try {
        return await work();
      } finally {
        await this.#save();
      }
    };
    return this.options.lock ? this.options.lock.run(locked) : locked();
  }

  /** Fires when a write of another window, taken in here, brought or took accounts. */
  onDidChangeAccounts(listener: (change: AccountsChange) => void): Disposable {
    this.#accountListeners.add(listener);
    return { dispose: () => this.#accountListeners.delete(listener) };
  }

  /**
   * Brings a starting window up to date: its SecretStorage copy may predate another window's
   * write (browser-based editors read it once, when the window opens), so it takes the newest
   * cache the running windows hold. Also run when the peer link joined the windows anew.
   */
  async catchUp(): Promise<void> {
    if (!this.options.peers) return;
    const states = (await this.options.peers.broadcast({ kind: 'cache-state', topic: this.key } satisfies CacheStateRequest)).filter(isCacheState);
    const newest = states.reduce<CacheState | undefined>((best, state) => (state.generation > (best?.generation ?? 0) ? state : best), undefined);
    if (newest && newest.generation > this.#generation) await this.#receiveFromPeer(newest.text, newest.generation);
  }

  dispose(): void {
    for (const subscription of this.#subscriptions) subscription.dispose();
    this.#accountListeners.clear();
  }

  #serialized<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(step);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Reads the stored cache when it differs from what this window has. */
  #load(): Promise<void> {
    return this.#serialized(async () => {
      await this.#adopt((await this.options.secrets.get(this.key)) ?? '', this.#hasRead);
      this.#hasRead = true;
    });
  }

  /** Answers a message of another window about this cache; kinds this version does not know get no answer. */
  #answerPeer(message: PeerMessage): Promise<CacheState | undefined> {
    if (isCacheUpdate(message)) return this.#receiveFromPeer(message.text, message.generation).then(() => undefined);
    if (message.kind === 'cache-state') return this.#serialized(async () => ({ text: this.#lastSeen ?? '', generation: this.#generation }));
    return Promise.resolve(undefined);
  }

  /**
   * Takes a cache another window wrote, handed over directly (it may not be in this window's
   * SecretStorage copy): adopts it like a change read from the store, and stores it so that this
   * window's copy is current too.
   */
  #receiveFromPeer(text: string, generation: number): Promise<void> {
    return this.#serialized(async () => {
      if (!(await this.#adopt(text, true))) return;
      this.#generation = generation;
      if (((await this.options.secrets.get(this.key)) ?? '') !== text) await this.options.secrets.store(this.key, text);
    });
  }

  /**
   * Makes `stored` this window's view, keeping unsaved changes of ours on top; true when it
   * changed. `announce`: the accounts it brings or takes are news for {@link onDidChangeAccounts}.
   */
  async #adopt(stored: string, announce: boolean): Promise<boolean> {
    if (stored === (this.#lastSeen ?? '')) return false;
    const before = announce ? accountsOf(this.tokenCache) : undefined;
    const hadChanges = this.tokenCache.hasStateChanged || this.#mergedUnsaved;
    try {
      this.tokenCache.deserialize(hadChanges ? mergeCacheChanges(this.#lastSeen, this.tokenCache.serialize(), stored) : stored);
      this.#mergedUnsaved = hadChanges;
    } catch (err) {
      if (!isUnreadable(err)) throw err;
      // Keep the unreadable data where a person can find it, and keep what this window had (a
      // failed deserialize leaves the cache as it was): it goes back to the store at the next
      // save, so a bad write elsewhere loses no sign-in.
      const backupKey = `${this.key}.unreadable`;
      await this.options.secrets.store(backupKey, stored);
      this.#mergedUnsaved = hadChanges || this.tokenCache.getAccounts().length > 0;
      this.options.problems?.unreadable(backupKey);
    }
    this.#lastSeen = stored;
    if (before) this.#announce(before, accountsOf(this.tokenCache));
    return true;
  }

  #announce(before: Map<string, CachedAccount>, after: Map<string, CachedAccount>): void {
    const change: AccountsChange = {
      added: [...after.values()].filter((account) => !before.has(account.homeAccountId)),
      removed: [...before.values()].filter((account) => !after.has(account.homeAccountId)),
    };
    if (change.added.length === 0 && change.removed.length === 0) return;
    for (const listener of [...this.#accountListeners]) listener(change);
  }

  /** Writes the cache when it changed since it was last read or written, and tells other windows. */
  #save(): Promise<void> {
    return this.#serialized(async () => {
      if (!this.tokenCache.hasStateChanged && !this.#mergedUnsaved) return;
      const text = this.tokenCache.serialize();
      this.#mergedUnsaved = false;
      this.#lastSeen = text;
      this.#generation = Math.max(Date.now(), this.#generation + 1);
      await this.options.secrets.store(this.key, text);
      await this.options.peers?.broadcast({ kind: 'cache-update', topic: this.key, text, generation: this.#generation } satisfies CacheUpdate);
    });
  }
}

/** The cache's accounts by home account id (an account signed in through several tenants is one). */
function accountsOf(cache: SerializableTokenCache): Map<string, CachedAccount> {
  const accounts = new Map<string, CachedAccount>();
  for (const entry of cache.getAccounts()) {
    if (accounts.has(entry.home_account_id)) continue;
    accounts.set(entry.home_account_id, { homeAccountId: entry.home_account_id, username: entry.username, ...(entry.name ? { name: entry.name } : {}) });
  }
  return accounts;
}

function isCacheUpdate(message: PeerMessage): message is PeerMessage & CacheUpdate {
  return message.kind === 'cache-update' && typeof message.text === 'string' && typeof message.generation === 'number';
}

function isCacheState(answer: unknown): answer is CacheState {
  const candidate = answer as Partial<CacheState> | null;
  return typeof candidate?.text === 'string' && typeof candidate.generation === 'number';
}

function isUnreadable(err: unknown): boolean {
  return (err instanceof AuthError && err.code === 'invalid_cache') || err instanceof SyntaxError;
}
