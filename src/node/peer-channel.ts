/**
 * A channel between the extension hosts of several windows of one browser-based editor on one
 * machine: each listens on a Unix socket (a named pipe on Windows) and lists itself in a shared
 * registry folder; {@link PeerChannel.broadcast} hands a message to every listed peer and collects
 * their answers, each given once the peer has handled the message.
 *
 * Why it exists: in a browser-based editor (code-server, other VS Code web builds) each window
 * reads SecretStorage once when it opens and never sees another window's writes, so windows must
 * tell each other (src/vscode/peer-gating.ts says where it opens; desktop VS Code never needs it).
 *
 * Who may use it: only holders of the channel key, a random secret that lives with the editor's
 * SecretStorage (src/vscode/peer-key.ts). Every other process of the same user — which can read
 * the registry, enter the 0700 socket folders and connect to every socket — gets nothing and
 * changes nothing:
 * - Every message and every answer is one JSON line `{ v, type, from, to, ts, nonce, re?, iv,
 *   data, mac }`. `mac` is HMAC-SHA256 over all other fields; `data` is the payload encrypted with
 *   AES-256-GCM (the same fields as associated data). Both keys are derived from the channel key
 *   with HKDF-SHA256 under distinct labels. A message that does not verify is dropped unanswered
 *   and never reaches the handler.
 * - Replay: `to` must be this peer and `from` another; `ts` must lie within
 *   {@link REPLAY_WINDOW_MS} of this clock (the peers share the machine's clock); a `nonce` seen
 *   within the window is refused. An answer names the request's nonce in `re` and the peer asked
 *   in `from`, so an answer recorded earlier does not answer a new request.
 * - Registry entries carry a MAC of their id and endpoint: an entry this channel's key did not
 *   make is ignored, so a listener an attacker lists receives nothing. Payloads are encrypted as
 *   well because a process of the same user can take over the path of a listed socket (the 0700
 *   folder keeps out other users only): it then receives ciphertext it cannot read or answer.
 * - Nothing of a message is written to disk. Entries and socket folders are removed when the
 *   channel closes or the process exits, and those of ended processes are swept at open.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { rmSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { isJsonObject } from '../core/index.js';
import {
  coveredText,
  ENVELOPE_VERSION,
  type Envelope as AnyEnvelope,
  type EnvelopeHeader as AnyEnvelopeHeader,
  MAX_MESSAGE_SIZE,
  NonceCache,
  parseEnvelope as parseAnyEnvelope,
  PEER_TIMEOUT_MS,
  type PeerMessage,
  type PeerMessageHandler,
  type PeerSecret,
  type Refusal,
  RefusalLog,
  REPLAY_WINDOW_MS,
  sameBytes,
  verifyEnvelope,
} from '../vscode/peer-envelope.js';

/** Socket folders of ended processes older than this are swept at open (a starting peer's is younger). */
const STALE_FOLDER_MS = 60_000;
const REGISTRY_SUFFIX = '.peer';
const SOCKET_FOLDER_PREFIX = 'msal-signin-peer-';
const SOCKET_NAME = 'peer.sock';
const VERSION = ENVELOPE_VERSION;

export { REPLAY_WINDOW_MS, type PeerMessage, type PeerMessageHandler, type PeerSecret } from '../vscode/peer-envelope.js';

type MessageType = 'msg' | 'ans';
const MESSAGE_TYPES: readonly MessageType[] = ['msg', 'ans'];

export interface PeerChannelOptions {
  timeoutMs?: number;
  /** The clock (milliseconds); tests move it to prove the replay window. */
  now?: () => number;
}

/** The keys derived from one channel key. */
interface DerivedKeys {
  source: Uint8Array;
  mac: Buffer;
  enc: Buffer;
  registry: Buffer;
}

