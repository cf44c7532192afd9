/**
 * A reverse proxy on 127.0.0.1 that forwards to the test IdP and, when told, answers a request
 * itself with a fault instead: an error status, a reset connection, no answer at all, an endless
 * body, or the IdP's own JSON edited. A faulted request never reaches the IdP, so a fault on the
 * token endpoint cannot rotate or revoke anything there.
 *
 * Start it before the IdP and give the IdP its origin (`startIdp({ publicOrigin })`): issuers and
 * endpoints then name the proxy and every request of the library passes through it.
 */
import * as http from 'node:http';
import type * as net from 'node:net';
import { closeServer, listen } from './servers.js';

export type Fault =
  /** Answers with this status, headers and body (JSON unless a content-type says otherwise). */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Destroys the connection without an answer (a reset as the client sees it). */
  | { kind: 'reset' }
  /** Never answers; the client's timeout has to end the request. */
  | { kind: 'hang' }
  /** A 200 whose body starts, then the connection is reset or goes silent mid-body. */
  | { kind: 'partial'; then: 'reset' | 'hang' }
  /** A 200 JSON-looking body of `bytes` bytes, written as fast as the client reads it. */
  | { kind: 'stream'; bytes: number; declareLength?: boolean }
  /** Forwards, then edits the IdP's JSON answer before passing it on. */
  | { kind: 'rewrite'; edit(json: Record<string, unknown>): Record<string, unknown> };

/** What became of a `stream` fault's body: how much was written before the client stopped reading. */
export interface StreamRecord {
  readonly bytes: number;
  written: number;
  /** True when the whole body was written. */
  finished: boolean;
  /** Resolves when the connection closed or the body ended, whichever came first. */
  readonly done: Promise<void>;
}

export interface ProxiedRequest {
  method: string;
  /** Path without the query: queries may hold codes. */
  path: string;
  /** `forwarded`, or the kind of fault answered. */
  outcome: Fault['kind'] | 'forwarded';
}

export interface FaultProxy {
  readonly origin: string;
  readonly port: number;
  /** Where requests go when no fault applies: `http://127.0.0.1:IDP_PORT`. */
  setUpstream(origin: string): void;
  /** Answers the next `times` requests matching `path` (and `method`, when given) with `fault`. */
  inject(match: { path: string | RegExp; method?: string }, fault: Fault, times?: number): void;
  /** Faults injected but not yet used up. */
  pending(): number;
  readonly requests: ProxiedRequest[];
  readonly streams: StreamRecord[];
  close(): Promise<void>;
}

interface Rule {
  path: string | RegExp;
  method?: string;
  fault: Fault;
  remaining: number;
}

const STREAM_CHUNK = 64 * 1024;

export async function startFaultProxy(): Promise<FaultProxy> {
  let upstream: URL | undefined;
  const rules: Rule[] = [];
  const requests: ProxiedRequest[] = [];
  const streams: StreamRecord[] = [];
  const sockets = new Set<net.Socket>();

  const takeFault = (method: string, path: string): Fault | undefined => {
    const rule = rules.find((candidate) =>
      candidate.remaining > 0 &&
      (candidate.method === undefined || candidate.method === method) &&
      (typeof candidate.path === 'string' ? candidate.path === path : candidate.path.test(path)));
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  };

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const fault = takeFault(method, path);
    requests.push({ method, path, outcome: fault?.kind ?? 'forwarded' });
    if (fault === undefined || fault.kind === 'rewrite') {
      forward(req, res, fault);
      return;
    }
    // The request body is not needed; reading it keeps the connection in a sane state.
    req.resume();
    switch (fault.kind) {
      case 'status': {
        const body = fault.body ?? '';
        res.writeHead(fault.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...fault.headers });
        res.end(body);
        return;
      }
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        return;
      case 'partial':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"access_token": "', () => {
          if (fault.then === 'reset') req.socket.destroy();
        });
        return;
      case 'stream':
        streams.push(streamBody(res, fault.bytes, fault.declareLength === true));
        return;
    }
  });
  // Above the 5 s clients keep idle sockets, as the IdP does (see IDP-TESTING.md).
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, rewrite: Extract<Fault, { kind: 'rewrite' }> | undefined): void => {
    if (!upstream) {
      res.writeHead(502).end();
      return;
    }
    const headers = { ...req.headers };
    // An edited body must be plain text; the Host header stays the proxy's, the IdP's public origin.
    if (rewrite) delete headers['accept-encoding'];
    const outgoing = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      if (!rewrite) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = JSON.stringify(rewrite.edit(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>));
        const { 'content-length': _length, 'transfer-encoding': _encoding, etag: _etag, ...rest } = answer.headers;
        res.writeHead(answer.statusCode ?? 502, { ...rest, 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      });
    });
    outgoing.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(outgoing);
  };

  const port = await listen(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    setUpstream(origin) {
      upstream = new URL(origin);
    },
    inject(match, fault, times = 1) {
      rules.push({ path: match.path, method: match.method, fault, remaining: times });
    },
    pending: () => rules.reduce((sum, rule) => sum + rule.remaining, 0),
    requests,
    streams,
    close: () => closeServer(server, sockets),
  };
}

/**
 * Writes `bytes` of a JSON string body, one chunk at a time and only when the socket has room,
 * so `written` tells how far the client really read (plus what socket buffers hold).
 */
function streamBody(res: http.ServerResponse, bytes: number, declareLength: boolean): StreamRecord {
  let markDone!: () => void;
  const record: StreamRecord = { bytes, written: 0, finished: false, done: new Promise<void>((resolve) => (markDone = resolve)) };
  res.writeHead(200, { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(bytes) } : {}) });
  const chunk = Buffer.alloc(STREAM_CHUNK, 'a');
  res.once('close', markDone);
  const pump = (): void => {
    while (record.written < bytes && !res.destroyed) {
      const size = Math.min(STREAM_CHUNK, bytes - record.written);
      record.written += size;
      const piece = record.written === size ? Buffer.concat([Buffer.from('{"a":"'), chunk.subarray(6, size)]) : chunk.subarray(0, size);
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    if (record.written >= bytes && !res.destroyed) {
      record.finished = true;
      res.end();
      markDone();
    }
  };
  pump();
  return record;
}
