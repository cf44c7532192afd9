import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { AuthError, ThrottledError } from '../../../src/core/errors.js';
import {
  createGlobalFetch,
  DEFAULT_THROTTLE_MS,
  type HttpRequest,
  type HttpResponse,
  HttpPipeline,
  MAX_RESPONSE_BYTES,
  MAX_THROTTLE_MS,
  parseRetryAfter,
  readBodyText,
  readJsonObject,
} from '../../../src/core/http.js';
import { FakeFetch, jsonResponse, memoryCache, rejectsWithCode, textResponse } from './fakes.js';

/** A response whose body is streamed from `chunks`, recording whether the reader cancelled it. */
function streamedResponse(chunks: Uint8Array[], headers: Record<string, string> = {}) {
  const state = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled < chunks.length) controller.enqueue(chunks[state.pulled++]);
      else controller.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  const response: HttpResponse = {
    status: 200,
    headers: new Headers(headers),
    body,
    text: () => assert.fail('text() must not be used when a body stream exists'),
  };
  return { response, state };
}

/** A response without a body stream: only text(). */
function textOnlyResponse(text: string, headers: Record<string, string> = {}, status = 200): HttpResponse {
  return { status, headers: new Headers(headers), text: async () => text };
}

const GET: HttpRequest = { method: 'GET', headers: {} };
const POST: HttpRequest = { method: 'POST', headers: {}, body: 'grant_type=client_credentials' };

describe('readBodyText', () => {
  test('reads a small body', async () => {
    assert.equal(await readBodyText(textResponse('hello')), 'hello');
  });

  test('reads an empty body', async () => {
    assert.equal(await readBodyText(textResponse('')), '');
    assert.equal(await readBodyText(new Response(null, { status: 204 })), '');
  });

  test('joins chunks and decodes UTF-8 split across them', async () => {
    const bytes = new TextEncoder().encode('päßwörd €');
    const { response } = streamedResponse([bytes.slice(0, 2), bytes.slice(2, 5), bytes.slice(5)]);
    assert.equal(await readBodyText(response), 'päßwörd €');
  });

  test('a declared content-length over the limit fails before reading (response_too_large)', async () => {
    const { response, state } = streamedResponse([new Uint8Array(10)], { 'content-length': String(MAX_RESPONSE_BYTES + 1) });
    await rejectsWithCode(readBodyText(response), 'response_too_large');
    assert.equal(state.pulled, 0);
    assert.equal(state.cancelled, true);
  });

  test('a declared content-length equal to the limit is read', async () => {
    const { response } = streamedResponse([new Uint8Array(8).fill(0x61)], { 'content-length': '8' });
    assert.equal(await readBodyText(response, 8), 'aaaaaaaa');
  });

  test('a streamed body over the limit is cut off (response_too_large) and cancelled', async () => {
    const chunk = new Uint8Array(256 * 1024);
    const { response, state } = streamedResponse([chunk, chunk, chunk, chunk, chunk, chunk]);
    await rejectsWithCode(readBodyText(response), 'response_too_large');
    assert.equal(state.cancelled, true);
    assert.equal(state.pulled, 5, 'reading stops at the first chunk past the limit');
  });

  test('a content-length that lies (too small) does not get past the stream limit', async () => {
    const { response } = streamedResponse([new Uint8Array(6), new Uint8Array(6)], { 'content-length': '3' });
    await rejectsWithCode(readBodyText(response, 10), 'response_too_large');
  });

  test('a body exactly at the limit is read', async () => {
    const { response } = streamedResponse([new Uint8Array(5).fill(0x62), new Uint8Array(5).fill(0x63)]);
    assert.equal(await readBodyText(response, 10), 'bbbbbccccc');
  });

  test('a response without a body stream falls back to text(), still bounded', async () => {
    assert.equal(await readBodyText(textOnlyResponse('x'.repeat(10)), 10), 'x'.repeat(10));
    await rejectsWithCode(readBodyText(textOnlyResponse('x'.repeat(11)), 10), 'response_too_large');
    await rejectsWithCode(readBodyText(textOnlyResponse('', { 'content-length': '11' }), 10), 'response_too_large');
  });

  test('a real Response over the limit', async () => {
    await rejectsWithCode(readBodyText(textResponse('x'.repeat(2048)), 1024), 'response_too_large');
  });
});