function derive(source: Uint8Array): DerivedKeys {
  const key = (label: string) => Buffer.from(hkdfSync('sha256', source, new Uint8Array(0), `msal-signin peer-channel v${VERSION} ${label}`, 32));
  return { source, mac: key('mac'), enc: key('enc'), registry: key('registry') };
}

type EnvelopeHeader = AnyEnvelopeHeader<MessageType>;
type Envelope = AnyEnvelope<MessageType>;

function covered(header: EnvelopeHeader, iv: string, data?: string): Buffer {
  return Buffer.from(coveredText(header, iv, data));
}

function hmac(key: Buffer, bytes: Buffer): string {
  return createHmac('sha256', key).update(bytes).digest('base64url');
}

function sameMac(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

function seal(keys: DerivedKeys, header: EnvelopeHeader, payload: unknown): string {
  const ivBytes = randomBytes(12);
  const iv = ivBytes.toString('base64url');
  const cipher = createCipheriv('aes-256-gcm', keys.enc, ivBytes);
  cipher.setAAD(covered(header, iv));
  const data = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64url');
  const envelope: Envelope = { ...header, iv, data, mac: hmac(keys.mac, covered(header, iv, data)) };
  return `${JSON.stringify(envelope)}\n`;
}

function parseEnvelope(value: unknown): Envelope | undefined {
  return parseAnyEnvelope(value, MESSAGE_TYPES);
}

function macMatches(keys: DerivedKeys, envelope: Envelope): boolean {
  return sameMac(envelope.mac, hmac(keys.mac, covered(envelope, envelope.iv, envelope.data)));
}

function open(keys: DerivedKeys, envelope: Envelope): unknown {
  const bytes = Buffer.from(envelope.data, 'base64url');
  if (bytes.length < 16) throw new Error('short ciphertext');
  const decipher = createDecipheriv('aes-256-gcm', keys.enc, Buffer.from(envelope.iv, 'base64url'));
  decipher.setAAD(covered(envelope, envelope.iv));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  const plain = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
  return JSON.parse(plain);
}

/** A registry entry: where a peer listens, MACed with the registry key. */
interface RegistryEntry {
  v: number;
  id: string;
  endpoint: string;
  mac: string;
}

function entryMac(keys: DerivedKeys, id: string, endpoint: string): string {
  return hmac(keys.registry, Buffer.from(JSON.stringify([VERSION, 'entry', id, endpoint])));
}

export class PeerChannel {
  private keys: DerivedKeys;
  private readonly nonces = new NonceCache();
  private closed = false;
  private readonly cleanupOnExit = () => this.removeSync();
  private readonly refusals: RefusalLog;

  private constructor(
    private readonly registry: string,
    readonly id: string,
    private readonly endpoint: string,
    private readonly socketFolder: string | undefined,
    private readonly secret: PeerSecret,
    private readonly handle: PeerMessageHandler,
    private readonly onWarning: (message: string) => void,
    private readonly timeoutMs: number,
    private readonly now: () => number,
    private server: Server | undefined = undefined,
  ) {
    this.keys = derive(secret.current());
    this.refusals = new RefusalLog(onWarning, { post: 'message', stranger: 'a process that is not a window' });
  }

  /**
   * Sweeps what ended processes left behind, starts listening and lists this process in
   * `registry` (created when missing) with an entry MACed by the channel key.
   */
  static async open(
    registry: string,
    secret: PeerSecret,
    handle: PeerMessageHandler,
    onWarning: (message: string) => void,
    { timeoutMs = PEER_TIMEOUT_MS, now = Date.now }: PeerChannelOptions = {},
  ): Promise<PeerChannel> {
    const id = randomUUID();
    await mkdir(registry, { recursive: true, mode: 0o700 });
    await sweep(registry, timeoutMs, now);
    let socketFolder: string | undefined;
    let endpoint: string;
    if (process.platform === 'win32') {
      endpoint = `\\\\.\\pipe\\msal-signin-${id}`;
    } else {
      // Under the temp folder: socket paths are limited to about 100 bytes, storage paths are long.
      socketFolder = await mkdtemp(join(tmpdir(), SOCKET_FOLDER_PREFIX));
      endpoint = join(socketFolder, SOCKET_NAME);
    }
    const channel = new PeerChannel(registry, id, endpoint, socketFolder, secret, handle, onWarning, timeoutMs, now);
    const server = createServer((socket) => channel.receive(socket));
    channel.server = server;
    process.once('exit', channel.cleanupOnExit);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(endpoint, () => {
          server.off('error', reject);
          resolve();
        });
      });
      await channel.writeEntry();
    } catch (err) {
      await channel.close();
      throw err;
    }
    return channel;
  }

  /** Writes (or rewrites, after the key changed) this peer's registry entry, atomically. */
  private async writeEntry(): Promise<void> {
    const entry: RegistryEntry = { v: VERSION, id: this.id, endpoint: this.endpoint, mac: entryMac(this.keys, this.id, this.endpoint) };
    const file = join(this.registry, `${this.id}${REGISTRY_SUFFIX}`);
    const partial = `${file}.${randomUUID()}.tmp`;
    await writeFile(partial, JSON.stringify(entry), { mode: 0o600 });
    await rename(partial, file);
  }

  /** Takes the key the secret holds now (after it changed): derives anew and re-lists this peer. */
  async rekey(): Promise<void> {
    const source = this.secret.current();
    if (sameBytes(source, this.keys.source) || this.closed) return;
    this.keys = derive(source);
    await this.writeEntry();
  }

  /**
   * Hands `message` to every other peer listed with an entry of this key and resolves, with their
   * authenticated answers, when each has handled it or failed to within the channel's
   * `timeoutMs`. Entries whose socket refuses connections belonged to processes that ended
   * without closing: they are removed. Never rejects.
   */
  async broadcast(message: PeerMessage): Promise<unknown[]> {
    const names = await readdir(this.registry).catch(() => [] as string[]);
    const peers = names.filter((name) => name.endsWith(REGISTRY_SUFFIX) && name !== `${this.id}${REGISTRY_SUFFIX}`);
    const answers = await Promise.all(peers.map((name) => this.sendTo(name, message)));
    return answers.filter((answer) => answer !== NO_ANSWER);
  }

  /** The entry under `name` when this key made it and its endpoint is one this channel would make. */
  private async readEntry(name: string): Promise<RegistryEntry | undefined> {
    const raw = await readFile(join(this.registry, name), 'utf8').catch(() => undefined);
    let entry: unknown;
    try {
      entry = raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      return undefined;
    }
    if (!isJsonObject(entry) || entry.v !== VERSION || typeof entry.id !== 'string' || typeof entry.endpoint !== 'string' || typeof entry.mac !== 'string') return undefined;
    if (`${entry.id}${REGISTRY_SUFFIX}` !== name || !sameMac(entry.mac, entryMac(this.keys, entry.id, entry.endpoint))) return undefined;
    if (!(await isOwnEndpoint(entry.endpoint))) return undefined;
    return entry as unknown as RegistryEntry;
  }

  private async sendTo(name: string, message: PeerMessage): Promise<unknown> {
    const entry = await this.readEntry(name);
    if (!entry) return NO_ANSWER; // not ours: ignored (a dead one is swept at the next open)
    const header: EnvelopeHeader = { v: VERSION, type: 'msg', from: this.id, to: entry.id, ts: this.now(), nonce: randomBytes(16).toString('base64url') };
    const keys = this.keys;
    try {
      const line = await send(entry.endpoint, seal(keys, header, message), this.timeoutMs);
      const answer = parseEnvelope(parseLine(line));
      if (!answer || answer.type !== 'ans' || answer.from !== entry.id || answer.to !== this.id || answer.re !== header.nonce || !macMatches(keys, answer)) {
        this.refused('unauthenticated');
        return NO_ANSWER;
      }
      if (Math.abs(this.now() - answer.ts) > REPLAY_WINDOW_MS || !this.nonces.remember(answer.nonce, this.now())) {
        this.refused('stale');
        return NO_ANSWER;
      }
      const payload = open(keys, answer);
      return isJsonObject(payload) ? payload.answer ?? null : NO_ANSWER;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ECONNREFUSED' || code === 'ENOENT') {
        await rm(join(this.registry, name), { force: true });
      } else {
        this.onWarning(`a peer window did not answer: ${code ?? (err as Error).message}`);
      }
      return NO_ANSWER;
    }
  }

  /** Reads one line from a connecting peer, verifies it, handles it, then answers. */
  private receive(socket: Socket): void {
    const chunks: Buffer[] = [];
    let size = 0;
    socket.setTimeout(this.timeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_MESSAGE_SIZE) {
        this.onWarning('a peer window sent an oversized message; dropped');
        socket.destroy();
        return;
      }
      chunks.push(chunk);
      if (!chunk.includes(0x0a)) return;
      socket.pause();
      socket.removeAllListeners('data');
      // The sender bounds the wait for the acknowledgement; applying may take a moment.
      socket.setTimeout(0);
      void this.answer(socket, Buffer.concat(chunks).toString('utf8'));
    });
  }

  private async answer(socket: Socket, raw: string): Promise<void> {
    const envelope = parseEnvelope(parseLine(raw));
    if (!envelope) {
      this.refused('malformed');
      socket.destroy();
      return;
    }
    const verdict = await this.verify(envelope);
    if (verdict !== undefined) {
      this.refused(verdict);
      socket.destroy();
      return;
    }
    const keys = this.keys;
    let message: unknown;
    try {
      message = open(keys, envelope);
    } catch {
      message = undefined;
    }
    if (!isJsonObject(message)) {
      this.refused('malformed');
      socket.destroy();
      return;
    }
    try {
      const answer = await this.handle(message);
      const header: EnvelopeHeader = { v: VERSION, type: 'ans', from: this.id, to: envelope.from, ts: this.now(), nonce: randomBytes(16).toString('base64url'), re: envelope.nonce };
      socket.end(seal(keys, header, { answer: answer ?? null }));
    } catch (err) {
      this.onWarning(`applying a peer window's update failed: ${(err as Error)?.name ?? 'error'}`);
      socket.end();
    }
  }

  /** Checks a message addressed to this peer (peer-envelope.ts). */
  private verify(envelope: Envelope): Promise<Refusal | undefined> {
    return verifyEnvelope(envelope, {
      misaddressed: envelope.type !== 'msg' || envelope.to !== this.id || envelope.from === this.id,
      now: this.now(),
      macMatches: () => macMatches(this.keys, envelope),
      secret: this.secret,
      rekey: () => this.rekey(),
      nonces: this.nonces,
    });
  }

  private refused(reason: Refusal): void {
    this.refusals.refused(reason, this.now());
  }

  /** Stops listening and leaves the registry; removes the socket folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    process.off('exit', this.cleanupOnExit);
    await rm(join(this.registry, `${this.id}${REGISTRY_SUFFIX}`), { force: true });
    const server = this.server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.socketFolder) await rm(this.socketFolder, { recursive: true, force: true });
  }

  /** At process exit, where only synchronous work runs. */
  private removeSync(): void {
    rmSync(join(this.registry, `${this.id}${REGISTRY_SUFFIX}`), { force: true });
    if (this.socketFolder) rmSync(this.socketFolder, { recursive: true, force: true });
  }
}

