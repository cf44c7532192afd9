import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRegistrationResponse, nativeClientRegistrationRequest, registerNativeClient } from '../../../src/core/client-registration.js';
import { ServerError } from '../../../src/core/errors.js';
import type { AuthorizationServerMetadata } from '../../../src/core/resource-metadata.js';
import { FakeFetch, jsonResponse, rejectsWithCode, throwsWithCode } from './fakes.js';

const ISSUER = 'https://login.example';
const ENDPOINT = `${ISSUER}/register`;
const METADATA: AuthorizationServerMetadata = { issuer: ISSUER, authorization_endpoint: `${ISSUER}/authorize`, token_endpoint: `${ISSUER}/token`, registration_endpoint: ENDPOINT };
const REDIRECTS = ['http://127.0.0.1/callback', 'vscode://msal-tools.msal-signin/callback'];
const OPTIONS = { clientName: 'MSAL Sign-In', redirectUris: REDIRECTS };

describe('native client registration request', () => {
  test('registers a public native client for the code and refresh grants', () => {
    assert.deepEqual(nativeClientRegistrationRequest({ ...OPTIONS, scope: 'openid api://demo/read' }), {
      client_name: 'MSAL Sign-In',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: REDIRECTS,
      scope: 'openid api://demo/read',
    });
  });

  test('refuses redirect URIs a native client must not use', () => {
    for (const uri of ['http://example.com/callback', 'javascript:alert(1)', 'https://editor.example/cb#x', 'not a uri']) {
      throwsWithCode(() => nativeClientRegistrationRequest({ ...OPTIONS, redirectUris: [uri] }), 'invalid_argument');
    }
    throwsWithCode(() => nativeClientRegistrationRequest({ ...OPTIONS, redirectUris: [] }), 'invalid_argument');
    throwsWithCode(() => nativeClientRegistrationRequest({ ...OPTIONS, clientName: ' ' }), 'invalid_argument');
  });
});

describe('registration response', () => {
  const request = nativeClientRegistrationRequest(OPTIONS);

  test('a usable answer becomes the registration to store, with the issuer we asked', async () => {
    const fake = new FakeFetch().on(ENDPOINT, jsonResponse({ client_id: 'c-1', client_id_issued_at: 1700000000, redirect_uris: REDIRECTS, token_endpoint_auth_method: 'none', issuer: 'https://evil.example' }, 201));
    const registration = await registerNativeClient(fake.fetch, METADATA, OPTIONS);
    assert.deepEqual(registration, {
      issuer: ISSUER, client_id: 'c-1', redirect_uris: REDIRECTS, token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], client_id_issued_at: 1700000000,
    });
    const sent = fake.requests[0]!;
    assert.equal(sent.init.method, 'POST');
    assert.equal(sent.init.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(sent.init.body ?? ''), request);
  });

  test('a response without client_id is invalid_response', async () => {
    const fake = new FakeFetch().on(ENDPOINT, jsonResponse({ redirect_uris: REDIRECTS }, 201));
    await rejectsWithCode(registerNativeClient(fake.fetch, METADATA, OPTIONS), 'invalid_response');
    throwsWithCode(() => checkRegistrationResponse({ client_id: '' }, ISSUER, request), 'invalid_response');
  });

  test('changes the client cannot live with are refused', () => {
    throwsWithCode(() => checkRegistrationResponse({ client_id: 'c', token_endpoint_auth_method: 'client_secret_basic', client_secret: 's' }, ISSUER, request), 'invalid_response');
    throwsWithCode(() => checkRegistrationResponse({ client_id: 'c', redirect_uris: [REDIRECTS[0]] }, ISSUER, request), 'invalid_response');
    throwsWithCode(() => checkRegistrationResponse({ client_id: 'c', grant_types: ['client_credentials'] }, ISSUER, request), 'invalid_response');
  });

  test('a refusal is a ServerError with the OAuth fields', async () => {
    const fake = new FakeFetch().on(ENDPOINT, jsonResponse({ error: 'invalid_redirect_uri', error_description: 'no' }, 400));
    await assert.rejects(registerNativeClient(fake.fetch, METADATA, OPTIONS), (err: unknown) => err instanceof ServerError && err.error === 'invalid_redirect_uri' && err.status === 400);
  });

  test('no registration endpoint is not_supported; an http one is refused without a request', async () => {
    const fake = new FakeFetch();
    await rejectsWithCode(registerNativeClient(fake.fetch, { ...METADATA, registration_endpoint: undefined }, OPTIONS), 'not_supported');
    await rejectsWithCode(registerNativeClient(fake.fetch, { ...METADATA, registration_endpoint: 'http://login.example/register' }, OPTIONS), 'discovery_failed');
    assert.equal(fake.requests.length, 0);
  });
});
