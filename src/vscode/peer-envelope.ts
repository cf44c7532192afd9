/**
 * What the two window channels have in common: the socket channel of a Node extension host
 * (src/node/peer-channel.ts) and the `BroadcastChannel` link of a web worker extension host
 * (broadcast-peers.ts). Both carry the same envelope `{ v, type, from, to, ts, nonce, re?, iv,
 * data, mac }` and refuse a post by the same rules, in the same order: address, time, MAC (once
 * more after a key recheck, since windows that started together may hold different keys for a
 * moment), nonce. Their crypto differs (Node's synchronous `node:crypto`, WebCrypto's promises)
 * and so does their transport; the rules live here, once, without Node, so the browser bundle
 * can hold them.
 */

/** Bound on one message: a token cache with thousands of accounts stays well under it. */
export const MAX_MESSAGE_SIZE = 32 * 1024 * 1024;
/** How long a broadcast waits for one window to handle a message (default of `timeoutMs`). */
export const PEER_TIMEOUT_MS = 5_000;
/** A post older or newer than this (by its `ts`) is refused; nonces are remembered this long. */
export const REPLAY_WINDOW_MS = 30_000;
/** At most one warning about refused posts in this long, so a flood makes one log line. */
const REFUSAL_WARNING_MS = 60_000;
export const ENVELOPE_VERSION = 1;

/** A message or an answer: anything JSON can carry. */
export type PeerMessage = Record<string, unknown>;

/** Handles a message from another window; what it resolves to is sent back as the answer. */
export type PeerMessageHandler = (message: PeerMessage) => Promise<unknown>;

/** The channel key shared by the windows of one editor (peer-key.ts). */
export interface PeerSecret {
  /** The key in use (at least 32 bytes). */
  current(): Uint8Array;
  /**
   * Looks again for the key the other windows use, after a post failed to verify; true when the
   * key changed (the post is then verified once more with the new key).
   */
  recheck?(): Promise<boolean>;
}

/** The fields of an envelope, without its MAC. */
export interface EnvelopeHeader<Type extends string = string> {
  v: number;
  type: Type;
  from: string;
  to: string;
  ts: number;
  nonce: string;
  re?: string;
}

export interface Envelope<Type extends string = string> extends EnvelopeHeader<Type> {
  iv: string;
  data: string;
  mac: string;
}

/** Why a post was refused. */
export type Refusal = 'malformed' | 'unauthenticated' | 'misaddressed' | 'stale' | 'replayed';

/** The text the MAC and the cipher's associated data cover: every field but the MAC, in order. */
export function coveredText(header: EnvelopeHeader, iv: string, data?: string): string {
  return JSON.stringify([header.v, header.type, header.from, header.to, header.ts, header.nonce, header.re ?? '', iv, ...(data === undefined ? [] : [data])]);
}

/** `value` as an envelope of one of `types` with every field of the right kind, or undefined. */
export function parseEnvelope<Type extends string>(value: unknown, types: readonly Type[]): Envelope<Type> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { v, type, from, to, ts, nonce, re, iv, data, mac } = value as Record<string, unknown>;
  if (v !== ENVELOPE_VERSION || !types.includes(type as Type) || typeof ts !== 'number') return undefined;
  if (![from, to, nonce, iv, data, mac].every((s) => typeof s === 'string' && s.length > 0)) return undefined;
  if (re !== undefined && typeof re !== 'string') return undefined;
  return value as Envelope<Type>;
}

/** Nonces seen within the replay window. */
export class NonceCache {
  readonly #seen = new Map<string, number>();

  /** Records `nonce`; false when it was seen within the window. */
  remember(nonce: string, now: number): boolean {
    for (const [old, at] of this.#seen) {
      if (now - at <= 2 * REPLAY_WINDOW_MS) break; // insertion order: the rest is younger
      this.#seen.delete(old);
    }
    if (this.#seen.has(nonce)) return false;
    this.#seen.set(nonce, now);
    return true;
  }
}

/** What {@link verifyEnvelope} needs from the channel that received the post. */
export interface VerifyContext {
  /** The channel's own address rules (it is not for this window, or not from another). */
  misaddressed: boolean;
  now: number;
  /** Whether the MAC matches under the channel's keys as they are when called. */
  macMatches(): boolean | Promise<boolean>;
  secret: PeerSecret;
  /** Derives the keys anew from the secret (after a recheck found another key). */
  rekey(): Promise<void>;
  nonces: NonceCache;
}

/** Checks a post in order: address, time, MAC (again after a key recheck), nonce. */
export async function verifyEnvelope(envelope: EnvelopeHeader, context: VerifyContext): Promise<Refusal | undefined> {
  if (context.misaddressed) return 'misaddressed';
  if (Math.abs(context.now - envelope.ts) > REPLAY_WINDOW_MS) return 'stale';
  if (!(await context.macMatches())) {
    if (!(await context.secret.recheck?.().catch(() => false))) return 'unauthenticated';
    await context.rekey();
    if (!(await context.macMatches())) return 'unauthenticated';
  }
  if (!context.nonces.remember(envelope.nonce, context.now)) return 'replayed';
  return undefined;
}

/** Counts refused posts and warns about them at most once a minute. */
export class RefusalLog {
  #refusals = 0;
  #lastWarning = -Infinity;

  constructor(
    private readonly onWarning: (message: string) => void,
    /** What a post is called in the warning ("message", "post"), and who may have sent it. */
    private readonly words: { post: string; stranger: string },
  ) {}

  refused(reason: Refusal, now: number): void {
    this.#refusals += 1;
    if (now - this.#lastWarning < REFUSAL_WARNING_MS) return;
    this.#lastWarning = now;
    this.onWarning(
      `dropped ${this.#refusals} ${this.words.post}(s) on the window channel that did not verify (last: ${reason}); another window with a different key, or ${this.words.stranger}`,
    );
    this.#refusals = 0;
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
