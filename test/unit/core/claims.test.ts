import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeClaims } from '../../../src/core/claims.js';
import { throwsWithCode } from './fakes.js';

const CHALLENGE = '{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}';

describe('mergeClaims', () => {
  test('nothing to merge gives undefined', () => {
    assert.equal(mergeClaims(undefined, undefined), undefined);
    assert.equal(mergeClaims([], undefined), undefined);
    assert.equal(mergeClaims([], ''), undefined);
  });

  test('a challenge without capabilities is passed through unchanged', () => {
    assert.equal(mergeClaims(undefined, CHALLENGE), CHALLENGE);
    assert.equal(mergeClaims([], CHALLENGE), CHALLENGE);
  });

  test('capabilities alone become access_token.xms_cc', () => {
    assert.deepEqual(JSON.parse(mergeClaims(['CP1'], undefined)!), { access_token: { xms_cc: { values: ['CP1'] } } });
    assert.deepEqual(JSON.parse(mergeClaims(['CP1', 'CP2'], '')!), { access_token: { xms_cc: { values: ['CP1', 'CP2'] } } });
  });

  test('capabilities are merged into the challenge, keeping its access_token claims', () => {
    assert.deepEqual(JSON.parse(mergeClaims(['CP1'], CHALLENGE)!), {
      access_token: { nbf: { essential: true, value: '1604106651' }, xms_cc: { values: ['CP1'] } },
    });
  });

  test('other top-level claims of the challenge are kept', () => {
    const challenge = '{"id_token":{"acrs":{"essential":true,"value":"c1"}}}';
    assert.deepEqual(JSON.parse(mergeClaims(['CP1'], challenge)!), {
      id_token: { acrs: { essential: true, value: 'c1' } },
      access_token: { xms_cc: { values: ['CP1'] } },
    });
  });

  test('the capabilities win over an xms_cc in the challenge', () => {
    const challenge = '{"access_token":{"xms_cc":{"values":["old"]}}}';
    assert.deepEqual(JSON.parse(mergeClaims(['CP1'], challenge)!), { access_token: { xms_cc: { values: ['CP1'] } } });
  });

  test('the caller capabilities array is copied, not shared', () => {
    const capabilities = ['CP1'];
    const merged = mergeClaims(capabilities, undefined)!;
    capabilities.push('CP2');
    assert.deepEqual(JSON.parse(merged).access_token.xms_cc.values, ['CP1']);
  });

  for (const [label, challenge] of [
    ['not JSON', '{access_token'],
    ['base64 rather than JSON', 'eyJhY2Nlc3NfdG9rZW4iOnt9fQ=='],
    ['a JSON array', '[1]'],
    ['JSON null', 'null'],
    ['a JSON string', '"claims"'],
    ['a JSON number', '5'],
  ] as const) {
    test(`a challenge that is ${label} is invalid_argument when capabilities are merged`, () => {
      throwsWithCode(() => mergeClaims(['CP1'], challenge), 'invalid_argument');
    });
  }
});
