import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passwordParams } from '../../../../src/core/grants/password.js';

test('passwordParams: the resource owner password grant with client_info', () => {
  assert.deepEqual(passwordParams('user@contoso.com', 'p@ss word', ['User.Read', 'openid'], '{"c":1}'), {
    grant_type: 'password',
    username: 'user@contoso.com',
    password: 'p@ss word',
    scope: 'User.Read openid',
    claims: '{"c":1}',
    client_info: '1',
  });
});
