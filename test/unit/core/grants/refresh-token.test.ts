import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isInteractionRequired, ServerError } from '../../../../src/core/errors.js';
import { processRefreshTokenResponse, REFRESH_TOKEN_GRANT, refreshTokenGrantRequest } from '../../../../src/core/grants/refresh-token.js';
import { jsonResponse, rejectsWithCode } from '../fakes.js';
import { CLIENT_ID, formOf, headerOf, OIDC_TOKEN_ENDPOINT, oidcAuthority, publicClient, TOKEN_ENDPOINT, userToken } from './token-endpoint.js';

describe('refreshTokenGrantRequest', () => {
  test('posts the refresh token, scope, claims and client_info to the token endpoint, routed by the account', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse(userToken));
    await refreshTokenGrantRequest(client, authority, 'the-rt', ['User.Read', 'offline_access'], { correlationId: 'corr', claims: '{"c":1}', homeAccountId: 'uid.utid' });
    assert.equal(fake.requests[0]?.init.method, 'POST');
    assert.deepEqual(formOf(fake.requests[0]), {
      grant_type: 'refresh_token',
      refresh_token: 'the-rt',
      scope: 'User.Read offline_access',
      claims: '{"c":1}',
      client_info: '1',
      client_id: CLIENT_ID,
    });
    assert.equal(headerOf(fake.requests[0], 'X-AnchorMailbox'), 'Oid:uid@utid');
    assert.equal(headerOf(fake.requests[0], 'client-request-id'), 'corr');
  });

  test('sends no routing hint for an account id that is not <uid>.<utid>, and no empty claims', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse(userToken));
    await refreshTokenGrantRequest(client, authority, 'the-rt', ['User.Read'], { correlationId: 'corr', homeAccountId: 'oidc-sub' });
    assert.equal(headerOf(fake.requests[0], 'X-AnchorMailbox'), undefined);
    assert.equal('claims' in formOf(fake.requests[0]), false);
  });

  test('sends no routing hint to an issuer that is not Microsoft\'s, whatever the account id looks like', async () => {
    const { fake, client } = publicClient();
    fake.on(OIDC_TOKEN_ENDPOINT, jsonResponse(userToken));
    // A sub with a dot looks like Entra's <uid>.<utid>; in a browser the header would need a CORS preflight the issuer need not allow.
    await refreshTokenGrantRequest(client, oidcAuthority(), 'the-rt', ['openid'], { correlationId: 'corr', homeAccountId: 'jane.doe' });
    assert.equal(fake.requests.length, 1);
    assert.equal(headerOf(fake.requests[0], 'X-AnchorMailbox'), undefined);
    assert.equal(formOf(fake.requests[0]).refresh_token, 'the-rt');
  });

  test("adds MSAL's data, and refuses data naming a field the library sets, before sending", async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse(userToken));
    await refreshTokenGrantRequest(client, authority, 'the-rt', ['User.Read'], { correlationId: 'c', data: { token_type: 'ssh-cert', key_id: 'k1' } });
    assert.equal(formOf(fake.requests[0]).key_id, 'k1');
    const err = await rejectsWithCode(refreshTokenGrantRequest(client, authority, 'the-rt', ['User.Read'], { correlationId: 'c', data: { Refresh_Token: 'x' }, caller: 'acquireTokenSilent' }), 'invalid_argument');
    assert.match(err.message, /^acquireTokenSilent: data may not set Refresh_Token/);
    assert.equal(fake.requests.length, 1);
  });
});

describe('processRefreshTokenResponse', () => {
  test('returns the checked response and the grant', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse({ access_token: 'at', refresh_token: 'rt2' }));
    const result = await processRefreshTokenResponse(client, authority, await refreshTokenGrantRequest(client, authority, 'rt', ['User.Read'], { correlationId: 'c' }));
    assert.equal(result.grantType, REFRESH_TOKEN_GRANT);
    assert.equal(result.response.refresh_token, 'rt2');
    assert.equal(result.response.token_type, 'Bearer', 'the default token type');
    assert.equal(result.idTokenClaims, undefined);
  });

  test('a refusal is a ServerError of the refresh grant, which means interaction is required', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse({ error: 'invalid_grant', error_description: 'AADSTS70008: expired' }, 400));
    const err = await rejectsWithCode(processRefreshTokenResponse(client, authority, await refreshTokenGrantRequest(client, authority, 'rt', ['User.Read'], { correlationId: 'c' })), 'server_error');
    assert.ok(err instanceof ServerError);
    assert.equal(err.grantType, 'refresh_token');
    assert.equal(err.status, 400);
    assert.equal(isInteractionRequired(err), true);
  });

  test('a success without access_token is an invalid_response', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse({ token_type: 'Bearer', refresh_token: 'rt2' }));
    const sent = await refreshTokenGrantRequest(client, authority, 'rt', ['User.Read'], { correlationId: 'c' });
    const err = await rejectsWithCode(processRefreshTokenResponse(client, authority, sent), 'invalid_response');
    assert.match(err.message, /access_token/);
  });
});
