/**
 * Property test of merging client capabilities into a claims challenge: the challenge comes from
 * a resource's WWW-Authenticate header, so it is outside input. Any challenge gives JSON that
 * keeps the challenge's members and carries the capabilities, or `invalid_argument`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { mergeClaims } from '../../../src/core/claims.js';
import { anyJson, anyString, hostileValue, mutatedDocument, runOptions, typedOrValue } from './property.js';

const CAE = { access_token: { nbf: { essential: true, value: '1604106651' } } };

describe('mergeClaims: properties', () => {
  test('any challenge merges into JSON carrying the capabilities, or is invalid_argument', () => {
    const challenge = fc.oneof(
      mutatedDocument(CAE).map((doc) => JSON.stringify(doc)),
      fc.record({ access_token: hostileValue }).map((doc) => JSON.stringify(doc)),
      anyJson.map((value) => JSON.stringify(value) ?? ''),
      anyString,
    );
    fc.assert(
      fc.property(challenge, (text) => {
        const merged = typedOrValue(() => mergeClaims(['CP1'], text), ['invalid_argument']);
        if (merged === undefined) return;
        const claims = JSON.parse(merged!) as { access_token: { xms_cc: { values: string[] } } };
        assert.deepEqual(claims.access_token.xms_cc, { values: ['CP1'] });
        const original: unknown = text === '' ? {} : JSON.parse(text);
        for (const name of Object.keys(original as object)) assert.ok(Object.hasOwn(claims, name), `keeps ${name}`);
      }),
      runOptions(7519_1),
    );
    assert.equal(mergeClaims(['CP1'], JSON.stringify(CAE)), JSON.stringify({ access_token: { ...CAE.access_token, xms_cc: { values: ['CP1'] } } }));
  });
});
