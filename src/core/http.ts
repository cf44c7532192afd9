/**
 * The HTTP seam of the core. The core never opens sockets itself: it is given a fetch-like
 * function (the global `fetch`, the undici client from `src/node`, VS Code's proxied fetch, or a
 * test double) and reads responses through the checks in this file.
 */
import { AuthError } from './errors.js';

/** What the core sends: only GET and form POSTs. */
export interface HttpRequest {
  method: 'GET' | 'POST';
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
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new AuthError('response_too_large', `response body of ${declared} bytes exceeds the ${limit}-byte limit`);
  }
  if (!response.body) {
    const text = await response.text();
    if (text.length > limit) throw new AuthError('response_too_large', `response body exceeds the ${limit}-byte limit`);
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
      throw new AuthError('response_too_large', `response body exceeds the ${limit}-byte limit`);
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
