import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeCacheChanges } from '../../../src/vscode/cache-merge.js';

const rt = (secret: string) => ({ credential_type: 'RefreshToken', secret });
const account = (username: string) => ({ authority_type: 'MSSTS', username });

function merge(base: object | undefined, ours: object, theirs: object): unknown {
  return JSON.parse(mergeCacheChanges(base && JSON.stringify(base), JSON.stringify(ours), JSON.stringify(theirs)));
}

describe('mergeCacheChanges', () => {
  test('their sign-in and our refresh both survive', () => {
    const base = { Account: { a: account('alice') }, RefreshToken: { a: rt('rt-1') } };
    const ours = { Account: { a: account('alice') }, RefreshToken: { a: rt('rt-2') } };
    const theirs = { Account: { a: account('alice'), b: account('bob') }, RefreshToken: { a: rt('rt-1'), b: rt('rt-b') } };
    assert.deepEqual(merge(base, ours, theirs), {
      Account: { a: account('alice'), b: account('bob') },
      RefreshToken: { a: rt('rt-2'), b: rt('rt-b') },
    });
  });

  test('a refresh token they rotated is not put back by our stale copy', () => {
    const base = { RefreshToken: { a: rt('rt-1') }, AccessToken: {} };
    const ours = { RefreshToken: { a: rt('rt-1') }, AccessToken: { x: { secret: 'at' } } };
    const theirs = { RefreshToken: { a: rt('rt-2') }, AccessToken: {} };
    assert.deepEqual(merge(base, ours, theirs), { RefreshToken: { a: rt('rt-2') }, AccessToken: { x: { secret: 'at' } } });
  });

  test('deletions on either side stay deleted', () => {
    const base = { Account: { a: account('alice'), b: account('bob') } };
    const ours = { Account: { b: account('bob') } }; // we signed alice out
    const theirs = { Account: { a: account('alice') } }; // they signed bob out
    assert.deepEqual(merge(base, ours, theirs), { Account: {} });
  });

  test('the same entry changed on both sides: ours wins', () => {
    const base = { RefreshToken: { a: rt('rt-1') } };
    assert.deepEqual(merge(base, { RefreshToken: { a: rt('ours') } }, { RefreshToken: { a: rt('theirs') } }), { RefreshToken: { a: rt('ours') } });
  });

  test('nothing stored before: ours is added to theirs', () => {
    assert.deepEqual(merge(undefined, { Account: { a: account('alice') } }, { Account: { b: account('bob') } }), {
      Account: { a: account('alice'), b: account('bob') },
    });
    assert.deepEqual(JSON.parse(mergeCacheChanges(undefined, JSON.stringify({ Account: { a: account('alice') } }), '')), { Account: { a: account('alice') } });
  });

  test('sections and values it does not know are kept from either side', () => {
    const base = { Account: {} };
    const ours = { Account: {}, FutureSection: { k: { v: 1 } } };
    const theirs = { Account: {}, version: 2 };
    assert.deepEqual(merge(base, ours, theirs), { Account: {}, version: 2, FutureSection: { k: { v: 1 } } });
  });
});

test('mergeCacheChanges: an unreadable base counts as empty; unreadable theirs throws SyntaxError', () => {
  assert.deepEqual(JSON.parse(mergeCacheChanges('garbage', '{"Account":{"a":1}}', '{"Account":{"b":2}}')), { Account: { a: 1, b: 2 } });
  assert.throws(() => mergeCacheChanges(undefined, '{}', 'garbage'), SyntaxError);
});
