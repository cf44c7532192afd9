import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JWT_BEARER_GRANT, onBehalfOfParams } from '../../../../src/core/grants/on-behalf-of.js';

test('onBehalfOfParams: a JWT bearer grant with requested_token_use=on_behalf_of', () => {
  assert.equal(JWT_BEARER_GRANT, 'urn:ietf:params:oauth:grant-type:jwt-bearer');
  assert.deepEqual(onBehalfOfParams('user-assertion', ['api://x/.default', 'openid']), {
    grant_type: JWT_BEARER_GRANT,
    assertion: 'user-assertion',
    requested_token_use: 'on_behalf_of',
    scope: 'api://x/.default openid',
    claims: undefined,
    client_info: '1',
  });
});
