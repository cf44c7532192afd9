import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServerError } from '../../../../src/core/errors.js';
import { passwordGrantRequest, processPasswordResponse } from '../../../../src/core/grants/password.js';
import { jsonResponse, rejectsWithCode, textResponse } from '../fakes.js';
import { CLIENT_ID, formOf, headerOf, OIDC_TOKEN_ENDPOINT, oidcAuthority, publicClient, TOKEN_ENDPOINT, userToken } from './token-endpoint.js';

/** The form of a password grant for user@contoso.com, as a public client sends it. */
const passwordForm = { grant_type: 'password', username: 'user@contoso.com', password: 'p@ss word', scope: 'User.Read openid', claims: '{"c":1}', client_info: '1', client_id: CLIENT_ID };

describe('passwordGrantRequest', () => {
  test('posts the credentials with client_info, routed by the username', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse(userToken));
    await passwordGrantRequest(client, authority, 'user@contoso.com', 'p@ss word', ['User.Read', 'openid'], { correlationId: 'c', claims: '{"c":1}' });
    assert.deepEqual(formOf(fake.requests[0]), passwordForm);
    assert.equal(headerOf(fake.requests[0], 'X-AnchorMailbox'), 'upn:user@contoso.com');
    assert.equal(headerOf(fake.requests[0], 'content-type'), 'application/x-www-form-urlencoded;charset=utf-8');
  });

  test('sends no routing hint to an issuer that is not Microsoft\'s', async () => {
    const { fake, client } = publicClient();
    fake.on(OIDC_TOKEN_ENDPOINT, jsonResponse(userToken));
    await passwordGrantRequest(client, oidcAuthority(), 'user@contoso.com', 'p@ss word', ['openid'], { correlationId: 'c' });
    assert.equal(fake.requests.length, 1);
    assert.equal(formOf(fake.requests[0]).username, 'user@contoso.com');
    assert.equal(headerOf(fake.requests[0], 'X-AnchorMailbox'), undefined);
  });

  test('refuses data that would replace the password', async () => {
    const { fake, client, authority } = publicClient();
    await rejectsWithCode(passwordGrantRequest(client, authority, 'u', 'p', ['User.Read'], { correlationId: 'c', data: { password: 'other' } }), 'invalid_argument');
    assert.equal(fake.requests.length, 0);
  });
});

describe('processPasswordResponse', () => {
  test('a refusal is a ServerError of the password grant with the server fields', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse({ error: 'invalid_grant', error_codes: [50126], suberror: 'bad_token' }, 400));
    const sent = await passwordGrantRequest(client, authority, 'u', 'wrong', ['User.Read'], { correlationId: 'c' });
    const err = await rejectsWithCode(processPasswordResponse(client, authority, sent), 'server_error');
    assert.ok(err instanceof ServerError);
    assert.equal(err.grantType, 'password');
    assert.deepEqual(err.errorCodes, [50126]);
    assert.equal(err.suberror, 'bad_token');
  });

  test('an error page without an OAuth body is an invalid_response naming the status', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, textResponse('<html>Bad gateway</html>', 502));
    const sent = await passwordGrantRequest(client, authority, 'u', 'p', ['User.Read'], { correlationId: 'c' });
    const err = await processPasswordResponse(client, authority, sent).then(
      () => assert.fail('resolved'),
      (e: unknown) => e as { code: string; message: string },
    );
    // A 5xx throttles: the answer says how long to wait rather than only that it failed.
    assert.equal(err.code, 'throttled');
    assert.match(err.message, /HTTP 502/);
  });
});
