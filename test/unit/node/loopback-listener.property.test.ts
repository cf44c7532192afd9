/**
 * Property tests of what the loopback listener makes of a request: any web page open in the
 * browser can send one. Whatever the Host, target, method and query, the listener answers
 * without throwing, and accepts only a GET on its path with a loopback Host, an authorization
 * response (code or error) with the expected state and no repeated parameter.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { judgeRequest } from '../../../src/node/loopback-listener.js';
import { anyString, runOptions } from '../core/property.js';

const PORT = 51234;
const HOSTS: ReadonlySet<string> = new Set([`127.0.0.1:${PORT}`, `localhost:${PORT}`]);
const PATH = '/callback';
const STATE = 'state-1';

/** Query parameters: the response's names, nasty names, and garbage, with values of any kind. */
const param = fc.record({
  name: fc.oneof(fc.constantFrom('code', 'state', 'error', 'error_description', 'iss', '__proto__', 'constructor', 'hasOwnProperty'), anyString),
  value: fc.oneof(fc.constantFrom(STATE, 'the-code', 'access_denied', ''), anyString),
});
const encoded = (text: string) => {
  try {
    return encodeURIComponent(text);
  } catch {
    return text; // lone surrogates: sent raw, as a hostile page may
  }
};
const query = fc.oneof(
  fc.array(param, { maxLength: 5 }).map((params) => params.map(({ name, value }) => `${encoded(name)}=${encoded(value)}`).join('&')),
  fc.array(param, { maxLength: 5 }).map((params) => params.map(({ name, value }) => `${name}=${value}`).join('&')),
  fc.string({ unit: fc.constantFrom(...'%&=+?#;/code=state-1'), maxLength: 40 }),
  anyString,
);
const request = fc.record({
  host: fc.oneof(fc.constantFrom(`127.0.0.1:${PORT}`, `LOCALHOST:${PORT}`, `127.0.0.1:${PORT + 1}`, 'evil.example', '127.0.0.1', undefined), anyString),
  target: fc.oneof(
    query.map((q) => `${PATH}?${q}`),
    fc.tuple(fc.constantFrom(PATH, '/', `${PATH}/`, '/CALLBACK', `http://127.0.0.1:${PORT}${PATH}`, '*', ''), query).map(([path, q]) => `${path}?${q}`),
    anyString,
  ),
  method: fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS', 'get'),
});

describe('the loopback listener reading requests: properties', () => {
  test('any request is answered; only a well-formed response with the expected state is accepted', () => {
    fc.assert(
      fc.property(request, ({ host, target, method }) => {
        const verdict = judgeRequest({ headers: host === undefined ? {} : { host }, url: target, method }, PATH, HOSTS, STATE);
        if (verdict.kind === 'reject') {
          assert.ok(verdict.status >= 400 && verdict.status < 500);
          return;
        }
        assert.ok(HOSTS.has(host!.toLowerCase()));
        assert.equal(method, 'GET');
        assert.ok(target.startsWith(`${PATH}?`) || target === PATH);
        const { params } = verdict;
        assert.equal(params.state, STATE);
        assert.ok(Object.hasOwn(params, 'code') || Object.hasOwn(params, 'error'));
        for (const value of Object.values(params)) assert.equal(typeof value, 'string');
        const names = [...new URLSearchParams(target.slice(target.indexOf('?') + 1)).keys()];
        assert.equal(new Set(names).size, names.length, 'no parameter repeats');
        assert.equal(Object.getPrototypeOf(params), Object.prototype);
      }),
      runOptions(8252),
    );
  });

  test('the real redirect is accepted', () => {
    const verdict = judgeRequest({ headers: { host: `127.0.0.1:${PORT}` }, url: `${PATH}?code=c&state=${STATE}&iss=x`, method: 'GET' }, PATH, HOSTS, STATE);
    assert.deepEqual(verdict, { kind: 'accept', params: { code: 'c', state: STATE, iss: 'x' } });
  });
});
