import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  containsAllScopes,
  decorateScopes,
  parseScopeString,
  RESERVED_SCOPES,
  uniqueScopes,
  validateScopes,
} from '../../../src/core/scopes.js';
import { throwsWithCode } from './fakes.js';

const CLIENT_ID = '11111111-2222-3333-4444-555555555555';

describe('decorateScopes', () => {
  test('adds openid, profile and offline_access after the caller scopes', () => {
    assert.deepEqual(decorateScopes(['User.Read'], CLIENT_ID), ['User.Read', 'openid', 'profile', 'offline_access']);
  });

  test('an empty list yields the reserved scopes only', () => {
    assert.deepEqual(decorateScopes([], CLIENT_ID), [...RESERVED_SCOPES]);
  });

  for (const reserved of ['openid', 'profile', 'offline_access', 'OpenID', 'Offline_Access']) {
    test(`rejects the reserved scope ${reserved} passed by the caller (invalid_argument)`, () => {
      const err = throwsWithCode(() => decorateScopes(['User.Read', reserved], CLIENT_ID), 'invalid_argument');
      assert.match(err.message, new RegExp(reserved));
    });
  }

  test('the client id alone stands for the reserved scopes (a token for the app itself)', () => {
    assert.deepEqual(decorateScopes([CLIENT_ID], CLIENT_ID), ['openid', 'profile', 'offline_access']);
  });

  test('the client id repeated is still alone', () => {
    assert.deepEqual(decorateScopes([CLIENT_ID, CLIENT_ID], CLIENT_ID), ['openid', 'profile', 'offline_access']);
  });

  test('the client id together with another scope is rejected (invalid_argument)', () => {
    throwsWithCode(() => decorateScopes([CLIENT_ID, 'User.Read'], CLIENT_ID), 'invalid_argument');
  });

  test('excludeScopes removes offline_access', () => {
    assert.deepEqual(decorateScopes(['User.Read'], CLIENT_ID, ['offline_access']), ['User.Read', 'openid', 'profile']);
  });

  test('excludeScopes compares case-insensitively', () => {
    assert.deepEqual(decorateScopes(['User.Read'], CLIENT_ID, ['OFFLINE_ACCESS']), ['User.Read', 'openid', 'profile']);
  });

  test('excludeScopes applies to the client-id case too', () => {
    assert.deepEqual(decorateScopes([CLIENT_ID], CLIENT_ID, ['offline_access']), ['openid', 'profile']);
  });

  test('duplicates are removed case-insensitively, keeping the first spelling', () => {
    assert.deepEqual(decorateScopes(['User.Read', 'user.read', 'Mail.Read', 'USER.READ'], CLIENT_ID), [
      'User.Read',
      'Mail.Read',
      'openid',
      'profile',
      'offline_access',
    ]);
  });

  test('validates its input first (invalid_argument)', () => {
    throwsWithCode(() => decorateScopes('User.Read' as unknown as string[], CLIENT_ID), 'invalid_argument');
    throwsWithCode(() => decorateScopes(['User.Read Mail.Read'], CLIENT_ID), 'invalid_argument');
  });

  test('does not change the caller array', () => {
    const scopes = ['User.Read'];
    decorateScopes(scopes, CLIENT_ID, ['offline_access']);
    assert.deepEqual(scopes, ['User.Read']);
  });
});

describe('containsAllScopes', () => {
  test('true when every wanted scope is granted, ignoring case', () => {
    assert.equal(containsAllScopes(['User.Read', 'Mail.Read', 'openid'], ['user.read', 'MAIL.READ']), true);
  });

  test('false when one scope is missing', () => {
    assert.equal(containsAllScopes(['User.Read'], ['User.Read', 'Mail.Read']), false);
  });

  test('an empty wanted list is always contained', () => {
    assert.equal(containsAllScopes([], []), true);
    assert.equal(containsAllScopes(['a'], []), true);
  });

  test('accepts any iterable', () => {
    assert.equal(containsAllScopes(new Set(['A', 'B']), new Set(['b'])), true);
  });
});

describe('validateScopes', () => {
  test('returns a valid array unchanged', () => {
    const scopes = ['User.Read', 'https://graph.microsoft.com/.default'];
    assert.equal(validateScopes(scopes), scopes);
  });

  test('accepts an empty array', () => {
    assert.deepEqual(validateScopes([]), []);
  });

  for (const [label, value] of [
    ['a string', 'User.Read'],
    ['undefined', undefined],
    ['null', null],
    ['an object', { 0: 'User.Read' }],
  ] as const) {
    test(`rejects ${label} (invalid_argument)`, () => {
      throwsWithCode(() => validateScopes(value), 'invalid_argument');
    });
  }

  for (const [label, value] of [
    ['an empty string', ['']],
    ['a space', ['User.Read Mail.Read']],
    ['a tab', ['User.Read\t']],
    ['a newline', ['a\nb']],
    ['a number', [42]],
    ['null', [null]],
  ] as const) {
    test(`rejects an element with ${label} (invalid_argument)`, () => {
      throwsWithCode(() => validateScopes(value), 'invalid_argument');
    });
  }

  test('names the option in its message', () => {
    const err = throwsWithCode(() => validateScopes('x', 'excludeScopes'), 'invalid_argument');
    assert.match(err.message, /^excludeScopes /);
  });
});

describe('parseScopeString and uniqueScopes', () => {
  test('parseScopeString splits on spaces and drops empty parts', () => {
    assert.deepEqual(parseScopeString(' openid  profile User.Read '), ['openid', 'profile', 'User.Read']);
    assert.deepEqual(parseScopeString(''), []);
  });

  test('uniqueScopes keeps the first spelling', () => {
    assert.deepEqual(uniqueScopes(['a', 'B', 'A', 'b', 'c']), ['a', 'B', 'c']);
  });
});
