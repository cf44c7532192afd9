/**
 * The loopback redirect receiver of the authorization-code flow (RFC 8252 §7.3): a one-shot HTTP
 * server on 127.0.0.1 that waits for the browser to be redirected back with `code` (or `error`).
 *
 * It faces a browser, and any web page open in that browser can send requests to it, so it accepts
 * little: GET on one path, a loopback `Host` header (against DNS rebinding), an actual
 * authorization response, the expected `state`. Anything else is answered and ignored, so a
 * hostile request can neither end the wait nor win the race against the real redirect. The first
 * valid response ends it, and the port is closed before {@link LoopbackListener.waitForResponse}
 * settles. Queries are never logged: they hold the authorization code.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError, parseAuthorizationResponse } from '../core/index.js';
import { DEFAULT_ERROR_PAGE, DEFAULT_SUCCESS_PAGE, NOT_A_RESPONSE_PAGE, renderErrorPage, type ErrorPage } from './loopback-pages.js';

export type { ErrorPage } from './loopback-pages.js';

/**
 * The port of the listener is taken (`EADDRINUSE`): another program, or another sign-in, listens
 * there. A `network_error` like every failure to bind, with the port and address for a message
 * that names them (a fixed port comes from a setting the user can change).
 */
export class LoopbackPortInUseError extends AuthError {
  override readonly name = 'LoopbackPortInUseError';
  constructor(
    readonly port: number,
    readonly address: string,
    options?: { cause?: unknown },
  ) {
    super('network_error', `port ${port} on ${address} is in use`, options);
  }
}

/** The hosts a loopback redirect URI may name, and the address each is listened for on. */
export const LOOPBACK_HOSTS = { '127.0.0.1': '127.0.0.1', localhost: '127.0.0.1', '[::1]': '::1' } as const;
export type LoopbackHost = keyof typeof LOOPBACK_HOSTS;

/**
 * Options of {@link startLoopbackListener}. There is deliberately no bind-address option: the
 * listener binds 127.0.0.1 only (::1 only for a `[::1]` redirect URI), never `0.0.0.0` or `::`,
 * so nothing off the machine can reach it.
 */
export interface LoopbackListenerOptions {
  /** Port to bind; 0 (the default) lets the OS pick a free one, which Entra and RFC 8252 allow. */
  port?: number;
  /**
   * Path of the redirect URI, starting with `/`. Default `/`. An empty path gives a redirect URI
   * without one (`http://127.0.0.1:8400`), for identity providers that registered it so and
   * compare exactly; the browser then asks for `/`.
   */
  path?: string;
  /**
   * Host the redirect URI names. Default `127.0.0.1`; `localhost` is listened for on 127.0.0.1
   * too (browsers that try ::1 first fall back to it), `[::1]` on ::1.
   */
  host?: LoopbackHost;
  /**
   * HTML shown after a response with `code`. Served under `Content-Security-Policy:
   * default-src 'none'; style-src 'unsafe-inline'; img-src data:`, so it must be self-contained
   * (no scripts, inline styles, `data:` images).
   */
  successPage?: string;
  /** HTML shown after a response with `error`; see {@link ErrorPage}. Same CSP as the success page. */
  errorPage?: ErrorPage;
  /** Gives up after this many milliseconds: `waitForResponse` rejects with `timeout`. Default: no limit. */
  timeoutMs?: number;
  /** Aborting it makes `waitForResponse` reject with `cancelled`. */
  signal?: AbortSignal;
  /**
   * The `state` sent in the authorization request. When set, a response with another or no
   * `state` is answered 400 and the wait goes on: it may be a page racing the real redirect.
   * The core still checks `state` itself; this only keeps a forged response from ending the wait.
   */
  expectedState?: string;
}