describe('readJsonObject', () => {
  test('returns the object', async () => {
    assert.deepEqual(await readJsonObject(jsonResponse({ a: 1, b: [2] }), 'doc'), { a: 1, b: [2] });
  });

  for (const [label, body] of [
    ['not JSON', '<html>bad gateway</html>'],
    ['empty', ''],
    ['an array', '[1,2]'],
    ['null', 'null'],
    ['a string', '"text"'],
    ['a number', '42'],
  ] as const) {
    test(`${label} is invalid_response naming what and the status`, async () => {
      const err = await rejectsWithCode(readJsonObject(textResponse(body, 502), 'token response'), 'invalid_response');
      assert.match(err.message, /^token response: /);
      assert.match(err.message, /HTTP 502/);
    });
  }

  test('a body over the limit is response_too_large', async () => {
    await rejectsWithCode(readJsonObject(textResponse('{}', 200, { 'content-length': String(MAX_RESPONSE_BYTES + 1) }), 'doc'), 'response_too_large');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2025, 5, 1, 12, 0, 0);

  test('delta seconds', () => {
    assert.equal(parseRetryAfter('120', now), now + 120_000);
    assert.equal(parseRetryAfter(' 5 ', now), now + 5_000);
    assert.equal(parseRetryAfter('0', now), now);
  });

  test('an HTTP date', () => {
    assert.equal(parseRetryAfter('Sun, 01 Jun 2025 12:00:30 GMT', now), now + 30_000);
  });

  test('absent or unparseable', () => {
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter('', now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });
});

describe('HttpPipeline: transport errors', () => {
  test('passes url and init through and returns the response', async () => {
    const fake = new FakeFetch().on('https://idp.example.com/token', jsonResponse({ ok: true }));
    const pipeline = new HttpPipeline(fake.fetch, memoryCache());
    const init: HttpRequest = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' };
    const response = await pipeline.send('https://idp.example.com/token', init);
    assert.equal(response.status, 200);
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.requests[0].init, init);
  });

  test('a fetch failure is network_error with the cause, naming only the origin', async () => {
    const cause = new TypeError('fetch failed');
    const pipeline = new HttpPipeline(async () => {
      throw cause;
    }, memoryCache());
    const err = await rejectsWithCode(pipeline.send('https://idp.example.com/token?code=SECRET', GET), 'network_error');
    assert.equal(err.cause, cause);
    assert.match(err.message, /https:\/\/idp\.example\.com/);
    assert.doesNotMatch(err.message, /SECRET|token/);
  });

  test('a fetch failure on an unparseable URL is still an AuthError (network_error), not a TypeError', async () => {
    const pipeline = new HttpPipeline(async () => {
      throw new TypeError('Failed to parse URL');
    }, memoryCache());
    await rejectsWithCode(pipeline.send('not a url', GET), 'network_error');
  });

  test('an AuthError from the fetch passes through unchanged', async () => {
    const original = new AuthError('response_too_large', 'too big');
    const pipeline = new HttpPipeline(async () => {
      throw original;
    }, memoryCache());
    const err = await pipeline.send('https://idp.example.com/', GET).catch((e: unknown) => e);
    assert.equal(err, original);
  });

  test('an abort through the caller signal is cancelled', async () => {
    const controller = new AbortController();
    const pipeline = new HttpPipeline(
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init.signal!.addEventListener('abort', () => reject(init.signal!.reason));
        }),
      memoryCache(),
    );
    const pending = pipeline.send('https://idp.example.com/', { ...GET, signal: controller.signal });
    controller.abort();
    await rejectsWithCode(pending, 'cancelled');
  });

  test('a caller signal aborted with a TimeoutError is timeout', async () => {
    const controller = new AbortController();
    controller.abort(new DOMException('too slow', 'TimeoutError'));
    const pipeline = new HttpPipeline(async (_url, init) => {
      throw init.signal!.reason;
    }, memoryCache());
    await rejectsWithCode(pipeline.send('https://idp.example.com/', { ...GET, signal: controller.signal }), 'timeout');
  });

  test('a TimeoutError or AbortError from the fetch itself (its own deadline) is timeout', async () => {
    for (const name of ['TimeoutError', 'AbortError']) {
      const pipeline = new HttpPipeline(async () => {
        throw new DOMException('deadline', name);
      }, memoryCache());
      await rejectsWithCode(pipeline.send('https://idp.example.com/', GET), 'timeout');
    }
  });

  describe('createGlobalFetch', () => {
    const realFetch = globalThis.fetch;
    afterEach(() => {
      globalThis.fetch = realFetch;
    });

    /** A global fetch that never answers and rejects when its signal aborts; records its calls. */
    function hangingFetch() {
      const calls: { url: string; init: RequestInit }[] = [];
      globalThis.fetch = ((url: string, init: RequestInit) => {
        calls.push({ url, init });
        return new Promise((_resolve, reject) => {
          init.signal!.addEventListener('abort', () => reject(init.signal!.reason));
        });
      }) as typeof fetch;
      return calls;
    }

    test('its deadline becomes timeout', async () => {
      hangingFetch();
      const pipeline = new HttpPipeline(createGlobalFetch(1), memoryCache());
      await rejectsWithCode(pipeline.send('https://idp.example.com/', GET), 'timeout');
    });

    test('the caller signal still cancels', async () => {
      hangingFetch();
      const controller = new AbortController();
      const pipeline = new HttpPipeline(createGlobalFetch(60_000), memoryCache());
      const pending = pipeline.send('https://idp.example.com/', { ...GET, signal: controller.signal });
      controller.abort();
      await rejectsWithCode(pending, 'cancelled');
    });

    test('sends method, headers and body, and does not follow redirects', async () => {
      const calls: { url: string; init: RequestInit }[] = [];
      globalThis.fetch = (async (url: string, init: RequestInit) => {
        calls.push({ url, init });
        return new Response('{}');
      }) as typeof fetch;
      await createGlobalFetch(1000)('https://idp.example.com/token', { method: 'POST', headers: { a: 'b' }, body: 'x=1' });
      assert.equal(calls.length, 1);
      assert.equal(calls[0].url, 'https://idp.example.com/token');
      assert.equal(calls[0].init.method, 'POST');
      assert.deepEqual(calls[0].init.headers, { a: 'b' });
      assert.equal(calls[0].init.body, 'x=1');
      assert.equal(calls[0].init.redirect, 'manual');
      assert.ok(calls[0].init.signal instanceof AbortSignal);
    });
  });
});

