/**
 * The windows of one browser in step when this extension runs in the browser's web worker
 * extension host (vscode.dev, github.dev, a VS Code web build, code-server with the extension
 * moved into the web worker): there are no sockets, but every window's worker can open a
 * `BroadcastChannel` of the workbench's origin. This is the web twin of src/node/peer-channel.ts,
 * with the same surface ({@link BroadcastPeers.open}, `broadcast`, `rekey`, `close`, `id`) and the
 * same contract, so the token cache owner can take either.
 *
 * Why it must authenticate: every script of the origin (the workbench, other extensions' web
 * workers, webviews served from it) can open a channel of the same name, read everything posted
 * there and post anything. Only holders of the channel key — the random secret kept in
 * SecretStorage (src/vscode/peer-key.ts) — get or change anything:
 * - Every post is one JSON string `{ v, type, from, to, ts, nonce, re?, iv, data, mac }`. `mac`
 *   is HMAC-SHA256 over all other fields; `data` is the payload encrypted with AES-256-GCM (the
 *   same fields as associated data). Both keys are derived from the channel key with HKDF-SHA256
 *   under labels of their own (a key of this link never doubles as a key of the socket channel).
 *   A post that does not verify is dropped unanswered and never reaches the handler.
 * - Replay: `to` must be this link (or everyone, for the presence posts) and `from` another; `ts`
 *   must lie within {@link REPLAY_WINDOW_MS} of this clock (the windows share the machine's
 *   clock); a `nonce` seen within the window is refused. An answer names the request's nonce in
 *   `re` and comes from the link asked, so an answer recorded earlier does not answer a new one.
 *
 * Who is there: a channel has no registry to read, so links announce themselves. `hello` (to
 * everyone) at open and after a key change, answered by `here` from each link that verifies it;
 * `bye` at close. A link that does not answer a message in time is forgotten until it is heard
 * again (a window closed without `bye`); any authenticated post makes its sender known.
 *
 * Uses only WebCrypto and `BroadcastChannel`: it runs in a web worker and in Node (≥ 18), where
 * its tests run.
 */
import * as base64url from 'jose/base64url';
import {
  coveredText,
  ENVELOPE_VERSION,
  type Envelope,
  type EnvelopeHeader,
  MAX_MESSAGE_SIZE,
  NonceCache,
  parseEnvelope,
  PEER_TIMEOUT_MS,
  type PeerMessage,
  type PeerMessageHandler,
  type PeerSecret,
  RefusalLog,
  type Refusal,
  sameBytes,
  verifyEnvelope,
} from './peer-envelope.js';

/** How long {@link BroadcastPeers.open} listens for the links already there (default of `rollCallMs`). */
export const ROLL_CALL_MS = 200;
/** The channel's name in the workbench's origin. */
export const CHANNEL_NAME = 'msal-signin.peers';
const EVERYONE = '*';
/** AES-GCM's tag: 16 bytes at the end of `data`. */
const TAG_BYTES = 16;

export { REPLAY_WINDOW_MS, type PeerMessage, type PeerMessageHandler, type PeerSecret } from './peer-envelope.js';