/** A running loopback listener. */
export interface LoopbackListener {
  /** `http://127.0.0.1:PORT/path` (or the host asked for): the `redirect_uri` to send in the authorization request. */
  readonly redirectUri: string;
  /**
   * Resolves with every query parameter of the first valid authorization response (one with
   * `code` or `error`: an `error` response resolves too, and the caller turns it into an error).
   * Rejects with `timeout`, `cancelled` (signal, or {@link LoopbackListener.close} first) or
   * `network_error` (the server failed). The port is closed by the time it settles. Every call
   * returns the same promise.
   */
  waitForResponse(): Promise<Record<string, string>>;
  /** Stops listening and drops every connection; a pending wait rejects with `cancelled`. Idempotent. */
  close(): Promise<void>;
}

/** Largest request line plus headers accepted; Node answers 431 beyond it. A redirect is a few KB. */
const MAX_HEADER_BYTES = 16 * 1024;
/** A client must send its headers within this time, its whole request within REQUEST_TIMEOUT_MS. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
/** After the final page is written, connections are dropped at the latest after this. */
const FLUSH_GRACE_MS = 2_000;

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // The page's URL holds the code: keep it out of any Referer.
  'referrer-policy': 'no-referrer',
  // One request per connection: a kept-alive socket would outlive the one-shot server.
  connection: 'close',
} as const;

/**
 * Starts a listener on 127.0.0.1 and resolves once it is bound.
 * Fails with `invalid_argument` for a bad option, `cancelled` if `signal` is already aborted, and
 * `network_error` if the port cannot be bound (in use, not permitted).
 */
export async function startLoopbackListener(options: LoopbackListenerOptions = {}): Promise<LoopbackListener> {
  const { port: requestedPort = 0, path = '/', host = '127.0.0.1', timeoutMs, signal, expectedState } = options;
  checkOptions(requestedPort, path, host, timeoutMs);
  if (signal?.aborted) throw new AuthError('cancelled', 'the loopback listener was cancelled before it started');
  const successPage = options.successPage ?? DEFAULT_SUCCESS_PAGE;
  const errorPage = options.errorPage ?? DEFAULT_ERROR_PAGE;

  const server = http.createServer({
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // How often Node enforces the two timeouts above (default 30 s).
    connectionsCheckingInterval: 1_000,
  });
  const address = LOOPBACK_HOSTS[host];
  const port = await listenOnLoopback(server, address, requestedPort);
  const names = address === '::1' ? ['[::1]'] : ['127.0.0.1', 'localhost'];
  const allowedHosts = new Set(names.map((name) => `${name}:${port}`));
  if (port === 80) for (const name of names) allowedHosts.add(name);
  // The browser asks for `/` when the redirect URI has no path.
  const requestPath = path || '/';

  let settled = false;
  let resolveResult!: (params: Record<string, string>) => void;
  let rejectResult!: (err: AuthError) => void;
  const result = new Promise<Record<string, string>>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  // A timeout or cancel nobody waits for must not surface as an unhandled rejection.
  result.catch(() => undefined);

  let closed: Promise<void> | undefined;
  /** Stops accepting, then drops connections: at once, or once `finalResponse` is written. */
  const shutDown = (finalResponse?: http.ServerResponse): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), FLUSH_GRACE_MS);
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      if (finalResponse && !finalResponse.writableFinished) {
        finalResponse.once('close', () => server.closeAllConnections());
      } else {
        server.closeAllConnections();
      }
    });
    return closed;
  };

  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => fail(new AuthError('cancelled', 'the loopback listener was cancelled'));
  /** Ends the wait; the outcome is reported only once the port is closed. */
  const settle = (outcome: () => void, finalResponse?: http.ServerResponse): Promise<void> => {
    settled = true;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    return shutDown(finalResponse).then(outcome);
  };
  const fail = (err: AuthError): void => {
    if (!settled) void settle(() => rejectResult(err));
  };

  server.on('error', (cause: Error) => fail(new AuthError('network_error', 'the loopback listener failed', { cause })));
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (settled) {
      // One use only: a request on a connection still open after the end gets no answer.
      req.socket.destroy();
      return;
    }
    const verdict = judgeRequest(req, requestPath, allowedHosts, expectedState);
    if (verdict.kind === 'reject') {
      respond(res, verdict.status, verdict.body, verdict.headers);
      return;
    }
    const params = verdict.params;
    const html = params.error !== undefined ? renderErrorPage(errorPage, params.error, params.error_description) : successPage;
    respond(res, 200, html);
    void settle(() => resolveResult(params), res);
  });

  if (timeoutMs !== undefined) {
    timer = setTimeout(() => fail(new AuthError('timeout', `no authorization response within ${timeoutMs} ms`)), timeoutMs);
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort(); // aborted while binding

  return {
    redirectUri: `http://${host}:${port}${path}`,
    waitForResponse: () => result,
    close: () => {
      fail(new AuthError('cancelled', 'the loopback listener was closed'));
      return shutDown();
    },
  };
}

