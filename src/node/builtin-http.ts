/**
 * A small {@link FetchLike} over Node's own `http`/`https` modules, for the extension host.
 *
 * Why not undici there: VS Code patches the `http` and `https` module objects in the extension
 * host (`http.proxySupport`, default `override`), so requests made through them follow the
 * editor's `http.proxy`, `http.noProxy`, `http.proxyStrictSSL` and system certificates without
 * this file reading any of them; and it keeps undici (hundreds of KB) out of the bundle. Outside
 * the editor, {@link createNodeHttpClient} (undici) remains the client with its own proxy and CA
 * options.
 *
 * Errors are {@link AuthError}s, named like the undici client's: `timeout`, `cancelled`,
 * `network_error`, `invalid_argument`, `response_too_large`. Messages name the origin and path,
 * never the query. Redirects are returned, not followed.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { AuthError, type FetchLike, type HttpResponse, MAX_RESPONSE_BYTES } from '../core/index.js';
import { parseRequestUrl } from './request-url.js';

/** Options of {@link createBuiltinHttpClient}. */
export interface BuiltinHttpOptions {
  /** Bound on a whole request (connect, headers and body) in milliseconds. */
  timeout: number;
}

export function createBuiltinHttpClient(options: BuiltinHttpOptions): FetchLike {
  const timeout = options.timeout;
  return async (url, init) => {
    const target = parseRequestUrl(url);
    const where = target.origin + target.pathname;
    const timeoutSignal = AbortSignal.timeout(timeout);
    const callerSignal = init.signal;
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeoutSignal]) : timeoutSignal;
    const toError = (err: unknown): AuthError => {
      if (err instanceof AuthError) return err;
      if (callerSignal?.aborted) return new AuthError('cancelled', `request to ${where} was cancelled`, { cause: err });
      if (timeoutSignal.aborted) return new AuthError('timeout', `request to ${where} did not complete within ${timeout} ms`, { cause: err });
      const code = (err as { code?: unknown } | undefined)?.code;
      return new AuthError('network_error', `request to ${where} failed${typeof code === 'string' ? ` (${code})` : ''}`, { cause: err });
    };
    if (signal.aborted) return Promise.reject(toError(signal.reason));

    const body = init.method !== 'GET' && init.body !== undefined ? Buffer.from(init.body, 'utf8') : undefined;
    const headers: Record<string, string> = { ...init.headers };
    if (body) headers['content-length'] = String(body.length);
    const send = target.protocol === 'https:' ? https.request : http.request;

    return new Promise<HttpResponse>((resolve, reject) => {
      // `signal` makes Node destroy the request and, later, the response with an AbortError.
      const request = send(target, { method: init.method, headers, signal }, (response) => {
        resolve(toResponse(response, toError));
      });
      request.on('error', (err) => reject(toError(err)));
      request.end(body);
    });
  };
}

/**
 * The response as the core reads it. No `body` stream: `text()` reads at most
 * {@link MAX_RESPONSE_BYTES} itself and stops the transfer past that, so the core's size check
 * holds without one.
 */
function toResponse(response: http.IncomingMessage, toError: (err: unknown) => AuthError): HttpResponse {
  let consumed = false;
  return {
    status: response.statusCode ?? 0,
    headers: {
      get(name) {
        const value = response.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    body: null,
    text() {
      if (consumed) return Promise.reject(new AuthError('invalid_argument', 'the response body was already read'));
      consumed = true;
      return new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            response.destroy();
            reject(new AuthError('response_too_large', `response body exceeds the ${MAX_RESPONSE_BYTES}-byte limit`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', (err) => reject(toError(err)));
        // A connection cut mid-body ends with 'close' and no 'end' (and not always an 'error').
        response.on('close', () => {
          if (!response.complete) reject(toError(new Error('the connection closed before the body ended')));
        });
      });
    },
  };
}