/** The part of `BroadcastChannel` this needs (the web's and Node's both have it). */
export interface PostChannel {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

export interface BroadcastPeersOptions {
  /** Default {@link CHANNEL_NAME}. */
  channelName?: string;
  timeoutMs?: number;
  /** Default {@link ROLL_CALL_MS}; 0 returns from open at once. */
  rollCallMs?: number;
  /** The clock (milliseconds); tests move it to prove the replay window. */
  now?: () => number;
  /** Called with the ids of the links known after each change (tests wait on it). */
  onPeersChanged?: (peers: readonly string[]) => void;
  /** Default: `new BroadcastChannel(name)`. */
  createChannel?: (name: string) => PostChannel;
}

type PostType = 'hello' | 'here' | 'bye' | 'msg' | 'ans';
const POST_TYPES: readonly PostType[] = ['hello', 'here', 'bye', 'msg', 'ans'];

/** WebCrypto's key type, named from the API (the project's lib settings hold no DOM types). */
type CryptoKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>;

/** The keys derived from one channel key. */
interface DerivedKeys {
  source: Uint8Array;
  mac: CryptoKey;
  enc: CryptoKey;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A copy in a fresh ArrayBuffer: what WebCrypto's BufferSource parameters are typed to take. */
function bytes(value: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(value);
}

async function derive(source: Uint8Array): Promise<DerivedKeys> {
  const subtle = globalThis.crypto.subtle;
  const base = await subtle.importKey('raw', bytes(source), 'HKDF', false, ['deriveKey']);
  const params = (label: string) => ({
    name: 'HKDF',
    hash: 'SHA-256',
    salt: new Uint8Array(0),
    info: encoder.encode(`msal-signin broadcast-peers v${ENVELOPE_VERSION} ${label}`),
  });
  const [mac, enc] = await Promise.all([
    subtle.deriveKey(params('mac'), base, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign', 'verify']),
    subtle.deriveKey(params('enc'), base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']),
  ]);
  return { source: bytes(source), mac, enc };
}

function covered(header: EnvelopeHeader, iv: string, data?: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(coveredText(header, iv, data));
}

async function seal(keys: DerivedKeys, header: EnvelopeHeader<PostType>, payload: unknown): Promise<string> {
  const subtle = globalThis.crypto.subtle;
  const ivBytes = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const iv = base64url.encode(ivBytes);
  const plain = encoder.encode(JSON.stringify(payload));
  const sealed = await subtle.encrypt({ name: 'AES-GCM', iv: ivBytes, additionalData: covered(header, iv), tagLength: TAG_BYTES * 8 }, keys.enc, plain);
  const data = base64url.encode(new Uint8Array(sealed));
  const mac = base64url.encode(new Uint8Array(await subtle.sign('HMAC', keys.mac, covered(header, iv, data))));
  const envelope: Envelope<PostType> = { ...header, iv, data, mac };
  return JSON.stringify(envelope);
}

/** WebCrypto's HMAC verify compares in constant time. */
async function macMatches(keys: DerivedKeys, envelope: Envelope): Promise<boolean> {
  const mac = decodeBase64url(envelope.mac);
  if (mac === undefined) return false;
  return globalThis.crypto.subtle.verify('HMAC', keys.mac, bytes(mac), covered(envelope, envelope.iv, envelope.data));
}

/** The payload, or undefined when it does not decrypt or is not JSON. */
async function openPayload(keys: DerivedKeys, envelope: Envelope): Promise<unknown> {
  const [iv, data] = [decodeBase64url(envelope.iv), decodeBase64url(envelope.data)];
  if (iv === undefined || data === undefined || iv.length !== 12 || data.length < TAG_BYTES) return undefined;
  try {
    const plain = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes(iv), additionalData: covered(envelope, envelope.iv), tagLength: TAG_BYTES * 8 },
      keys.enc,
      bytes(data),
    );
    return JSON.parse(decoder.decode(plain));
  } catch {
    return undefined;
  }
}

function decodeBase64url(text: string): Uint8Array | undefined {
  try {
    return base64url.decode(text);
  } catch {
    return undefined;
  }
}

function parsePost(raw: unknown): Envelope<PostType> | undefined {
  if (typeof raw !== 'string' || raw.length > MAX_MESSAGE_SIZE) return undefined;
  try {
    return parseEnvelope(JSON.parse(raw), POST_TYPES);
  } catch {
    return undefined;
  }
}

/** A message sent and not yet answered. */
interface Pending {
  peer: string;
  settle: (answer: unknown) => void;
}

const NO_ANSWER = Symbol('no answer');

function randomNonce(): string {
  return base64url.encode(globalThis.crypto.getRandomValues(new Uint8Array(16)));
}

export class BroadcastPeers {
  readonly id = globalThis.crypto.randomUUID();
  readonly #peers = new Set<string>();
  readonly #pending = new Map<string, Pending>();
  readonly #nonces = new NonceCache();
  #closed = false;
  readonly #refusals: RefusalLog;

  private constructor(
    private keys: DerivedKeys,
    private readonly channel: PostChannel,
    private readonly secret: PeerSecret,
    private readonly handle: PeerMessageHandler,
    private readonly onWarning: (message: string) => void,
    private readonly timeoutMs: number,
    private readonly now: () => number,
    private readonly onPeersChanged: ((peers: readonly string[]) => void) | undefined,
  ) {
    this.#refusals = new RefusalLog(onWarning, { post: 'post', stranger: 'a script that is not a window of this extension' });
  }

  /**
   * Joins the channel, says hello and listens for `rollCallMs` for the links already there, so
   * that a broadcast right after open reaches them.
   */
  static async open(
    secret: PeerSecret,
    handle: PeerMessageHandler,
    onWarning: (message: string) => void,
    options: BroadcastPeersOptions = {},
  ): Promise<BroadcastPeers> {
    const keys = await derive(secret.current());
    const channel = (options.createChannel ?? ((name) => new BroadcastChannel(name) as unknown as PostChannel))(options.channelName ?? CHANNEL_NAME);
    const link = new BroadcastPeers(keys, channel, secret, handle, onWarning, options.timeoutMs ?? PEER_TIMEOUT_MS, options.now ?? Date.now, options.onPeersChanged);
    channel.onmessage = (event) => void link.#receive(event.data);
    await link.#post({ type: 'hello', to: EVERYONE }, {});
    const rollCallMs = options.rollCallMs ?? ROLL_CALL_MS;
    if (rollCallMs > 0) await new Promise((resolve) => setTimeout(resolve, rollCallMs));
    return link;
  }

