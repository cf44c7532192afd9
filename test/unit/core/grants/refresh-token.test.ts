import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refreshTokenParams } from '../../../../src/core/grants/refresh-token.js';

test('refreshTokenParams: the refresh-token grant with client_info', () => {
  assert.deepEqual(refreshTokenParams('rt', ['User.Read', 'offline_access']), {
    grant_type: 'refresh_token',
    refresh_token: 'rt',
    scope: 'User.Read offline_access',
    claims: undefined,
    client_info: '1',
  });
});
