/**
 * A channel between the processes of one user on one machine (the extension hosts of several
 * editor windows): each listens on a Unix socket (a named pipe on Windows) and lists itself in a
 * shared registry folder; {@link PeerChannel.broadcast} hands a message to every listed peer and
 * collects their answers, each given once the peer has handled the message.
 *
 * Why it exists: in a browser-based editor (code-server, other VS Code web builds) each window
 * reads SecretStorage once when it opens and never sees another window's writes, so windows must
 * tell each other. Messages go through the socket only: nothing of them is written to disk. The
 * socket sits in a fresh folder only its owner may enter (mode 0700), and the registry lives in
 * the user's own storage, so only processes of the same user can reach it.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bound on one message: a token cache with thousands of accounts stays well under it. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** How long a broadcast waits for one peer to handle a message (default of `timeoutMs`). */
export const PEER_TIMEOUT_MS = 5_000;
const REGISTRY_SUFFIX = '.peer';

/** A message or an answer: anything JSON can carry. */
export type PeerMessage = Record<string, unknown>;

/** Handles a message from a peer; what it resolves to is sent back as the answer. */
export type PeerMessageHandler = (message: PeerMessage) => Promise<unknown>;

export class PeerChannel {
  private constructor(
    private readonly registry: string,
    private readonly id: string,
    private readonly server: Server,
    private readonly socketFolder: string | undefined,
    private readonly onWarning: (message: string) => void,
    private readonly timeoutMs: number,
  ) {}

  /** Starts listening and lists this process in `registry` (created when missing). */
  static async open(
    registry: string,
    handle: PeerMessageHandler,
    onWarning: (message: string) => void,
    { timeoutMs = PEER_TIMEOUT_MS }: { timeoutMs?: number } = {},
  ): Promise<PeerChannel> {
    const id = randomUUID();
    let socketFolder: string | undefined;
    let endpoint: string;
    if (process.platform === 'win32') {
      endpoint = `\\\\.\\pipe\\msal-signin-${id}`;
    } else {
      // Under the temp folder: socket paths are limited to about 100 bytes, storage paths are long.
      socketFolder = await mkdtemp(join(tmpdir(), 'msal-signin-'));
      endpoint = join(socketFolder, 'peer.sock');
    }
    const server = createServer((socket) => receive(socket, handle, onWarning, timeoutMs));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(endpoint, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await mkdir(registry, { recursive: true });
    await writeFile(join(registry, `${id}${REGISTRY_SUFFIX}`), endpoint, { mode: 0o600 });
    return new PeerChannel(registry, id, server, socketFolder, onWarning, timeoutMs);
  }

  /**
   * Hands `message` to every other live peer and resolves, with the answers, when each has
   * handled it or failed to within the channel's `timeoutMs`. Registry entries whose socket refuses
   * connections belonged to processes that ended without closing: they are removed. Never rejects.
   */
  async broadcast(message: PeerMessage): Promise<unknown[]> {
    const names = await readdir(this.registry).catch(() => [] as string[]);
    const peers = names.filter((name) => name.endsWith(REGISTRY_SUFFIX) && name !== `${this.id}${REGISTRY_SUFFIX}`);
    const answers = await Promise.all(peers.map((name) => this.sendTo(name, message)));
    return answers.filter((answer) => answer !== NO_ANSWER);
  }

  private async sendTo(name: string, message: PeerMessage): Promise<unknown> {
    const entry = join(this.registry, name);
    const endpoint = await readFile(entry, 'utf8').catch(() => undefined);
    if (!endpoint) return NO_ANSWER;
    try {
      return await send(endpoint, `${JSON.stringify(message)}\n`, this.timeoutMs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ECONNREFUSED' || code === 'ENOENT') {
        await rm(entry, { force: true });
      } else {
        this.onWarning(`a peer window did not answer: ${code ?? (err as Error).message}`);
      }
      return NO_ANSWER;
    }
  }

  /** Stops listening and leaves the registry. */
  async close(): Promise<void> {
    await rm(join(this.registry, `${this.id}${REGISTRY_SUFFIX}`), { force: true });
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.socketFolder) await rm(this.socketFolder, { recursive: true, force: true });
  }
}

const NO_ANSWER = Symbol('no answer');

/** Sends one line and waits for the answer line. */
function send(endpoint: string, line: string, timeoutMs: number): Promise<unknown> {
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
      if (answer.length > MAX_MESSAGE_BYTES) fail(new Error('oversized answer'));
    });
    socket.on('end', () => {
      socket.destroy();
      const reply = parseLine(answer);
      if (reply) resolve(reply.answer);
      else reject(Object.assign(new Error('the peer did not handle the message'), { code: 'ENOTHANDLED' }));
    });
  });
}

/** Reads one line from a connecting peer, handles it, then answers. */
function receive(socket: Socket, handle: PeerMessageHandler, onWarning: (message: string) => void, timeoutMs: number): void {
  const chunks: Buffer[] = [];
  let size = 0;
  socket.setTimeout(timeoutMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_MESSAGE_BYTES) {
      onWarning('a peer window sent an oversized message; dropped');
      socket.destroy();
      return;
    }
    chunks.push(chunk);
    if (chunk.includes(0x0a)) {
      socket.pause();
      // The sender bounds the wait for the acknowledgement; applying may take a moment.
      socket.setTimeout(0);
      const message = parseLine(Buffer.concat(chunks).toString('utf8'));
      if (!isObject(message)) {
        onWarning('a peer window sent a malformed message; dropped');
        socket.destroy();
        return;
      }
      handle(message).then(
        (answer) => socket.end(`${JSON.stringify({ answer: answer ?? null })}\n`),
        (err: unknown) => {
          onWarning(`applying a peer window's update failed: ${(err as Error)?.name ?? 'error'}`);
          socket.end();
        },
      );
    }
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON object on the first line of `raw`, or undefined. */
function parseLine(raw: string): Record<string, unknown> | undefined {
  const end = raw.indexOf('\n');
  if (end < 0) return undefined;
  try {
    const value: unknown = JSON.parse(raw.slice(0, end));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