  /** Takes the key the secret holds now (after it changed): derives anew and says hello again. */
  async rekey(): Promise<void> {
    const source = this.secret.current();
    if (this.#closed || sameBytes(source, this.keys.source)) return;
    this.keys = await derive(source);
    await this.#post({ type: 'hello', to: EVERYONE }, {});
  }

  /**
   * Hands `message` to every other link known and resolves, with their authenticated answers,
   * when each has handled it or failed to within the link's `timeoutMs`. Never rejects.
   */
  async broadcast(message: PeerMessage): Promise<unknown[]> {
    const answers = await Promise.all([...this.#peers].map((peer) => this.#sendTo(peer, message)));
    return answers.filter((answer) => answer !== NO_ANSWER);
  }

  /** Leaves the channel: says bye, stops listening; messages still waiting get no answer. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#post({ type: 'bye', to: EVERYONE }, {}).catch(() => undefined);
    this.#closed = true;
    this.channel.onmessage = null;
    this.channel.close();
    for (const waiting of this.#pending.values()) waiting.settle(NO_ANSWER);
    this.#pending.clear();
  }

  async #sendTo(peer: string, message: PeerMessage): Promise<unknown> {
    const nonce = randomNonce();
    const answered = new Promise<unknown>((settle) => this.#pending.set(nonce, { peer, settle }));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<typeof NO_ANSWER>((resolve) => {
      timer = setTimeout(() => resolve(NO_ANSWER), this.timeoutMs);
    });
    try {
      await this.#post({ type: 'msg', to: peer, nonce }, message);
      const answer = await Promise.race([answered, timedOut]);
      if (answer === NO_ANSWER && !this.#closed && this.#pending.has(nonce)) {
        this.onWarning(`a peer window did not answer within ${this.timeoutMs} ms; it is asked again once it is heard from`);
        this.#forget(peer);
      }
      return answer;
    } finally {
      clearTimeout(timer);
      this.#pending.delete(nonce);
    }
  }

  /** Seals and posts; `nonce` may be given so a request can be awaited by it. */
  async #post(fields: { type: PostType; to: string; nonce?: string; re?: string }, payload: unknown): Promise<void> {
    if (this.#closed) return;
    const header: EnvelopeHeader<PostType> = {
      v: ENVELOPE_VERSION,
      type: fields.type,
      from: this.id,
      to: fields.to,
      ts: this.now(),
      nonce: fields.nonce ?? randomNonce(),
      ...(fields.re === undefined ? {} : { re: fields.re }),
    };
    const text = await seal(this.keys, header, payload);
    if (!this.#closed) this.channel.postMessage(text);
  }

  async #receive(raw: unknown): Promise<void> {
    const envelope = parsePost(raw);
    if (envelope === undefined) {
      this.#refused('malformed');
      return;
    }
    if (envelope.to !== this.id && envelope.to !== EVERYONE) return; // another link's traffic
    const verdict = await this.#verify(envelope);
    if (verdict !== undefined) {
      this.#refused(verdict);
      return;
    }
    const keys = this.keys;
    const payload = await openPayload(keys, envelope);
    if (!isObject(payload)) {
      this.#refused('malformed');
      return;
    }
    if (this.#closed) return;
    if (envelope.type === 'bye') {
      this.#forget(envelope.from);
      return;
    }
    this.#learn(envelope.from);
    switch (envelope.type) {
      case 'hello':
        await this.#post({ type: 'here', to: envelope.from, re: envelope.nonce }, {});
        return;
      case 'here':
        return;
      case 'ans': {
        const waiting = envelope.re === undefined ? undefined : this.#pending.get(envelope.re);
        // An answer to nothing sent, or from a link not asked: late (after the time-out) or foreign.
        if (waiting === undefined || waiting.peer !== envelope.from) return;
        waiting.settle(payload.failed === true ? NO_ANSWER : payload.answer ?? null);
        if (payload.failed === true) this.onWarning('a peer window could not apply the update');
        return;
      }
      case 'msg':
        await this.#answer(envelope, payload);
        return;
    }
  }

  async #answer(envelope: Envelope<PostType>, message: PeerMessage): Promise<void> {
    let reply: { answer: unknown } | { failed: true };
    try {
      reply = { answer: (await this.handle(message)) ?? null };
    } catch (err) {
      this.onWarning(`applying a peer window's update failed: ${(err as Error)?.name ?? 'error'}`);
      reply = { failed: true };
    }
    await this.#post({ type: 'ans', to: envelope.from, re: envelope.nonce }, reply);
  }

  /** Checks a post addressed to this link (peer-envelope.ts); presence posts go to everyone, answers name their request. */
  #verify(envelope: Envelope<PostType>): Promise<Refusal | undefined> {
    const presence = envelope.type === 'hello' || envelope.type === 'bye';
    const answer = envelope.type === 'ans' || envelope.type === 'here';
    return verifyEnvelope(envelope, {
      misaddressed: envelope.from === this.id || presence !== (envelope.to === EVERYONE) || answer !== (envelope.re !== undefined),
      now: this.now(),
      macMatches: () => macMatches(this.keys, envelope),
      secret: this.secret,
      rekey: () => this.rekey(),
      nonces: this.#nonces,
    });
  }

  #learn(peer: string): void {
    if (this.#peers.has(peer)) return;
    this.#peers.add(peer);
    this.onPeersChanged?.([...this.#peers]);
  }

  #forget(peer: string): void {
    if (!this.#peers.delete(peer)) return;
    this.onPeersChanged?.([...this.#peers]);
  }

  #refused(reason: Refusal): void {
    this.#refusals.refused(reason, this.now());
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
