/**
 * The core's {@link FetchLike} for Node, on undici: one connection pool per client, proxies,
 * extra CAs and a whole-request timeout, with failures turned into the core's {@link AuthError}s.
 * The options mirror MSAL Python's `timeout`, `proxies` and `verify`.
 */
import { fetch as undiciFetch } from 'undici';
import { AuthError, type FetchLike, type HttpRequest, type HttpResponse } from '../core/index.js';
import { createDispatcher, type ProxyOptions } from './dispatcher.js';
import { parseRequestUrl } from './request-url.js';
import { resolveTlsTrust, type VerifyOption } from './tls-trust.js';

export type { ProxyOptions } from './dispatcher.js';
export type { VerifyOption } from './tls-trust.js';

/** The default whole-request bound, in milliseconds. */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

/** Options of {@link createNodeHttpClient}. */
export interface NodeHttpOptions {
  /**
   * Bound on a whole request in milliseconds: connecting (through the proxy, if any), the
   * response headers and the response body. Default {@link DEFAULT_HTTP_TIMEOUT_MS}.
   */
  timeout?: number;
  /** Proxies; see {@link ProxyOptions}. Absent: `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` are honoured. */
  proxies?: ProxyOptions;
  /**
   * Server certificate checks; see {@link VerifyOption}. `false` turns them off entirely, which
   * exposes tokens and secrets to anyone on the network path: the name is blunt on purpose.
   */
  verify?: VerifyOption;
  /** Sent as `User-Agent` unless the request sets one itself. */
  userAgent?: string;
}

/** What the client returns: the undici response, with body errors turned into {@link AuthError}s. */
export interface NodeHttpResponse extends HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
  /** The body as UTF-8 text. Like fetch, a body can be read once. */
  text(): Promise<string>;
}

/**
 * A {@link FetchLike} backed by one undici dispatcher, plus {@link NodeHttpClient.close}.
 * Call it like `fetch`; pass it wherever the core takes a `FetchLike`.
 *
 * Errors are {@link AuthError}s: `timeout` when the {@link NodeHttpOptions.timeout} passes,
 * `cancelled` when the caller's `signal` aborts, `network_error` (with the undici error as
 * `cause`) when the connection, TLS handshake or proxy fails, `invalid_argument` for a URL that is
 * not http(s). Messages name the origin and path only, never the query.
 *
 * Redirects are not followed: a 3xx is returned as is. Following one would re-send a form body
 * (client secrets, codes) to wherever the `Location` points.
 */
export interface NodeHttpClient {
  (url: string, init: HttpRequest): Promise<NodeHttpResponse>;
  /** Closes the pooled connections once in-flight requests finish. Later calls fail. */
  close(): Promise<void>;
}

/**
 * Creates a Node HTTP client. Options are checked here, so a bad proxy URL or CA bundle fails at
 * once with `invalid_argument` rather than on the first request.
 *
 * @example
 * const http = createNodeHttpClient({ proxies: { https: 'http://proxy:3128' }, verify: caPem });
 * const response = await http('https://login.example/token', { method: 'GET', headers: {} });
 * await http.close();
 */
export function createNodeHttpClient(options: NodeHttpOptions = {}): NodeHttpClient {
  const timeout = options.timeout ?? DEFAULT_HTTP_TIMEOUT_MS;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw new AuthError('invalid_argument', 'timeout must be a positive number of milliseconds');
  }
  // One dispatcher for the client's lifetime: it owns the connection pools, so requests to the
  // same authority reuse TLS connections.
  const dispatcher = createDispatcher(options.proxies, resolveTlsTrust(options.verify));
  const userAgent = options.userAgent;

  const send = async (url: string, init: HttpRequest): Promise<NodeHttpResponse> => {
    const where = describeTarget(url);
    const timeoutSignal = AbortSignal.timeout(timeout);
    const callerSignal = init.signal;
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeoutSignal]) : timeoutSignal;
    const toError = (err: unknown): AuthError => classifyError(err, where, timeout, callerSignal, timeoutSignal);
    if (callerSignal?.aborted) throw toError(callerSignal.reason);

    const headers = { ...init.headers };
    if (userAgent !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'user-agent')) {
      headers['user-agent'] = userAgent;
    }
    let response: Awaited<ReturnType<typeof undiciFetch>>;
    try {
      response = await undiciFetch(url, {
        method: init.method,
        headers,
        body: init.method === 'GET' ? undefined : init.body,
        signal,
        dispatcher,
        redirect: 'manual',
      });
    } catch (err) {
      throw toError(err);
    }
    const body = response.body ? mapStreamErrors(response.body as ReadableStream<Uint8Array>, toError) : null;
    return {
      status: response.status,
      statusText: response.statusText,
      ok: response.ok,
      headers: response.headers as unknown as Headers,
      body,
      text: () => readText(body),
    };
  };
  return Object.assign(send, { close: () => dispatcher.close() });
}

/** `origin + path` of a request URL, for messages: the query may hold codes or secrets. */
function describeTarget(url: string): string {
  const parsed = parseRequestUrl(url);
  return parsed.origin + parsed.pathname;
}

/**
 * Names a failure by which signal fired rather than by the error's class: undici rejects with the
 * signal's reason, which is whatever the caller passed to `abort()`.
 */
function classifyError(err: unknown, where: string, timeout: number, callerSignal: AbortSignal | undefined, timeoutSignal: AbortSignal): AuthError {
  if (err instanceof AuthError) return err;
  if (callerSignal?.aborted) return new AuthError('cancelled', `request to ${where} was cancelled`, { cause: err });
  if (timeoutSignal.aborted) return new AuthError('timeout', `request to ${where} did not complete within ${timeout} ms`, { cause: err });
  const reason = describeFailure(err);
  return new AuthError('network_error', `request to ${where} failed${reason ? ` (${reason})` : ''}`, { cause: err });
}

/**
 * A short reason for a network failure, from the `cause` chain (undici's own fetch error is always
 * the bare "fetch failed"): the first `code` (`ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`...);
 * for undici's errors also their fixed message ("Proxy Authentication Required (407)"); else the
 * innermost message ("bad port"). System error messages are left out: they are free-form.
 */
function describeFailure(err: unknown): string | undefined {
  let innermost: Error | undefined;
  for (let current = err, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code.startsWith('UND_ERR_') && current.message ? `${code}: ${current.message}` : code;
    innermost = current;
  }
  return innermost && innermost !== err ? innermost.message : undefined;
}

/**
 * Re-emits a body stream, turning its errors into {@link AuthError}s: the timeout and the caller's
 * signal keep running while the body is read, and a reader should see `timeout`/`cancelled`, not a
 * bare DOMException.
 */
function mapStreamErrors(source: ReadableStream<Uint8Array>, toError: (err: unknown) => AuthError): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        controller.error(toError(err));
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** Reads a whole body as UTF-8, as `Response.text()` does. */
async function readText(body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!body) return '';
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
}
