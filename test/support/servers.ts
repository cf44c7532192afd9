/**
 * Real local servers for the Node adapter tests: a plain/TLS origin, a forward proxy that counts
 * what it relays, and a throw-away self-signed certificate. Everything binds 127.0.0.1 and every
 * helper returns a `close()` that also drops kept-alive and stalled sockets, so no test leaves a
 * handle open.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningServer {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  origin: string;
  port: number;
  /** How many TCP connections the server has accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 with a random port. */
export async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as net.AddressInfo).port;
}

/** Closes a server and every socket it still holds (keep-alive, stalled requests, tunnels). */
export function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
    if (server instanceof http.Server) server.closeAllConnections();
  });
}

function trackSockets(server: net.Server): Set<net.Socket> & { accepted: number } {
  const sockets = Object.assign(new Set<net.Socket>(), { accepted: 0 });
  // 'secureConnection' sockets of https servers sit on top of these, so destroying them suffices.
  server.on('connection', (socket: net.Socket) => {
    sockets.accepted++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** Starts an http (or, given a key and certificate, https) server on 127.0.0.1. */
export async function startServer(handler: http.RequestListener, tls?: { key: string; cert: string }): Promise<RunningServer> {
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  const sockets = trackSockets(server);
  const port = await listen(server);
  return { origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, port, connections: () => sockets.accepted, close: () => closeServer(server, sockets) };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends one request on a fresh connection; `host` overrides the Host header. */
export function sendRequest(url: string, options: { method?: string; host?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', agent: false, headers: { ...options.headers, ...(options.host ? { host: options.host } : {}) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Asserts that connecting to `host:port` fails (refused or unreachable), within a bound. */
export async function assertCannotConnect(port: number, host = '127.0.0.1'): Promise<void> {
  const outcome = await new Promise<string>((resolve) => {
    const socket = net.connect({ port, host, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve('connected')));
    socket.once('timeout', () => (socket.destroy(), resolve('timeout')));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
  assert.notEqual(outcome, 'connected', `something accepted a connection on ${host}:${port}`);
}

/** A port nothing listens on: bound once by us, then released. */
export async function findClosedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ForwardProxy extends RunningServer {
  /** Absolute-URI requests relayed, as `METHOD URL`. */
  readonly relayed: string[];
  /** CONNECT targets tunnelled, as `host:port`. */
  readonly tunnels: string[];
  /** The `Proxy-Authorization` headers seen, in order. */
  readonly authorizations: (string | undefined)[];
}

/**
 * A minimal forward proxy: relays absolute-URI requests (`GET http://host/path`) and tunnels
 * CONNECT, recording each. Only 127.0.0.1 targets are relayed, so a test cannot reach further.
 */
export async function startForwardProxy(): Promise<ForwardProxy> {
  const relayed: string[] = [];
  const tunnels: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers['proxy-authorization']);
    const target = new URL(req.url ?? '');
    // [::ffff:7f00:1] is 127.0.0.1 under a name that VS Code's proxy rules do not send direct.
    if (target.hostname === '[::ffff:7f00:1]') target.hostname = '127.0.0.1';
    if (target.hostname !== '127.0.0.1') {
      res.writeHead(403).end();
      return;
    }
    relayed.push(`${req.method} ${req.url}`);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(target, { method: req.method, headers }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  const sockets = trackSockets(server);
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    authorizations.push(req.headers['proxy-authorization']);
    const authority = req.url ?? '';
    const port = authority.slice(authority.lastIndexOf(':') + 1);
    const named = authority.slice(0, authority.lastIndexOf(':'));
    const host = named === '[::ffff:7f00:1]' ? '127.0.0.1' : named;
    if (host !== '127.0.0.1') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    tunnels.push(req.url ?? '');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const port = await listen(server);
  return { origin: `http://127.0.0.1:${port}`, port, relayed, tunnels, authorizations, connections: () => sockets.accepted, close: () => closeServer(server, sockets) };
}

/** A self-signed certificate for 127.0.0.1, made with the `openssl` CLI in a temporary folder. */
export function makeSelfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'node-adapter-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
