import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientCredentialsParams } from '../../../../src/core/grants/client-credentials.js';

test('clientCredentialsParams: grant_type, space-joined scope, claims', () => {
  assert.deepEqual(clientCredentialsParams(['https://graph.microsoft.com/.default'], '{"a":1}'), {
    grant_type: 'client_credentials',
    scope: 'https://graph.microsoft.com/.default',
    claims: '{"a":1}',
  });
  assert.deepEqual(clientCredentialsParams(['a', 'b']), { grant_type: 'client_credentials', scope: 'a b', claims: undefined });
});