const NO_ANSWER = Symbol('no answer');

/**
 * True when `endpoint` is a socket this channel would make: a named pipe of ours on Windows;
 * elsewhere `peer.sock` in a folder of the temp folder named as ours, a real folder (not a link)
 * owned by this user and closed to others.
 */
async function isOwnEndpoint(endpoint: string): Promise<boolean> {
  if (process.platform === 'win32') return /^\\\\\.\\pipe\\msal-signin-[0-9a-f-]{36}$/.test(endpoint);
  const folder = dirname(endpoint);
  if (basename(endpoint) !== SOCKET_NAME || dirname(folder) !== tmpdir() || !basename(folder).startsWith(SOCKET_FOLDER_PREFIX)) return false;
  const stats = await lstat(folder).catch(() => undefined);
  return !!stats?.isDirectory() && (stats.mode & 0o077) === 0 && stats.uid === process.getuid?.();
}

/** Whether something listens at `endpoint`: false when nothing does (refused, missing). */
function listening(endpoint: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(endpoint);
    const done = (alive: boolean) => {
      socket.destroy();
      resolve(alive);
    };
    socket.setTimeout(timeoutMs, () => done(true)); // slow is not dead
    socket.on('connect', () => done(true));
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT' && err.code !== 'ENOTSOCK'));
  });
}

