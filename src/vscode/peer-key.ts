/**
 * The key of the cross-window channel (src/node/peer-channel.ts): 32 random bytes that every
 * window of one browser-based editor holds and no other process of the user can get. It is kept
 * in the editor's SecretStorage (`msalSignIn.peerKey`), which in the editors where the channel
 * opens (src/vscode/peer-gating.ts) lives in the browser, not on the machine of the sockets.
 *
 * Windows that start together before any key exists: each finds none, makes one and stores it.
 * Re-reading SecretStorage does not make them meet: code-server loads each window's copy once,
 * when the window opens, and every write stores that window's whole copy (the last writer's
 * copy wins, and neither window ever reads the other's). What the windows do share live is the
 * extension's globalState: also in the browser (IndexedDB), and a write in one window reaches
 * the other windows' extension hosts within moments. So a window that makes a key also offers it
 * there (`msalSignIn.peerKeyOffer`: the key, when it was made, when it was offered), and every
 * window follows one rule: of the key it holds and the key offered, the older one wins (made
 * earlier; at the same millisecond, the smaller key). Both windows of a race compare the same
 * two keys, so they pick the same one; the winner stores it in its SecretStorage, and a window
 * holding a key older than the offer offers its own instead. A window rechecks when a message
 * fails to verify and, while its key or the offer is younger than {@link OFFER_TTL_MS}, every
 * {@link POLL_MS}; a key change makes the channel re-list itself and the caches catch up, so a
 * message lost while the keys differed is not lost for good. The offer is withdrawn once it is
 * older than {@link OFFER_TTL_MS}: after that, windows that open read the key from SecretStorage.
 * No process that lacks the browser's storage can write globalState, so an offer always comes
 * from a window of this editor.
 *
 * Platform-neutral (WebCrypto's random numbers, jose's base64url): the Node and the browser builds
 * share it.
 */
import * as base64url from 'jose/base64url';
import { readJsonSecret, type SecretStore } from './secret-store.js';

export const PEER_KEY_SECRET = 'msalSignIn.peerKey';
export const PEER_KEY_OFFER = 'msalSignIn.peerKeyOffer';
/** How long a new key stays offered in globalState to windows that started with it. */
export const OFFER_TTL_MS = 2 * 60_000;
/** How often a young key looks for an older offer. */
export const POLL_MS = 500;

/** The part of `vscode.Memento` (globalState) this needs. */
export interface SharedState {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

/** A channel key and when it was made (milliseconds). */
interface KeyRecord {
  key: string;
  created: number;
}

interface Offer extends KeyRecord {
  offeredAt: number;
}

function parseRecord(value: unknown): KeyRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { key, created } = value as Partial<KeyRecord>;
  if (typeof key !== 'string' || typeof created !== 'number' || decodedLength(key) !== 32) return undefined;
  return { key, created };
}

function decodedLength(key: string): number {
  try {
    return base64url.decode(key).length;
  } catch {
    return -1;
  }
}

/** True when `a` wins over `b`: made earlier, or at the same time with the smaller key. */
function older(a: KeyRecord, b: KeyRecord): boolean {
  return a.created !== b.created ? a.created < b.created : a.key < b.key;
}

export interface PeerKeyOptions {
  now?: () => number;
  /** Fires after the key changed (another window's older key was adopted). */
  onDidChange?: () => void;
  pollMs?: number;
}

export class PeerKey {
  #timer: ReturnType<typeof setInterval> | undefined;
  #checking: Promise<boolean> | undefined;

  private constructor(
    private readonly secrets: SecretStore,
    private readonly shared: SharedState,
    private record: KeyRecord,
    private readonly options: PeerKeyOptions,
  ) {}

  /** The key this window holds: from SecretStorage, the offer of a window that started with it, or new. */
  static async load(secrets: SecretStore, shared: SharedState, options: PeerKeyOptions = {}): Promise<PeerKey> {
    const stored = parseRecord(await readJsonSecret(secrets, PEER_KEY_SECRET));
    // No key in this window's copy: a window that started with this one may have offered one.
    let record = stored ?? parseRecord(shared.get<unknown>(PEER_KEY_OFFER));
    const fresh = !record;
    record ??= { key: base64url.encode(globalThis.crypto.getRandomValues(new Uint8Array(32))), created: (options.now ?? Date.now)() };
    if (!stored) await secrets.store(PEER_KEY_SECRET, JSON.stringify(record));
    const peerKey = new PeerKey(secrets, shared, record, options);
    await peerKey.#reconcile(fresh);
    peerKey.#schedulePolling();
    return peerKey;
  }

  current(): Uint8Array {
    return base64url.decode(this.record.key);
  }

  /** Compares with the offer in globalState now; true when this window took another key. */
  recheck(): Promise<boolean> {
    this.#checking ??= this.#reconcile(false)
      .then((changed) => {
        if (changed) this.options.onDidChange?.();
        return changed;
      })
      .finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  /**
   * Applies the rule: the older of the held key and the offer wins. Adopts an older offer
   * (stored in SecretStorage); offers the held key when it is older than the offer or `fresh`
   * (just made); withdraws its own offer once it expired. True when the held key changed.
   */
  async #reconcile(fresh: boolean): Promise<boolean> {
    const now = this.#now();
    const offer = parseRecord(this.shared.get<unknown>(PEER_KEY_OFFER));
    if (offer && offer.key !== this.record.key && older(offer, this.record)) {
      this.record = offer;
      await this.secrets.store(PEER_KEY_SECRET, JSON.stringify(offer));
      this.#schedulePolling();
      return true;
    }
    if (fresh || (offer && offer.key !== this.record.key)) {
      await this.shared.update(PEER_KEY_OFFER, { ...this.record, offeredAt: now } satisfies Offer);
    } else if (offer && now - (this.#offeredAt() ?? 0) > OFFER_TTL_MS) {
      await this.shared.update(PEER_KEY_OFFER, undefined);
    }
    return false;
  }

  /** Polls while the held key or the offer is young: windows that started together converge. */
  #schedulePolling(): void {
    if (this.#timer || !this.#young()) return;
    this.#timer = setInterval(() => {
      void this.recheck().then(
        () => {
          if (!this.#young()) {
            clearInterval(this.#timer);
            this.#timer = undefined;
            void this.#reconcile(false).catch(() => undefined); // withdraws the expired offer
          }
        },
        () => undefined,
      );
    }, this.options.pollMs ?? POLL_MS);
    this.#timer.unref?.();
  }

  #young(): boolean {
    const now = this.#now();
    return now - this.record.created <= OFFER_TTL_MS || now - (this.#offeredAt() ?? -Infinity) <= OFFER_TTL_MS;
  }

  /** When the offer in globalState was offered, if it says. */
  #offeredAt(): number | undefined {
    const offeredAt = this.shared.get<Partial<Offer> | null>(PEER_KEY_OFFER)?.offeredAt;
    return typeof offeredAt === 'number' ? offeredAt : undefined;
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }

  dispose(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
