/**
 * The HTTP seam of the core. The core never opens sockets itself: it is given a fetch-like
 * function (the global `fetch`, the undici client from `src/node`, VS Code's proxied fetch, or a
 * test double) and reads responses through the checks in this file.
 */
import { AuthError, ThrottledError } from './errors.js';
import { isJsonObject } from './json.js';

/** What the core sends: GETs, form and JSON POSTs, and the JSON PUT of a client update (RFC 7592). */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** The part of a fetch `Response` the core reads. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** When present, bodies are read through it so that an oversized body is cut off early. */
  readonly body?: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}

/** A fetch-like function: `globalThis.fetch` fits, and so does undici's `fetch`. */
export type FetchLike = (url: string, init: HttpRequest) => Promise<HttpResponse>;

/** The most the core reads of one response body: token and discovery responses are small. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Reads a body as text, failing with `response_too_large` past `limit` bytes. */
export async function readBodyText(response: HttpResponse, limit = MAX_RESPONSE_BYTES): Promise<string> {
  const tooLarge = (size = '') => new AuthError('response_too_large', `response body ${size}exceeds the ${limit}-byte limit`);
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await discardBody(response);
    throw tooLarge(`of ${declared} bytes `);
  }
  if (!response.body) {
    const text = await response.text();
    if (text.length > limit) throw tooLarge();
    return text;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

/**
 * A Map-like store the caller may persist between runs (MSAL's `http_cache`). The core keeps
 * discovery documents, JWKS and throttle state in it, as JSON-compatible values.
 */
export interface HttpCache {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete?(key: string): unknown;
}

/** The longest a server's Retry-After is honoured; a hostile value cannot lock the app out for days. */
export const MAX_THROTTLE_MS = 60 * 60 * 1000;

/** How long a 429 or 5xx without a usable Retry-After throttles (MSAL for Python's default, 5 s). */
export const DEFAULT_THROTTLE_MS = 5_000;

/** The statuses that throttle a request: 429 and every 5xx, as in MSAL for Python. */
export function isThrottlingStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

interface ThrottleEntry {
  until: number;
}

/** Parses a Retry-After header (delta seconds or an HTTP date) into epoch milliseconds. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return now + Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : date;
}

/** The origin of `url` for messages; never throws, so a bad URL cannot turn into a TypeError. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '<unparseable url>';
  }
}

function isAbortError(err: unknown): boolean {
  const name = (err as { name?: unknown } | null | undefined)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/**
 * Sends requests through the injected fetch: maps transport failures to {@link AuthError}s and
 * keeps per-request throttle state in the {@link HttpCache} after a 429/5xx: for its Retry-After,
 * or for a POST {@link DEFAULT_THROTTLE_MS} when it has none (or one that is not a number or a date), at
 * most {@link MAX_THROTTLE_MS}. A Retry-After of 0 or a date already past does not throttle.
 * Unlike MSAL for Python, a Retry-After on another status (a 200, a 400) does not throttle:
 * MSAL replays the cached answer then, and this pipeline keeps no answers.
 */
export class HttpPipeline {
  constructor(
    private readonly fetchLike: FetchLike,
    private readonly cache: HttpCache,
  ) {}

  /**
   * Sends one request. `throttleKey` names the request for throttling (never holding secrets);
   * while a previous answer to the same key asked to wait, no request leaves the process.
   */
  async send(url: string, init: HttpRequest, throttleKey?: string): Promise<HttpResponse> {
    const now = Date.now();
    const throttled = throttleKey === undefined ? undefined : this.throttledUntil(throttleKey);
    if (throttled !== undefined) {
      throw new ThrottledError(throttled, `the server asked to wait ${Math.ceil((throttled - now) / 1000)} s before sending this request again`);
    }
    let response: HttpResponse;
    try {
      response = await this.fetchLike(url, init);
    } catch (err) {
      if (err instanceof AuthError) throw err;
      // The caller's signal says why it aborted; without one, the fetch's own timeout may have fired.
      const aborted = init.signal?.aborted === true;
      const timedOut = aborted ? (init.signal!.reason as { name?: string } | undefined)?.name === 'TimeoutError' : isAbortError(err);
      if (timedOut) throw new AuthError('timeout', 'the request timed out', { cause: err });
      if (aborted) throw new AuthError('cancelled', 'the request was cancelled', { cause: err });
      throw new AuthError('network_error', `the request to ${originOf(url)} failed`, { cause: err });
    }
    if (throttleKey !== undefined && isThrottlingStatus(response.status)) {
      // Entra's 429 often comes without Retry-After; sending again at once only prolongs it. A GET
      // (discovery) waits only when asked: MSAL for Python throttles POSTs alone.
      const until = parseRetryAfter(response.headers.get('retry-after'), now) ?? (init.method === 'POST' ? now + DEFAULT_THROTTLE_MS : now);
      if (until > now) this.cache.set(`throttle:${throttleKey}`, { until: Math.min(until, now + MAX_THROTTLE_MS) } satisfies ThrottleEntry);
    }
    return response;
  }

  /** Until when (epoch ms) requests named `throttleKey` are throttled; undefined when they are not. */
  throttledUntil(throttleKey: string): number | undefined {
    const entry = this.cache.get(`throttle:${throttleKey}`) as ThrottleEntry | undefined;
    return entry && typeof entry.until === 'number' && entry.until > Date.now() ? entry.until : undefined;
  }
}

/** Drops a body that will not be read, freeing its connection. */
export async function discardBody(response: HttpResponse): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** GETs a JSON document (`accept: application/json`); the answer is returned unread. */
export function getJson(
  pipeline: HttpPipeline,
  url: string,
  options: { headers?: Record<string, string>; signal?: AbortSignal; throttleKey?: string } = {},
): Promise<HttpResponse> {
  return pipeline.send(url, { method: 'GET', headers: { accept: 'application/json', ...options.headers }, signal: options.signal }, options.throttleKey);
}

/** Reads a response body as a JSON object, failing with `invalid_response` for anything else. */
export async function readJsonObject(response: HttpResponse, what: string): Promise<Record<string, unknown>> {
  const text = await readBodyText(response);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AuthError('invalid_response', `${what}: the body is not JSON (HTTP ${response.status})`);
  }
  if (!isJsonObject(parsed)) {
    throw new AuthError('invalid_response', `${what}: the body is not a JSON object (HTTP ${response.status})`);
  }
  return parsed;
}

