import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { Authority } from '../../../../src/core/authority.js';
import { ServerError } from '../../../../src/core/errors.js';
import {
  type AuthCodeFlow,
  authorizationCodeForm,
  authorizationCodeGrantRequest,
  buildAuthorizationUrl,
  checkAuthorizationResponse,
  createAuthCodeFlow,
  LIBRARY_AUTHORIZATION_PARAMETERS,
  processAuthorizationCodeResponse,
} from '../../../../src/core/grants/authorization-code.js';
import { jsonResponse, rejectsWithCode, throwsWithCode } from '../fakes.js';
import { CLIENT_ID as TOKEN_CLIENT_ID, formOf, publicClient, TOKEN_ENDPOINT, userToken } from './token-endpoint.js';

const MS = 'https://login.microsoftonline.com';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT_ID = 'client-abc';
const SCOPE = ['User.Read', 'openid', 'profile', 'offline_access'];

function entraAuthority(issuer = `${MS}/{tenantid}/v2.0`, authorizationEndpoint = `${MS}/common/oauth2/v2.0/authorize`): Authority {
  return new Authority(
    `${MS}/common`,
    'AAD',
    'login.microsoftonline.com',
    'common',
    { issuer, authorization_endpoint: authorizationEndpoint, token_endpoint: `${MS}/common/oauth2/v2.0/token` },
    ['login.microsoftonline.com'],
  );
}

function query(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams);
}

