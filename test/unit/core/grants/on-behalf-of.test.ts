import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServerError } from '../../../../src/core/errors.js';
import { JWT_BEARER_GRANT, onBehalfOfGrantRequest, processOnBehalfOfResponse } from '../../../../src/core/grants/on-behalf-of.js';
import { jsonResponse, rejectsWithCode } from '../fakes.js';
import { CLIENT_ID, formOf, SECRET, TOKEN_ENDPOINT, tokenEndpoint, userToken } from './token-endpoint.js';

describe('onBehalfOfGrantRequest', () => {
  test('posts a JWT bearer grant carrying the assertion, with requested_token_use and the client secret', async () => {
    const { fake, client, authority } = tokenEndpoint();
    fake.on(TOKEN_ENDPOINT, jsonResponse(userToken));
    await onBehalfOfGrantRequest(client, authority, 'the-incoming-token', ['api://downstream/.default', 'openid'], { correlationId: 'c' });
    assert.deepEqual(formOf(fake.requests[0]), {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: 'the-incoming-token',
      requested_token_use: 'on_behalf_of',
      scope: 'api://downstream/.default openid',
      client_info: '1',
      client_id: CLIENT_ID,
      client_secret: SECRET,
    });
  });
});

describe('processOnBehalfOfResponse', () => {
  test('a consent refusal is a ServerError of the jwt-bearer grant, carrying the claims to ask for', async () => {
    const { fake, client, authority } = tokenEndpoint();
    fake.on(TOKEN_ENDPOINT, jsonResponse({ error: 'interaction_required', claims: '{"access_token":{"polids":{}}}' }, 400));
    const sent = await onBehalfOfGrantRequest(client, authority, 'assertion', ['api://x/.default'], { correlationId: 'c' });
    const err = await rejectsWithCode(processOnBehalfOfResponse(client, authority, sent), 'server_error');
    assert.ok(err instanceof ServerError);
    assert.equal(err.grantType, JWT_BEARER_GRANT);
    assert.equal(err.claims, '{"access_token":{"polids":{}}}');
  });

  test('a body that is not a JSON object is an invalid_response', async () => {
    const { fake, client, authority } = tokenEndpoint();
    fake.on(TOKEN_ENDPOINT, jsonResponse(['not', 'an', 'object']));
    const sent = await onBehalfOfGrantRequest(client, authority, 'assertion', ['api://x/.default'], { correlationId: 'c' });
    await rejectsWithCode(processOnBehalfOfResponse(client, authority, sent), 'invalid_response');
  });
});
