/**
 * The HTTP client of the browser build: the web worker's global `fetch`. A browser does not say
 * why a request failed — a refused cross-origin request, an unreachable host and a dropped
 * connection are all the same `TypeError` ("Failed to fetch") — so this client turns that
 * TypeError into a {@link BrowserFetchError} that names the two origins involved. The core keeps
 * it as the `cause` of its `network_error`, and user-errors.ts tells the person the likely cause
 * (the identity provider does not allow cross-origin requests from the editor) and what to set.
 */
import { createGlobalFetch, type FetchLike } from '../core/index.js';

const TIMEOUT_MS = 30_000;

/** A request the browser refused or could not send: most often CORS, else the network. */
export class BrowserFetchError extends Error {
  override readonly name = 'BrowserFetchError';
  constructor(
    /** The origin the request went to (never the URL: its query may hold a code). */
    readonly target: string,
    /** The origin the browser sent the request from: the one the identity provider must allow. */
    readonly editorOrigin: string,
    options?: { cause?: unknown },
  ) {
    super(`the browser refused the request from ${editorOrigin} to ${target} (cross-origin or network)`, options);
  }
}

/** The origin requests of this worker are sent from, as the identity provider sees it. */
export function workerOrigin(): string {
  const location = (globalThis as { location?: { origin?: string } }).location;
  return location?.origin ?? 'the editor';
}

export function createBrowserHttpClient(editorOrigin = workerOrigin(), fetchLike: FetchLike = createGlobalFetch(TIMEOUT_MS)): FetchLike {
  return async (url, init) => {
    try {
      return await fetchLike(url, init);
    } catch (err) {
      // An abort is a timeout or a cancel, which the core tells apart by the signal.
      if (!(err instanceof TypeError) || init.signal?.aborted) throw err;
      throw new BrowserFetchError(URL.parse(url)?.origin ?? 'the identity provider', editorOrigin, { cause: err });
    }
  };
}

/** The {@link BrowserFetchError} on `err`'s cause chain, if any. */
export function browserFetchErrorIn(err: unknown): BrowserFetchError | undefined {
  for (let current = err, depth = 0; typeof current === 'object' && current !== null && depth < 6; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof BrowserFetchError) return current;
  }
  return undefined;
}
