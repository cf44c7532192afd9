/**
 * Test doubles shared by the core unit tests: a scripted fetch-like function that records every
 * request, an Entra tenant's discovery served by it, a Map-backed HTTP cache, and an assertion for
 * `AuthError` codes. Nothing here opens a socket.
 */
import assert from 'node:assert/strict';
import { AuthError } from '../../../src/core/errors.js';
import type { FetchLike, HttpCache, HttpRequest, HttpResponse } from '../../../src/core/http.js';

/** One request the fake fetch received. */
export interface RecordedRequest {
  url: string;
  init: HttpRequest;
}

/** What a route answers: a ready response, or a function of the request. */
export type RouteAnswer = HttpResponse | ((request: RecordedRequest) => HttpResponse | Promise<HttpResponse>);

/** A Response that can hand out fresh copies of itself, so that a route may answer it repeatedly. */
export class ReplayableResponse extends Response {
  constructor(
    private readonly bodyText: string,
    private readonly init: ResponseInit,
  ) {
    super(bodyText, init);
  }

  fresh(): ReplayableResponse {
    return new ReplayableResponse(this.bodyText, this.init);
  }
}

/** A JSON response with `status` (200 by default) and extra headers. */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): ReplayableResponse {
  return new ReplayableResponse(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** A text response (HTML error pages and the like). */
export function textResponse(body: string, status = 200, headers: Record<string, string> = {}): ReplayableResponse {
  return new ReplayableResponse(body, { status, headers: { 'content-type': 'text/plain', ...headers } });
}

/**
 * A fetch-like function serving fixed routes by exact URL (query included), or by URL without
 * query when no exact route exists. Unknown URLs fail the test loudly.
 */
export class FakeFetch {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, RouteAnswer[]>();

  /** Answers `url` with `answers` in turn; the last one repeats. */
  on(url: string, ...answers: RouteAnswer[]): this {
    this.routes.set(url, answers);
    return this;
  }

  /** How many requests went to `url` (compared without the query when `url` has none). */
  count(url: string): number {
    return this.requests.filter((r) => r.url === url || (!url.includes('?') && r.url.split('?')[0] === url)).length;
  }

  readonly fetch: FetchLike = async (url, init) => {
    const request = { url, init };
    this.requests.push(request);
    const answers = this.routes.get(url) ?? this.routes.get(url.split('?')[0]);
    if (!answers || answers.length === 0) throw new Error(`FakeFetch: no route for ${init.method} ${url}`);
    const answer = answers.length > 1 ? answers.shift()! : answers[0];
    if (typeof answer === 'function') return answer(request);
    // A repeated answer must not hand out a body that was already read.
    return answer instanceof ReplayableResponse ? answer.fresh() : answer;
  };
}

/** The Entra cloud and tenant the application tests sign in at. */
export const ENTRA_HOST = 'https://login.microsoftonline.com';
export const ENTRA_TENANT = 'contoso.onmicrosoft.com';

/**
 * ENTRA_TENANT's discovery document with its endpoints at `host`; the issuer names the tenant by
 * its id at the global host, as Entra's does.
 */
export function entraMetadata(host = ENTRA_HOST) {
  return {
    issuer: `${ENTRA_HOST}/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0`,
    authorization_endpoint: `${host}/${ENTRA_TENANT}/oauth2/v2.0/authorize`,
    token_endpoint: `${host}/${ENTRA_TENANT}/oauth2/v2.0/token`,
    device_authorization_endpoint: `${host}/${ENTRA_TENANT}/oauth2/v2.0/devicecode`,
    jwks_uri: `${host}/${ENTRA_TENANT}/discovery/v2.0/keys`,
  };
}

/** A FakeFetch that answers discovery for `<ENTRA_HOST>/<ENTRA_TENANT>`; add the routes a test needs. */
export function fakeEntra(): FakeFetch {
  return new FakeFetch().on(`${ENTRA_HOST}/${ENTRA_TENANT}/v2.0/.well-known/openid-configuration`, jsonResponse(entraMetadata()));
}

/** A client-credentials token response: an access token, no refresh token, no ID token. */
export const appToken = { access_token: 'app-token', token_type: 'Bearer', expires_in: 3600 };

/** The plainest HttpCache: a Map. */
export function memoryCache(): HttpCache & Map<string, unknown> {
  return new Map<string, unknown>();
}

/** Asserts that `promise` rejects with an AuthError of `code` and returns the error. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<AuthError> {
  const err = await promise.then(
    () => assert.fail(`expected an AuthError with code ${code}, but it resolved`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AuthError, `expected an AuthError with code ${code}, got ${String(err)}`);
  assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`);
  return err;
}

/** Asserts that `fn` throws an AuthError of `code` synchronously and returns the error. */
export function throwsWithCode(fn: () => unknown, code: string): AuthError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected an AuthError with code ${code}, but nothing was thrown`);
  assert.ok(caught instanceof AuthError, `expected an AuthError with code ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected code ${code}, got ${caught.code}: ${caught.message}`);
  return caught;
}

/** Lets pending promise callbacks and I/O run once (setImmediate is not faked by the tests). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