/**
 * Removes what processes that ended without closing left: registry entries that cannot be read
 * or whose socket no longer listens, and socket folders of ours in the temp folder whose socket
 * does not listen (older than {@link STALE_FOLDER_MS}, so a starting peer's is left alone).
 */
async function sweep(registry: string, timeoutMs: number, now: () => number): Promise<void> {
  const names = await readdir(registry).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      const file = join(registry, name);
      if (name.endsWith('.tmp')) {
        const stats = await lstat(file).catch(() => undefined);
        if (stats && now() - stats.mtimeMs > STALE_FOLDER_MS) await rm(file, { force: true });
        return;
      }
      if (!name.endsWith(REGISTRY_SUFFIX)) return;
      let endpoint: unknown;
      try {
        endpoint = (JSON.parse(await readFile(file, 'utf8')) as { endpoint?: unknown }).endpoint;
      } catch {
        endpoint = undefined;
      }
      if (typeof endpoint !== 'string' || !(await listening(endpoint, timeoutMs))) await rm(file, { force: true });
    }),
  );
  if (process.platform === 'win32') return;
  const folders = (await readdir(tmpdir()).catch(() => [] as string[])).filter((name) => name.startsWith(SOCKET_FOLDER_PREFIX));
  await Promise.all(
    folders.map(async (name) => {
      const folder = join(tmpdir(), name);
      const stats = await lstat(folder).catch(() => undefined);
      if (!stats?.isDirectory() || stats.uid !== process.getuid?.() || now() - stats.mtimeMs < STALE_FOLDER_MS) return;
      const contents = await readdir(folder).catch(() => undefined);
      if (!contents || contents.some((entry) => entry !== SOCKET_NAME)) return; // not a folder of ours
      if (contents.length === 0 || !(await listening(join(folder, SOCKET_NAME), timeoutMs))) await rm(folder, { recursive: true, force: true });
    }),
  );
}

/** Sends one line and resolves with what came back before the peer closed. */
function send(endpoint: string, line: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(endpoint);
    let answer = '';
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    socket.on('error', fail);
    socket.on('connect', () => socket.write(line));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.length > MAX_MESSAGE_SIZE) fail(new Error('oversized answer'));
    });
    socket.on('end', () => {
      socket.destroy();
      if (answer.includes('\n')) resolve(answer);
      else reject(Object.assign(new Error('the peer did not handle the message'), { code: 'ENOTHANDLED' }));
    });
    socket.on('close', () => reject(Object.assign(new Error('the peer closed the connection'), { code: 'ENOTHANDLED' })));
  });
}

/** The JSON value on the first line of `raw`, or undefined. */
function parseLine(raw: string): unknown {
  const end = raw.indexOf('\n');
  if (end < 0) return undefined;
  try {
    return JSON.parse(raw.slice(0, end));
  } catch {
    return undefined;
  }
}

