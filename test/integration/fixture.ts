/**
 * Shared set-up of the integration tests: the real IdP, a recording HTTP client (so tests can see
 * what the library sent without the library logging it) and a headless "browser" that completes
 * the loopback redirect.
 */
import type { FetchLike, HttpRequest } from '../../src/core/http.js';
import { createNodeHttpClient } from '../../src/node/http-client.js';
import { completeAuthorization, CookieJar } from '../idp/headless-login.js';
import type { AccountName, Idp } from '../idp/server.js';

export interface RecordedRequest {
  url: string;
  method: string;
  form: URLSearchParams;
  headers: Record<string, string>;
}

/** An undici client that records each request it sends. */
export function recordingHttpClient(options: Parameters<typeof createNodeHttpClient>[0] = {}): FetchLike & { sent: RecordedRequest[] } {
  const inner = createNodeHttpClient(options);
  const sent: RecordedRequest[] = [];
  const send: FetchLike = async (url: string, init: HttpRequest) => {
    sent.push({ url, method: init.method, form: new URLSearchParams(init.body ?? ''), headers: init.headers });
    return inner(url, init);
  };
  return Object.assign(send, { sent });
}

/** The last token request among recorded ones (other requests, such as JWKS, may follow it). */
export function lastTokenRequest(sent: RecordedRequest[]): RecordedRequest {
  const found = sent.findLast((request) => request.method === 'POST' && request.form.has('grant_type'));
  if (!found) throw new Error('no token request was recorded');
  return found;
}

/** Token endpoint requests the IdP has served so far (POSTs to a path ending in /token). */
export function tokenRequestCount(idp: Idp): number {
  return idp.requests.filter((entry) => entry.method === 'POST' && entry.path.endsWith('/token')).length;
}

/** A browser stand-in: signs `account` in at the IdP and follows the redirect to the loopback listener. */
export function headlessBrowser(account: AccountName, options: { consent?: boolean; jar?: CookieJar } = {}) {
  const jar = options.jar ?? new CookieJar();
  const opened: string[] = [];
  const open = async (url: string) => {
    opened.push(url);
    const redirect = await completeAuthorization(url, { account, consent: options.consent, jar });
    const response = await fetch(redirect, { redirect: 'manual' });
    await response.text();
  };
  return { open, opened, jar };
}

/** Resolves when `predicate` holds, polling every 20 ms, or rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