describe('buildAuthorizationUrl', () => {
  test('sends the required parameters and leaves out the absent ones', () => {
    const url = buildAuthorizationUrl(entraAuthority(), CLIENT_ID, SCOPE, { redirectUri: 'http://localhost:1234', state: 's' });
    assert.ok(url.startsWith(`${MS}/common/oauth2/v2.0/authorize?`));
    assert.deepEqual(query(url), {
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: 'http://localhost:1234',
      scope: 'User.Read openid profile offline_access',
      state: 's',
    });
  });

  test('drops empty strings', () => {
    const url = buildAuthorizationUrl(entraAuthority(), CLIENT_ID, SCOPE, { prompt: '', loginHint: '', domainHint: '', claims: '', state: '' });
    const params = query(url);
    for (const name of ['prompt', 'login_hint', 'domain_hint', 'claims', 'state']) assert.equal(params[name], undefined, name);
  });

  test('maps every option to its wire name', () => {
    const url = buildAuthorizationUrl(entraAuthority(), CLIENT_ID, SCOPE, {
      redirectUri: 'https://app.example.com/cb',
      state: 'st',
      nonce: 'no',
      prompt: 'select_account',
      loginHint: 'user@contoso.com',
      domainHint: 'contoso.com',
      claims: '{"access_token":{"xms_cc":{"values":["CP1"]}}}',
      maxAge: 0,
      responseMode: 'form_post',
      codeChallenge: 'ch',
      extraQueryParameters: { dc: 'ESTS-PUB-WUS2', slice: 'testslice' },
    });
    assert.deepEqual(query(url), {
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: 'https://app.example.com/cb',
      scope: 'User.Read openid profile offline_access',
      state: 'st',
      nonce: 'no',
      prompt: 'select_account',
      login_hint: 'user@contoso.com',
      domain_hint: 'contoso.com',
      claims: '{"access_token":{"xms_cc":{"values":["CP1"]}}}',
      max_age: '0',
      response_mode: 'form_post',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
      dc: 'ESTS-PUB-WUS2',
      slice: 'testslice',
    });
  });

  test('code_challenge_method only comes with a code_challenge', () => {
    assert.equal(query(buildAuthorizationUrl(entraAuthority(), CLIENT_ID, SCOPE, { codeChallengeMethod: 'S256' })).code_challenge_method, undefined);
  });

  test('a query already on the authorization endpoint is kept (B2C ?p=)', () => {
    const authority = entraAuthority(undefined, 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?p=B2C_1_susi');
    const params = query(buildAuthorizationUrl(authority, CLIENT_ID, SCOPE, { state: 's' }));
    assert.equal(params.p, 'B2C_1_susi');
    assert.equal(params.state, 's');
  });

  test('values are URL-encoded', () => {
    const url = buildAuthorizationUrl(entraAuthority(), CLIENT_ID, ['a&b=c'], { loginHint: 'a+b@x.com' });
    assert.equal(query(url).scope, 'a&b=c');
    assert.equal(query(url).login_hint, 'a+b@x.com');
  });

  test('extra parameters never replace what the library sets: each such name is refused, whatever its case', () => {
    assert.deepEqual([...LIBRARY_AUTHORIZATION_PARAMETERS].sort(), [
      'claims', 'client_id', 'code_challenge', 'code_challenge_method', 'max_age', 'nonce', 'redirect_uri', 'response_mode', 'response_type', 'scope', 'state',
    ]);
    for (const name of [...LIBRARY_AUTHORIZATION_PARAMETERS, 'Redirect_URI', 'STATE']) {
      throwsWithCode(
        () => buildAuthorizationUrl(entraAuthority(), CLIENT_ID, SCOPE, { state: 's', codeChallenge: 'c', extraQueryParameters: { audience: 'a', [name]: 'x' } }),
        'invalid_argument',
      );
    }
    const err = throwsWithCode(() => buildAuthorizationUrl(entraAuthority(), CLIENT_ID, SCOPE, { extraQueryParameters: { audience: 'a', Nonce: 'n', scope: 's' } }), 'invalid_argument');
    assert.equal(err.message, 'extraQueryParameters may not set Nonce, scope: the library sets it');
  });

  test('an extra parameter that an option also sets is refused; alone it is sent', () => {
    for (const [name, option] of [['prompt', { prompt: 'login' }], ['login_hint', { loginHint: 'a@b' }], ['domain_hint', { domainHint: 'contoso.com' }], ['dpop_jkt', { dpopJkt: 'thumbprint' }]] as const) {
      throwsWithCode(() => buildAuthorizationUrl(entraAuthority(), CLIENT_ID, SCOPE, { ...option, extraQueryParameters: { [name]: 'x' } }), 'invalid_argument');
      assert.equal(query(buildAuthorizationUrl(entraAuthority(), CLIENT_ID, SCOPE, { extraQueryParameters: { [name]: 'x' } }))[name], 'x');
    }
  });

  test('extra parameters such as audience, resource, acr_values and ui_locales are sent as given', () => {
    const extra = { audience: 'https://api.example.com', resource: 'https://api.example.com/', acr_values: 'urn:mfa', ui_locales: 'fr-CA fr', constructor: 'c' };
    const params = query(buildAuthorizationUrl(entraAuthority(), CLIENT_ID, SCOPE, { state: 's', extraQueryParameters: extra }));
    for (const [name, value] of Object.entries(extra)) assert.equal(params[name], value, name);
    assert.equal(params.state, 's');
  });
});

describe('createAuthCodeFlow', () => {
  test('makes a state, a nonce and an S256 PKCE pair, and puts them in the URL', async () => {
    const flow = await createAuthCodeFlow(entraAuthority(), CLIENT_ID, SCOPE, { redirectUri: 'http://localhost:1234', prompt: 'login' });
    const params = query(flow.authUri);
    assert.equal(params.state, flow.state);
    assert.equal(params.nonce, flow.nonce);
    assert.equal(params.code_challenge_method, 'S256');
    assert.equal(params.code_challenge, createHash('sha256').update(flow.codeVerifier).digest('base64url'));
    assert.equal(params.prompt, 'login');
    assert.equal(params.redirect_uri, 'http://localhost:1234');
    assert.equal(flow.codeVerifier.length, 43);
    assert.match(flow.codeVerifier, /^[A-Za-z0-9_-]+$/);
    assert.ok(flow.state.length >= 16);
    assert.ok(flow.nonce.length >= 16);
    assert.equal(flow.redirectUri, 'http://localhost:1234');
    assert.deepEqual(flow.scope, SCOPE);
    assert.ok(!flow.authUri.includes(flow.codeVerifier), 'the verifier never goes to the browser');
  });

  test('every flow is unique', async () => {
    const flows = await Promise.all(Array.from({ length: 20 }, () => createAuthCodeFlow(entraAuthority(), CLIENT_ID, SCOPE, {})));
    for (const field of ['state', 'nonce', 'codeVerifier'] as const) {
      assert.equal(new Set(flows.map((flow) => flow[field])).size, flows.length, field);
    }
    assert.equal(new Set(flows.map((flow) => query(flow.authUri).code_challenge)).size, flows.length);
  });

  test('a caller state is used as is', async () => {
    const flow = await createAuthCodeFlow(entraAuthority(), CLIENT_ID, SCOPE, { state: 'my-state' });
    assert.equal(flow.state, 'my-state');
    assert.equal(query(flow.authUri).state, 'my-state');
  });

  test('keeps claimsChallenge and maxAge for the redemption; max_age goes in the URL', async () => {
    const flow = await createAuthCodeFlow(entraAuthority(), CLIENT_ID, SCOPE, { claimsChallenge: '{"a":1}', claims: '{"a":1}', maxAge: 300 });
    assert.equal(flow.claimsChallenge, '{"a":1}');
    assert.equal(flow.maxAge, 300);
    assert.equal(query(flow.authUri).max_age, '300');
    assert.equal(query(flow.authUri).claims, '{"a":1}');
  });
});

describe('checkAuthorizationResponse', () => {
  const flow: AuthCodeFlow = { authUri: 'x', state: 'state-1', scope: SCOPE, codeVerifier: 'v', nonce: 'n' };
  const fixedIssuer = `${MS}/${TENANT_ID}/v2.0`;

  test('returns the code', () => {
    assert.equal(checkAuthorizationResponse(flow, { code: 'the-code', state: 'state-1' }, entraAuthority(fixedIssuer)), 'the-code');
  });

  test('values that are not strings never pass as code, error or iss (found by a property test)', () => {
    const loose = (response: Record<string, unknown>) => response as Record<string, string | undefined>;
    for (const code of [5, ['a', 'b'], {}]) {
      throwsWithCode(() => checkAuthorizationResponse(flow, loose({ code, state: 'state-1' }), entraAuthority(fixedIssuer)), 'invalid_response');
    }
    throwsWithCode(() => checkAuthorizationResponse(flow, loose({ error: ['access_denied'], state: 'state-1' }), entraAuthority(fixedIssuer)), 'invalid_response');
    const err = throwsWithCode(() => checkAuthorizationResponse(flow, loose({ error: 'access_denied', error_description: 7, state: 'state-1' }), entraAuthority(fixedIssuer)), 'server_error');
    assert.equal((err as ServerError).errorDescription, undefined);
    for (const iss of [Object.create(null), [fixedIssuer], 1]) {
      throwsWithCode(() => checkAuthorizationResponse(flow, loose({ code: 'c', state: 'state-1', iss }), entraAuthority()), 'issuer_mismatch');
    }
  });

  test('a missing state is state_mismatch', () => {
    const err = throwsWithCode(() => checkAuthorizationResponse(flow, { code: 'c' }, entraAuthority()), 'state_mismatch');
    assert.match(err.message, /no state/);
  });

  test('another state is state_mismatch', () => {
    throwsWithCode(() => checkAuthorizationResponse(flow, { code: 'c', state: 'state-2' }, entraAuthority()), 'state_mismatch');
  });

  test('the state is checked before the error: a forged error response is state_mismatch', () => {
    throwsWithCode(() => checkAuthorizationResponse(flow, { error: 'access_denied', state: 'forged' }, entraAuthority()), 'state_mismatch');
    throwsWithCode(() => checkAuthorizationResponse(flow, { error: 'access_denied' }, entraAuthority()), 'state_mismatch');
  });

  test('the state is checked before iss', () => {
    throwsWithCode(() => checkAuthorizationResponse(flow, { code: 'c', state: 'x', iss: 'https://evil.example.com' }, entraAuthority(fixedIssuer)), 'state_mismatch');
  });

  test('an iss other than the issuer is issuer_mismatch (RFC 9207), before the error', () => {
    const authority = entraAuthority(fixedIssuer);
    throwsWithCode(() => checkAuthorizationResponse(flow, { code: 'c', state: 'state-1', iss: 'https://evil.example.com' }, authority), 'issuer_mismatch');
    throwsWithCode(() => checkAuthorizationResponse(flow, { error: 'access_denied', state: 'state-1', iss: `${fixedIssuer}/x` }, authority), 'issuer_mismatch');
  });

  test('an iss matching the fixed issuer is accepted', () => {
    assert.equal(checkAuthorizationResponse(flow, { code: 'c', state: 'state-1', iss: fixedIssuer }, entraAuthority(fixedIssuer)), 'c');
  });

  test('an iss matching a {tenantid} issuer is accepted', () => {
    assert.equal(checkAuthorizationResponse(flow, { code: 'c', state: 'state-1', iss: `${MS}/${TENANT_ID}/v2.0` }, entraAuthority()), 'c');
  });

  test('a {tenantid} issuer does not match other hosts, paths or an empty tenant', () => {
    for (const iss of [
      `https://evil.example.com/${TENANT_ID}/v2.0`,
      `${MS}/${TENANT_ID}/v2.0/extra`,
      `${MS}/a/b/v2.0`,
      `${MS}//v2.0`,
      `${MS.replace('.', 'x')}/${TENANT_ID}/v2.0`,
    ]) {
      throwsWithCode(() => checkAuthorizationResponse(flow, { code: 'c', state: 'state-1', iss }, entraAuthority()), 'issuer_mismatch');
    }
  });

  test('no iss in the response is accepted (the server does not support RFC 9207)', () => {
    assert.equal(checkAuthorizationResponse(flow, { code: 'c', state: 'state-1' }, entraAuthority(fixedIssuer)), 'c');
  });

  test('an error becomes a ServerError with its description and suberror', () => {
    let caught: unknown;
    try {
      checkAuthorizationResponse(
        flow,
        { error: 'access_denied', error_description: 'the user declined', suberror: 'consent_required', state: 'state-1' },
        entraAuthority(),
      );
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ServerError);
    assert.equal(caught.code, 'server_error');
    assert.equal(caught.error, 'access_denied');
    assert.equal(caught.errorDescription, 'the user declined');
    assert.equal(caught.suberror, 'consent_required');
  });

  test('an error wins over a code in the same response', () => {
    assert.throws(() => checkAuthorizationResponse(flow, { error: 'server_error', code: 'c', state: 'state-1' }, entraAuthority()), ServerError);
  });

  test('neither code nor error is invalid_response', () => {
    throwsWithCode(() => checkAuthorizationResponse(flow, { state: 'state-1' }, entraAuthority()), 'invalid_response');
    throwsWithCode(() => checkAuthorizationResponse(flow, { state: 'state-1', code: '' }, entraAuthority()), 'invalid_response');
  });

  test('a flow that is not one initiateAuthCodeFlow made is invalid_argument', () => {
    throwsWithCode(() => checkAuthorizationResponse(undefined as unknown as AuthCodeFlow, { code: 'c' }, entraAuthority()), 'invalid_argument');
    throwsWithCode(() => checkAuthorizationResponse({ state: 's' } as AuthCodeFlow, { code: 'c', state: 's' }, entraAuthority()), 'invalid_argument');
  });
});

describe('authorizationCodeGrantRequest and processAuthorizationCodeResponse', () => {
  test('a public client posts the code with its PKCE verifier and redirect URI, and no secret', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse(userToken));
    await authorizationCodeGrantRequest(client, authority, 'the-code', ['User.Read', 'openid'], { correlationId: 'c', redirectUri: 'http://127.0.0.1:5000/', codeVerifier: 'the-verifier' });
    assert.deepEqual(formOf(fake.requests[0]), {
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'http://127.0.0.1:5000/',
      code_verifier: 'the-verifier',
      scope: 'User.Read openid',
      client_info: '1',
      client_id: TOKEN_CLIENT_ID,
    });
  });

  test('the form refuses data that would replace the verifier', () => {
    throwsWithCode(() => authorizationCodeForm('', [], { data: { code_verifier: 'x' } }), 'invalid_argument');
  });

  test('an answer to an openid request without ID token is accepted with a warning', async () => {
    const { fake, client, authority, logLines } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse(userToken));
    const sent = await authorizationCodeGrantRequest(client, authority, 'code', ['openid', 'User.Read'], { correlationId: 'c' });
    const result = await processAuthorizationCodeResponse(client, authority, sent, { nonce: 'n' });
    assert.equal(result.grantType, 'authorization_code');
    assert.equal(result.idTokenClaims, undefined);
    assert.deepEqual(logLines, ['the token response to an openid request carried no ID token']);
  });

  test('an ID token that is not a JWT is refused with invalid_id_token', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse({ ...userToken, id_token: 'not-a-jwt' }));
    const sent = await authorizationCodeGrantRequest(client, authority, 'code', ['openid'], { correlationId: 'c' });
    await rejectsWithCode(processAuthorizationCodeResponse(client, authority, sent, { nonce: 'n' }), 'invalid_id_token');
  });

  test('a refused code is a ServerError of the authorization_code grant', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse({ error: 'invalid_grant', error_description: 'AADSTS54005: code already redeemed' }, 400));
    const sent = await authorizationCodeGrantRequest(client, authority, 'code', ['openid'], { correlationId: 'c' });
    const err = await rejectsWithCode(processAuthorizationCodeResponse(client, authority, sent, {}), 'server_error');
    assert.ok(err instanceof ServerError && err.grantType === 'authorization_code');
  });
});
