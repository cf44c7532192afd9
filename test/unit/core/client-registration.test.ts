import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkRegistrationResponse,
  isManageableRegistration,
  type NativeClientRegistration,
  nativeClientRegistrationRequest,
  nativeClientUpdateRequest,
  registerNativeClient,
  updateNativeClient,
} from '../../../src/core/client-registration.js';
import { ServerError } from '../../../src/core/errors.js';
import type { AuthorizationServerMetadata } from '../../../src/core/resource-metadata.js';
import { FakeFetch, jsonResponse, rejectsWithCode, textResponse, throwsWithCode } from './fakes.js';

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
    assert.equal(isManageableRegistration(registration), false, 'no RFC 7592 management offered');
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

describe('client update (RFC 7592)', () => {
  const CONFIG_URI = `${ENDPOINT}/c-1`;
  const NEW_REDIRECTS = ['http://127.0.0.1/callback', 'https://editor.example/callback?vscode-reqid=7'];
  const registered: NativeClientRegistration = {
    issuer: ISSUER,
    client_id: 'c-1',
    redirect_uris: REDIRECTS,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    client_id_issued_at: 1700000000,
    registration_client_uri: CONFIG_URI,
    registration_access_token: 'rat-1',
  };
  const updateOptions = { clientName: 'MSAL Sign-In', redirectUris: NEW_REDIRECTS };
  const answer = (extra: Record<string, unknown> = {}) => ({ client_id: 'c-1', redirect_uris: NEW_REDIRECTS, token_endpoint_auth_method: 'none', registration_client_uri: CONFIG_URI, ...extra });

  test('the registration response keeps what management needs', () => {
    const registration = checkRegistrationResponse({ client_id: 'c-1', registration_client_uri: CONFIG_URI, registration_access_token: 'rat-1' }, ISSUER, nativeClientRegistrationRequest(OPTIONS));
    assert.equal(isManageableRegistration(registration), true);
    assert.deepEqual([registration.registration_client_uri, registration.registration_access_token], [CONFIG_URI, 'rat-1']);
  });

  test('PUTs the full metadata with the client id and the Bearer registration access token, never the server-owned fields', async () => {
    const fake = new FakeFetch().on(CONFIG_URI, jsonResponse(answer({ registration_access_token: 'rat-2' })));
    const updated = await updateNativeClient(fake.fetch, registered, updateOptions);
    const sent = fake.requests[0]!;
    assert.equal(sent.init.method, 'PUT');
    assert.equal(sent.init.headers.authorization, 'Bearer rat-1');
    assert.equal(sent.init.headers['content-type'], 'application/json');
    const body = JSON.parse(sent.init.body ?? '') as Record<string, unknown>;
    assert.deepEqual(body, { ...nativeClientRegistrationRequest(updateOptions), client_id: 'c-1' });
    assert.deepEqual(body, nativeClientUpdateRequest(registered, updateOptions));
    for (const field of ['registration_access_token', 'registration_client_uri', 'client_id_issued_at', 'client_secret_expires_at']) assert.equal(field in body, false, field);
    assert.deepEqual(updated, { ...registered, redirect_uris: NEW_REDIRECTS, registration_access_token: 'rat-2' }, 'the rotated token replaces the old one');
  });

  test('without a new token in the answer the old one stays', async () => {
    const fake = new FakeFetch().on(CONFIG_URI, jsonResponse(answer({ registration_client_uri: undefined })));
    const updated = await updateNativeClient(fake.fetch, registered, updateOptions);
    assert.deepEqual([updated.registration_client_uri, updated.registration_access_token], [CONFIG_URI, 'rat-1']);
  });

  test('a registration without management (an entry stored before it existed) is not_supported, without a request', async () => {
    const fake = new FakeFetch();
    const { registration_client_uri: _uri, registration_access_token: _token, ...old } = registered;
    await rejectsWithCode(updateNativeClient(fake.fetch, old, updateOptions), 'not_supported');
    await rejectsWithCode(updateNativeClient(fake.fetch, { ...registered, registration_client_uri: 'http://login.example/register/c-1' }, updateOptions), 'invalid_argument');
    assert.equal(fake.requests.length, 0);
  });

  test('refusals are ServerErrors: a dead token (with or without an OAuth body), 403, metadata the server does not take', async () => {
    for (const [response, error, status] of [
      [jsonResponse({ error: 'invalid_token', error_description: 'registration access token not found' }, 401), 'invalid_token', 401],
      [textResponse('', 401), 'invalid_token', 401],
      [jsonResponse({ error: 'invalid_request', error_description: 'client does not have permission to update its record' }, 403), 'invalid_request', 403],
      [textResponse('forbidden', 403), 'access_denied', 403],
      [jsonResponse({ error: 'invalid_redirect_uri' }, 400), 'invalid_redirect_uri', 400],
    ] as const) {
      const fake = new FakeFetch().on(CONFIG_URI, response);
      await assert.rejects(updateNativeClient(fake.fetch, registered, updateOptions), (err: unknown) => err instanceof ServerError && err.error === error && err.status === status);
    }
  });

  test('an unusable answer is invalid_response: another client id, a redirect URI left out, a secret, a status other than 200', async () => {
    for (const response of [
      jsonResponse(answer({ client_id: 'c-2' })),
      jsonResponse(answer({ redirect_uris: [NEW_REDIRECTS[0]] })),
      jsonResponse(answer({ token_endpoint_auth_method: 'client_secret_basic', client_secret: 's' })),
      jsonResponse(answer(), 201),
      textResponse('<html>', 200),
    ]) {
      const fake = new FakeFetch().on(CONFIG_URI, response);
      await rejectsWithCode(updateNativeClient(fake.fetch, registered, updateOptions), 'invalid_response');
    }
  });
});