describe('HttpPipeline: throttling (frozen clock)', () => {
  const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
  const URL_A = 'https://idp.example.com/token';
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: NOW }));
  afterEach(() => mock.timers.reset());

  function setup(...answers: HttpResponse[]) {
    const fake = new FakeFetch().on(URL_A, ...answers);
    const cache = memoryCache();
    return { fake, cache, pipeline: new HttpPipeline(fake.fetch, cache) };
  }

  test('a 429 with Retry-After seconds throttles the same key: ThrottledError, no request sent', async () => {
    const { fake, pipeline } = setup(jsonResponse({ error: 'too_many' }, 429, { 'retry-after': '30' }), jsonResponse({ ok: true }));
    const first = await pipeline.send(URL_A, GET, 'POST token A');
    assert.equal(first.status, 429, 'the throttling answer itself is returned to the caller');
    const err = await rejectsWithCode(pipeline.send(URL_A, GET, 'POST token A'), 'throttled');
    assert.ok(err instanceof ThrottledError);
    assert.equal(err.name, 'ThrottledError');
    assert.equal(err.retryAfter, NOW + 30_000);
    assert.match(err.message, /30 s/);
    assert.equal(fake.requests.length, 1);
  });

  test('another key, or no key, is not throttled', async () => {
    const { fake, pipeline } = setup(jsonResponse({}, 429, { 'retry-after': '30' }), jsonResponse({ ok: true }));
    await pipeline.send(URL_A, GET, 'POST token A');
    assert.equal((await pipeline.send(URL_A, GET, 'POST token B')).status, 200);
    assert.equal((await pipeline.send(URL_A, GET)).status, 200);
    assert.equal(fake.requests.length, 3);
  });

  test('the throttle expires after Retry-After', async () => {
    const { fake, pipeline } = setup(jsonResponse({}, 429, { 'retry-after': '30' }), jsonResponse({ ok: true }));
    await pipeline.send(URL_A, GET, 'k');
    mock.timers.tick(29_999);
    await rejectsWithCode(pipeline.send(URL_A, GET, 'k'), 'throttled');
    mock.timers.tick(1);
    assert.equal((await pipeline.send(URL_A, GET, 'k')).status, 200);
    assert.equal(fake.requests.length, 2);
  });

  test('a 503 with an HTTP-date Retry-After throttles until that date', async () => {
    const { pipeline } = setup(jsonResponse({}, 503, { 'retry-after': new Date(NOW + 120_000).toUTCString() }), jsonResponse({ ok: true }));
    await pipeline.send(URL_A, GET, 'k');
    const err = await rejectsWithCode(pipeline.send(URL_A, GET, 'k'), 'throttled');
    assert.equal((err as ThrottledError).retryAfter, NOW + 120_000);
    mock.timers.tick(120_000);
    assert.equal((await pipeline.send(URL_A, GET, 'k')).status, 200);
  });

  test('a huge Retry-After is bounded to MAX_THROTTLE_MS', async () => {
    const { pipeline } = setup(jsonResponse({}, 429, { 'retry-after': String(10 * 24 * 3600) }), jsonResponse({ ok: true }));
    await pipeline.send(URL_A, GET, 'k');
    const err = await rejectsWithCode(pipeline.send(URL_A, GET, 'k'), 'throttled');
    assert.equal((err as ThrottledError).retryAfter, NOW + MAX_THROTTLE_MS);
    mock.timers.tick(MAX_THROTTLE_MS);
    assert.equal((await pipeline.send(URL_A, GET, 'k')).status, 200);
  });

  test('a far-future HTTP date is bounded too', async () => {
    const { pipeline } = setup(jsonResponse({}, 503, { 'retry-after': 'Fri, 31 Dec 2100 23:59:59 GMT' }), jsonResponse({ ok: true }));
    await pipeline.send(URL_A, GET, 'k');
    const err = await rejectsWithCode(pipeline.send(URL_A, GET, 'k'), 'throttled');
    assert.equal((err as ThrottledError).retryAfter, NOW + MAX_THROTTLE_MS);
  });

  for (const [label, response] of [
    ['a GET answered 429 without Retry-After', () => jsonResponse({}, 429)],
    ['a GET answered 503 with an unparseable Retry-After', () => jsonResponse({}, 503, { 'retry-after': 'later' })],
    ['a 503 with a Retry-After date in the past', () => jsonResponse({}, 503, { 'retry-after': new Date(NOW - 1000).toUTCString() })],
    ['a 429 with Retry-After 0', () => jsonResponse({}, 429, { 'retry-after': '0' })],
    ['a 400 with Retry-After', () => jsonResponse({ error: 'invalid_grant' }, 400, { 'retry-after': '30' })],
    ['a 200 with Retry-After', () => jsonResponse({}, 200, { 'retry-after': '30' })],
  ] as const) {
    test(`${label} does not throttle`, async () => {
      const { fake, pipeline } = setup(response(), jsonResponse({ ok: true }));
      await pipeline.send(URL_A, GET, 'k');
      assert.equal((await pipeline.send(URL_A, GET, 'k')).status, 200);
      assert.equal(fake.requests.length, 2);
    });
  }

  test('without a throttle key nothing is remembered', async () => {
    const { fake, cache, pipeline } = setup(jsonResponse({}, 429, { 'retry-after': '30' }), jsonResponse({ ok: true }));
    await pipeline.send(URL_A, GET);
    assert.equal(cache.size, 0);
    await pipeline.send(URL_A, GET, 'k');
    assert.equal(fake.requests.length, 2);
  });

  test('throttle state lives in the HttpCache: another pipeline on the same cache honours it', async () => {
    const { fake, cache, pipeline } = setup(jsonResponse({}, 429, { 'retry-after': '30' }), jsonResponse({ ok: true }));
    await pipeline.send(URL_A, GET, 'k');
    assert.deepEqual(cache.get('throttle:k'), { until: NOW + 30_000 });
    const other = new HttpPipeline(fake.fetch, cache);
    await rejectsWithCode(other.send(URL_A, GET, 'k'), 'throttled');
    assert.equal(fake.requests.length, 1);
  });

  for (const [label, response] of [
    ['a 429 without Retry-After (Entra’s plain text)', () => textResponse('Too Many Requests', 429)],
    ['a 500 without Retry-After', () => textResponse('<html>error</html>', 500)],
    ['a 503 with an unparseable Retry-After', () => jsonResponse({}, 503, { 'retry-after': 'later' })],
  ] as const) {
    test(`a POST answered ${label} throttles for DEFAULT_THROTTLE_MS (MSAL for Python's 5 s)`, async () => {
      const { fake, pipeline } = setup(response(), jsonResponse({ ok: true }));
      await pipeline.send(URL_A, POST, 'k');
      assert.equal(pipeline.throttledUntil('k'), NOW + DEFAULT_THROTTLE_MS);
      const err = await rejectsWithCode(pipeline.send(URL_A, POST, 'k'), 'throttled');
      assert.equal((err as ThrottledError).retryAfter, NOW + DEFAULT_THROTTLE_MS);
      mock.timers.tick(DEFAULT_THROTTLE_MS);
      assert.equal(pipeline.throttledUntil('k'), undefined);
      assert.equal((await pipeline.send(URL_A, POST, 'k')).status, 200);
      assert.equal(fake.requests.length, 2);
    });
  }

  test('a malformed cache entry is ignored', async () => {
    const { fake, cache, pipeline } = setup(jsonResponse({ ok: true }));
    cache.set('throttle:k', { until: 'tomorrow' });
    await pipeline.send(URL_A, GET, 'k');
    cache.set('throttle:k', null);
    await pipeline.send(URL_A, GET, 'k');
    assert.equal(fake.requests.length, 2);
  });
});
