/**
 * Property tests of the HTTP seam's readers of outside input: Retry-After and Content-Length
 * headers, response bodies of any bytes, and the throttle and document entries of the http cache
 * (which the caller persists, so it comes back as whatever was stored).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { getCachedJson } from '../../../src/core/authority.js';
import { HttpPipeline, MAX_THROTTLE_MS, parseRetryAfter, readJsonObject } from '../../../src/core/http.js';
import { anyJson, anyString, hostileValue, runOptions, typedOrValueAsync } from './property.js';

const NOW = Date.UTC(2026, 0, 1);
/** Header values a fetch Response can carry (no NUL, CR or LF). */
const headerValue = anyString.filter((text) => /^[\t\x20-\x7e\x80-\xff]*$/.test(text));
const retryAfter = fc.oneof(
  headerValue,
  fc.nat().map(String),
  fc.constantFrom('9'.repeat(400), '-5', '1e9', ' 30 ', 'Wed, 21 Oct 2015 07:28:00 GMT', 'Fri, 31 Dec 275760 23:59:59 GMT', ''),
  fc.date({ noInvalidDate: true }).map((date) => date.toUTCString()),
);

describe('http: properties', () => {
  test('parseRetryAfter gives a number or undefined for any header', () => {
    fc.assert(
      fc.property(fc.option(retryAfter, { nil: null }), (value) => {
        const until = parseRetryAfter(value, NOW);
        assert.ok(until === undefined || typeof until === 'number');
      }),
      runOptions(9110_1),
    );
  });

  test('a throttling answer with any Retry-After waits at most an hour; any stored throttle entry is read safely', async () => {
    await fc.assert(
      fc.asyncProperty(retryAfter, fc.oneof(hostileValue, fc.record({ until: hostileValue })), async (header, stored) => {
        const cache = new Map<string, unknown>([['throttle:k', stored]]);
        const pipeline = new HttpPipeline(async () => new Response('{}', { status: 429, headers: { 'retry-after': header } }), cache);
        const started = Date.now();
        const response = await typedOrValueAsync(() => pipeline.send('https://idp.example/token', { method: 'POST', headers: {} }, 'k'), ['throttled']);
        if (response) await response.text();
        const entry = cache.get('throttle:k') as { until?: unknown } | undefined;
        if (response && entry !== stored) {
          assert.ok(typeof entry?.until === 'number' && entry.until <= started + MAX_THROTTLE_MS + 1000, 'an hour at most');
        }
      }),
      runOptions(9110_2),
    );
  });

  test('any body bytes and Content-Length give a JSON object or a typed error', async () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), anyJson.map((value) => new TextEncoder().encode(JSON.stringify(value) ?? '')));
    const length = fc.oneof(fc.constant(undefined), fc.nat().map(String), fc.constantFrom('-1', 'abc', '1e99', '99999999999'), headerValue);
    await fc.assert(
      fc.asyncProperty(bytes, length, async (body, contentLength) => {
        const headers = new Headers(contentLength === undefined ? {} : { 'content-length': contentLength });
        const response = { status: 200, headers, body: new Response(body).body, text: async () => '' };
        const doc = await typedOrValueAsync(() => readJsonObject(response, 'document'), ['invalid_response', 'response_too_large']);
        if (doc) assert.ok(typeof doc === 'object' && doc !== null && !Array.isArray(doc));
      }),
      runOptions(9110_3),
    );
  });

  test('any stored document entry of the http cache is served only when fresh and an object, else fetched again', async () => {
    const url = 'https://idp.example/.well-known/openid-configuration';
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileValue, fc.record({ expiresAt: hostileValue, value: hostileValue })), async (stored) => {
        const cache = new Map<string, unknown>([[`json:${url}`, stored]]);
        const pipeline = new HttpPipeline(async () => Response.json({ issuer: 'https://idp.example' }), cache);
        const doc = await typedOrValueAsync(() => getCachedJson(pipeline, cache, url, 'discovery'));
        assert.ok(doc !== undefined && typeof doc === 'object' && doc !== null && !Array.isArray(doc), 'a usable document');
      }),
      runOptions(9110_4),
    );
  });
});