/** The default fetch: the platform's global `fetch`, bounded by `timeoutMs`. */
export function createGlobalFetch(timeoutMs: number): FetchLike {
  return (url, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return globalThis.fetch(url, { method: init.method, headers: init.headers, body: init.body, signal, redirect: 'manual' });
  };
}

/**
 * Error codes (on an error or its `cause` chain) that say the connection was never made, so the
 * request never reached the server: Node's and undici's names.
 */
const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function neverConnected(err: unknown): boolean {
  for (let current = err, depth = 0; typeof current === 'object' && current !== null && depth < 6; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_CONNECTED_CODES.has(code)) return true;
  }
  return false;
}

/**
 * MSAL for Python's default HTTP client retries once after a connection error (requests'
 * `HTTPAdapter(max_retries=1)`), and so does this wrapper of the default client, with urllib3's
 * rule: any request whose connection could not be made is sent once more; a GET is also sent
 * again when the connection broke after it was sent (a reset, a cut body). A POST that may have
 * reached the server is not: a token request redeems a one-time code or rotates a refresh token,
 * and a second copy would be refused, or worse. Timeouts are not retried: `timeout` bounds the
 * whole request, and a retry would double the wait the caller asked for. Cancellation never is.
 */
export function retryOnceAfterConnectionError(fetchLike: FetchLike): FetchLike {
  return async (url, init) => {
    try {
      return await fetchLike(url, init);
    } catch (err) {
      if (init.signal?.aborted) throw err;
      const networkError = !(err instanceof AuthError) || err.code === 'network_error';
      if (!networkError || isAbortError(err) || !(neverConnected(err) || init.method === 'GET')) throw err;
      return fetchLike(url, init);
    }
  };
}
