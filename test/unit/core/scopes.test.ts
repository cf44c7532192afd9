import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decorateScopes,
  isOpenIdScope,
  parseScopeString,
  RESERVED_SCOPES,
  ScopeSet,
  searchScopesFor,
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

describe('ScopeSet', () => {
  test('holds each scope once whatever its case, in the spelling and order first given', () => {
    const set = ScopeSet.of(['User.Read', 'mail.read', 'USER.READ', 'Mail.Read', 'openid']);
    assert.deepEqual(set.toArray(), ['User.Read', 'mail.read', 'openid']);
    assert.equal(set.size, 3);
    assert.equal(set.has('user.read'), true);
    assert.equal(set.has('MAIL.READ'), true);
    assert.equal(set.has('Files.Read'), false);
  });

  test('reads items that hold several space-separated scopes, dropping empty parts', () => {
    assert.deepEqual(ScopeSet.of(['  a  b ', 'c\td', '', 'B']).toArray(), ['a', 'b', 'c', 'd']);
  });

  test('the target string is sorted as MSAL for Python sorts it, and reads back to the same set', () => {
    const granted = 'profile https://graph.microsoft.com/User.Read openid email https://graph.microsoft.com/Mail.Read';
    const target = ScopeSet.fromTarget(granted).toTarget();
    assert.equal(target, 'email https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read openid profile');
    assert.equal(ScopeSet.fromTarget(target).toTarget(), target);
    // Case-sensitive order of the kept spellings: upper case sorts first.
    assert.equal(ScopeSet.of(['b', 'A', 'a', 'C']).toTarget(), 'A C b');
  });

  test('a target that is not a string (a damaged entry) holds no scope', () => {
    for (const target of [undefined, null, 42, ['openid']]) assert.equal(ScopeSet.fromTarget(target).size, 0);
  });

  test('containsAll ignores case and holds for an empty wanted set', () => {
    const granted = ScopeSet.fromTarget('Mail.Read openid User.Read');
    assert.equal(granted.containsAll(ScopeSet.of(['user.read', 'MAIL.READ'])), true);
    assert.equal(granted.containsAll(ScopeSet.of(['User.Read', 'Files.Read'])), false);
    assert.equal(granted.containsAll(ScopeSet.of([])), true);
    assert.equal(ScopeSet.of([]).containsAll(ScopeSet.of(['openid'])), false);
  });

  test('a token replaces another when they share a resource scope; shared OpenID scopes alone do not count', () => {
    const read = ScopeSet.fromTarget('email openid profile User.Read');
    assert.equal(read.replaces(ScopeSet.fromTarget('email openid profile Mail.Read')), false);
    assert.equal(read.replaces(ScopeSet.fromTarget('USER.READ Mail.Read')), true);
    assert.equal(read.replaces(ScopeSet.fromTarget('openid profile')), false);
  });

  test('a token for OpenID scopes alone replaces any token that holds one of them', () => {
    const userinfo = ScopeSet.fromTarget('openid profile');
    assert.equal(userinfo.replaces(ScopeSet.fromTarget('openid')), true);
    assert.equal(userinfo.replaces(ScopeSet.fromTarget('User.Read openid')), true);
    assert.equal(userinfo.replaces(ScopeSet.fromTarget('User.Read')), false);
  });

  test('without drops scopes in any case and keeps the order of the rest', () => {
    assert.deepEqual(ScopeSet.of(['User.Read', 'openid', 'offline_access']).without(ScopeSet.of(['OFFLINE_ACCESS'])).toArray(), ['User.Read', 'openid']);
  });
});

describe('the OpenID scopes', () => {
  test('the reserved ones are MSAL for Python’s: openid, profile, offline_access', () => {
    assert.deepEqual([...RESERVED_SCOPES], ['openid', 'profile', 'offline_access']);
  });

  test('email is an OpenID scope, in any case, but not a reserved one', () => {
    for (const scope of ['openid', 'Profile', 'OFFLINE_ACCESS', 'Email']) assert.equal(isOpenIdScope(scope), true, scope);
    for (const scope of ['User.Read', 'openid2', 'address']) assert.equal(isOpenIdScope(scope), false, scope);
    assert.deepEqual(decorateScopes(['email'], CLIENT_ID), ['email', 'openid', 'profile', 'offline_access']);
  });
});

describe('searchScopesFor', () => {
  test('asks for the caller’s scopes as given', () => {
    assert.deepEqual(searchScopesFor(['User.Read']), ['User.Read']);
  });

  test('no scopes asks for the token of openid profile, less the scopes the app excludes', () => {
    assert.deepEqual(searchScopesFor([]), ['openid', 'profile']);
    assert.deepEqual(searchScopesFor([], ['Profile']), ['openid']);
    assert.deepEqual(searchScopesFor([], ['openid', 'profile']), ['openid']);
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

describe('parseScopeString', () => {
  test('splits on white space and drops empty parts, keeping order and duplicates', () => {
    assert.deepEqual(parseScopeString(' openid  profile\tUser.Read openid '), ['openid', 'profile', 'User.Read', 'openid']);
    assert.deepEqual(parseScopeString(''), []);
  });
});
