import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServerError } from '../../../../src/core/errors.js';
import { clientCredentialsForm, clientCredentialsGrantRequest, processClientCredentialsResponse } from '../../../../src/core/grants/client-credentials.js';
import { appToken, jsonResponse, rejectsWithCode, throwsWithCode } from '../fakes.js';
import { CLIENT_ID, formOf, headerOf, SECRET, TOKEN_ENDPOINT, tokenEndpoint } from './token-endpoint.js';

const GRAPH = 'https://graph.microsoft.com/.default';

describe('clientCredentialsGrantRequest', () => {
  test('posts the grant and scope with the client secret, and no client_info (no user)', async () => {
    const { fake, client, authority } = tokenEndpoint();
    fake.on(TOKEN_ENDPOINT, jsonResponse(appToken));
    await clientCredentialsGrantRequest(client, authority, [GRAPH], { correlationId: 'c' });
    assert.deepEqual(formOf(fake.requests[0]), { grant_type: 'client_credentials', scope: GRAPH, client_id: CLIENT_ID, client_secret: SECRET });
    assert.equal(headerOf(fake.requests[0], 'X-AnchorMailbox'), undefined);
    assert.equal(headerOf(fake.requests[0], 'x-client-sku'), 'MSAL.TypeScript');
  });

  test('goes to the token endpoint it is given (a regional one)', async () => {
    const { fake, client, authority } = tokenEndpoint();
    const regional = 'https://westus2.login.microsoft.com/contoso/oauth2/v2.0/token';
    fake.on(regional, jsonResponse(appToken));
    await clientCredentialsGrantRequest(client, authority, [GRAPH], { correlationId: 'c', tokenEndpoint: regional });
    assert.equal(fake.requests[0]?.url, regional);
  });

  test('the form refuses data naming the client authentication, before anything is sent', () => {
    const err = throwsWithCode(() => clientCredentialsForm([GRAPH], { data: { client_secret: 'x' }, caller: 'acquireTokenForClient' }), 'invalid_argument');
    assert.match(err.message, /^acquireTokenForClient: data may not set client_secret/);
  });
});

describe('processClientCredentialsResponse', () => {
  test('returns the app token and its grant', async () => {
    const { fake, client, authority } = tokenEndpoint();
    fake.on(TOKEN_ENDPOINT, jsonResponse(appToken));
    const result = await processClientCredentialsResponse(client, authority, await clientCredentialsGrantRequest(client, authority, [GRAPH], { correlationId: 'c' }));
    assert.equal(result.grantType, 'client_credentials');
    assert.equal(result.response.access_token, 'app-token');
  });

  test('a refused client is a ServerError of the grant', async () => {
    const { fake, client, authority } = tokenEndpoint();
    fake.on(TOKEN_ENDPOINT, jsonResponse({ error: 'invalid_client', error_description: 'AADSTS7000215: bad secret' }, 401));
    const sent = await clientCredentialsGrantRequest(client, authority, [GRAPH], { correlationId: 'c' });
    const err = await rejectsWithCode(processClientCredentialsResponse(client, authority, sent), 'server_error');
    assert.ok(err instanceof ServerError && err.error === 'invalid_client' && err.grantType === 'client_credentials');
  });

  test('a 429 with Retry-After is a ThrottledError, and the next request waits without being sent', async () => {
    const { fake, client, authority } = tokenEndpoint();
    fake.on(TOKEN_ENDPOINT, jsonResponse({ error: 'temporarily_unavailable' }, 429, { 'retry-after': '60' }));
    const sent = await clientCredentialsGrantRequest(client, authority, [GRAPH], { correlationId: 'c' });
    assert.ok(sent.retryAfter !== undefined && sent.retryAfter > Date.now() + 50_000);
    await rejectsWithCode(processClientCredentialsResponse(client, authority, sent), 'server_error');
    await rejectsWithCode(clientCredentialsGrantRequest(client, authority, [GRAPH], { correlationId: 'c' }), 'throttled');
    assert.equal(fake.count(TOKEN_ENDPOINT), 1);
  });
});