function checkOptions(port: number, path: string, host: string, timeoutMs: number | undefined): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AuthError('invalid_argument', 'port must be an integer from 0 to 65535');
  }
  // The path is compared with the request's raw path, so it must already be in that form.
  if (typeof path !== 'string' || !/^(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*)?$/.test(path)) {
    throw new AuthError('invalid_argument', 'path must be empty or start with / and hold only URL path characters (no query or fragment)');
  }
  if (!Object.hasOwn(LOOPBACK_HOSTS, host)) {
    throw new AuthError('invalid_argument', 'host must be 127.0.0.1, localhost or [::1]');
  }
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
    throw new AuthError('invalid_argument', 'timeoutMs must be a positive number of milliseconds');
  }
}

function listenOnLoopback(server: http.Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (cause: NodeJS.ErrnoException): void => {
      reject(
        cause.code === 'EADDRINUSE'
          ? new LoopbackPortInUseError(port, address, { cause })
          : new AuthError('network_error', `port ${port} on ${address} cannot be bound (${cause.code ?? 'error'})`, { cause }),
      );
    };
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

type Rejection = { kind: 'reject'; status: number; body: string; headers?: Record<string, string> };
/** @internal */
export type Verdict = { kind: 'accept'; params: Record<string, string> } | Rejection;

/**
 * Decides what a request is. Checks run cheapest-and-least-revealing first: Host (a rebinding
 * page learns nothing else), request target, path, method, then the query. Exported for the
 * property tests only: it is pure, so every hostile request can be tried without a socket.
 * @internal
 */
export function judgeRequest(
  req: Pick<http.IncomingMessage, 'headers' | 'url' | 'method'>,
  path: string,
  allowedHosts: ReadonlySet<string>,
  expectedState: string | undefined,
): Verdict {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !allowedHosts.has(host)) return textVerdict(400, 'Bad Request');
  const target = req.url ?? '';
  // Origin-form only ("/path?query"); absolute-form targets are for proxies.
  if (!target.startsWith('/')) return textVerdict(400, 'Bad Request');
  const queryStart = target.indexOf('?');
  const requestPath = queryStart === -1 ? target : target.slice(0, queryStart);
  if (requestPath !== path) return textVerdict(404, 'Not Found');
  if (req.method !== 'GET') return textVerdict(405, 'Method Not Allowed', { allow: 'GET' });

  let params: Record<string, string>;
  try {
    // Refuses repeated parameters (RFC 6749 §3.1) and keeps one named "__proto__" as plain data.
    params = parseAuthorizationResponse(queryStart === -1 ? '' : target.slice(queryStart + 1));
  } catch {
    return { kind: 'reject', status: 400, body: NOT_A_RESPONSE_PAGE };
  }
  if (params.code === undefined && params.error === undefined) return { kind: 'reject', status: 400, body: NOT_A_RESPONSE_PAGE };
  if (expectedState !== undefined && (params.state === undefined || !sameSecret(params.state, expectedState))) {
    return { kind: 'reject', status: 400, body: NOT_A_RESPONSE_PAGE };
  }
  return { kind: 'accept', params };
}

function textVerdict(status: number, text: string, headers?: Record<string, string>): Rejection {
  return { kind: 'reject', status, body: text, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } };
}

/** Compares in constant time (over SHA-256 digests, so lengths do not leak either). */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

function respond(res: http.ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
  res.writeHead(status, { ...PAGE_HEADERS, 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}
