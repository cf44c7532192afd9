import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError } from '../../../src/core/errors.js';
import {
  authorizationServerMetadataUrls,
  checkProtectedResourceMetadata,
  discoverProtectedResource,
  fetchAuthorizationServerMetadata,
  fetchProtectedResourceMetadata,
  parseResourceChallenges,
  protectedResourceMetadataUrl,
  resourceMatchesRequest,
} from '../../../src/core/resource-metadata.js';
import { FakeFetch, jsonResponse, rejectsWithCode, textResponse, throwsWithCode } from './fakes.js';

const API = 'https://api.example/v1/items';
const METADATA_URL = 'https://api.example/.well-known/oauth-protected-resource/v1';
const ISSUER = 'https://login.example/tenant';
const CHALLENGE = `Bearer resource_metadata="${METADATA_URL}", scope="api://demo/read"`;

const resourceDoc = (overrides: Record<string, unknown> = {}) => ({ resource: 'https://api.example/v1', authorization_servers: [ISSUER], ...overrides });
const asDoc = (overrides: Record<string, unknown> = {}) => ({
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  registration_endpoint: `${ISSUER}/register`,
  ...overrides,
});

function expectMismatch(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof AuthError && err.code === 'resource_mismatch');
}

describe('challenges', () => {
  test('reads Bearer and DPoP challenges with their parameters and skips other schemes', () => {
    const challenges = parseResourceChallenges(`Basic realm="x", ${CHALLENGE}, DPoP error="use_dpop_nonce", algs="ES256 EdDSA"`);
    assert.deepEqual(challenges, [
      { scheme: 'bearer', resourceMetadata: METADATA_URL, scope: 'api://demo/read' },
      { scheme: 'dpop', error: 'use_dpop_nonce', algs: ['ES256', 'EdDSA'] },
    ]);
  });

  test('a malformed header is invalid_response', () => {
    throwsWithCode(() => parseResourceChallenges('Bearer resource_metadata="unterminated'), 'invalid_response');
  });
});

describe('well-known URLs', () => {
  test('RFC 9728 §3.1 inserts the suffix before the path and drops a terminating slash', () => {
    assert.equal(protectedResourceMetadataUrl('https://api.example/v1/'), METADATA_URL);
    assert.equal(protectedResourceMetadataUrl('https://api.example'), 'https://api.example/.well-known/oauth-protected-resource');
  });

  test('an issuer with a path: RFC 8414 insertion, OpenID insertion, OpenID appended', () => {
    assert.deepEqual(authorizationServerMetadataUrls(`${ISSUER}/`), [
      'https://login.example/.well-known/oauth-authorization-server/tenant',
      'https://login.example/.well-known/openid-configuration/tenant',
      'https://login.example/tenant/.well-known/openid-configuration',
    ]);
    assert.deepEqual(authorizationServerMetadataUrls('https://login.example'), [
      'https://login.example/.well-known/oauth-authorization-server',
      'https://login.example/.well-known/openid-configuration',
    ]);
  });
});

describe('resource matching (RFC 9728 §3.3)', () => {
  const match = (resource: string, request: string, exact = false) => resourceMatchesRequest(new URL(resource), new URL(request), { exact });

  test('the same origin and a path prefix at a segment boundary', () => {
    assert.equal(match('https://api.example/v1', API), true);
    assert.equal(match('https://API.example:443/v1', API), true);
    assert.equal(match('https://api.example', API), true);
    assert.equal(match('https://api.example/v1', 'https://api.example/v10/items'), false);
    assert.equal(match('https://api.example/v1', 'https://other.example/v1/items'), false);
    assert.equal(match('https://api.example:8443/v1', API), false);
    assert.equal(match('http://api.example/v1', API), false);
  });

  test('exactResourceMatch: only the requested URL itself, as RFC 9728 was published', () => {
    assert.equal(match(API, API, true), true);
    assert.equal(match('https://api.example/v1', API, true), false);
  });

  test('metadata naming another origin is a resource_mismatch', () => {
    expectMismatch(() => checkProtectedResourceMetadata(resourceDoc({ resource: 'https://evil.example/v1' }), API));
    expectMismatch(() => checkProtectedResourceMetadata(resourceDoc({ resource: 'https://api.example/v2' }), API));
  });

  test('authorization servers: at least one, https, no query; http only on loopback with the opt-in', () => {
    throwsWithCode(() => checkProtectedResourceMetadata(resourceDoc({ authorization_servers: [] }), API), 'discovery_failed');
    throwsWithCode(() => checkProtectedResourceMetadata(resourceDoc({ authorization_servers: 'https://login.example' }), API), 'discovery_failed');
    throwsWithCode(() => checkProtectedResourceMetadata(resourceDoc({ authorization_servers: ['http://login.example'] }), API), 'invalid_authority');
    throwsWithCode(() => checkProtectedResourceMetadata(resourceDoc({ authorization_servers: [`${ISSUER}?x=1`] }), API), 'invalid_authority');
    const local = { resource: 'http://127.0.0.1:8080/api', authorization_servers: ['http://127.0.0.1:9000/oidc'] };
    throwsWithCode(() => checkProtectedResourceMetadata(local, 'http://127.0.0.1:8080/api/x'), 'invalid_argument');
    assert.deepEqual(checkProtectedResourceMetadata(local, 'http://127.0.0.1:8080/api/x', { allowInsecureLoopbackHttp: true }).authorization_servers, ['http://127.0.0.1:9000/oidc']);
    throwsWithCode(() => checkProtectedResourceMetadata({ ...local, authorization_servers: ['http://10.0.0.1/oidc'] }, 'http://127.0.0.1:8080/api/x', { allowInsecureLoopbackHttp: true }), 'invalid_authority');
  });
});

describe('fetching the resource metadata', () => {
  test('follows resource_metadata and checks what it reads', async () => {
    const fake = new FakeFetch().on(METADATA_URL, jsonResponse(resourceDoc()));
    const discovery = await discoverProtectedResource(fake.fetch, API, CHALLENGE);
    assert.deepEqual(discovery.resourceMetadata.authorization_servers, [ISSUER]);
    assert.equal(discovery.challenge.scope, 'api://demo/read');
    assert.equal(fake.requests[0]?.init.method, 'GET');
  });

  test('a hostile document naming another origin is refused', async () => {
    const fake = new FakeFetch().on(METADATA_URL, jsonResponse(resourceDoc({ resource: 'https://evil.example/', authorization_servers: ['https://evil.example'] })));
    await assert.rejects(discoverProtectedResource(fake.fetch, API, CHALLENGE), (err: unknown) => err instanceof AuthError && err.code === 'resource_mismatch');
  });

  test('an http resource_metadata URL is refused without a request', async () => {
    const fake = new FakeFetch();
    await rejectsWithCode(discoverProtectedResource(fake.fetch, API, 'Bearer resource_metadata="http://api.example/meta"'), 'discovery_failed');
    assert.equal(fake.requests.length, 0);
  });

  test('without resource_metadata: the well-known URL of the path, then of the origin, each naming exactly its identifier', async () => {
    const fake = new FakeFetch()
      .on('https://api.example/.well-known/oauth-protected-resource/v1/items', textResponse('not here', 404))
      .on('https://api.example/.well-known/oauth-protected-resource', jsonResponse(resourceDoc({ resource: 'https://api.example' })));
    const found = await fetchProtectedResourceMetadata(fake.fetch, `${API}?page=2`, undefined);
    assert.equal(found.url, 'https://api.example/.well-known/oauth-protected-resource');
    const prefixOnly = new FakeFetch()
      .on('https://api.example/.well-known/oauth-protected-resource/v1/items', jsonResponse(resourceDoc()));
    await assert.rejects(fetchProtectedResourceMetadata(prefixOnly.fetch, API, undefined), (err: unknown) => err instanceof AuthError && err.code === 'resource_mismatch');
  });

  test('a challenge of neither scheme is invalid_response', async () => {
    await rejectsWithCode(discoverProtectedResource(new FakeFetch().fetch, API, 'Basic realm="x"'), 'invalid_response');
  });
});

describe('fetching the authorization server metadata', () => {
  test('falls back past 404s and HTML to OpenID discovery', async () => {
    const fake = new FakeFetch()
      .on('https://login.example/.well-known/oauth-authorization-server/tenant', textResponse('no', 404))
      .on('https://login.example/.well-known/openid-configuration/tenant', textResponse('<html>', 200))
      .on('https://login.example/tenant/.well-known/openid-configuration', jsonResponse(asDoc()));
    const metadata = await fetchAuthorizationServerMetadata(fake.fetch, ISSUER);
    assert.equal(metadata.registration_endpoint, `${ISSUER}/register`);
    assert.equal(fake.requests.length, 3);
  });

  test('a document for another issuer stops the search: the server answered, and must not be used', async () => {
    const fake = new FakeFetch().on('https://login.example/.well-known/oauth-authorization-server/tenant', jsonResponse(asDoc({ issuer: 'https://evil.example' })));
    await rejectsWithCode(fetchAuthorizationServerMetadata(fake.fetch, ISSUER), 'discovery_failed');
    assert.equal(fake.requests.length, 1);
  });

  test('an http issuer is refused without a request; http endpoints are refused', async () => {
    const fake = new FakeFetch();
    await rejectsWithCode(fetchAuthorizationServerMetadata(fake.fetch, 'http://login.example/tenant'), 'invalid_authority');
    assert.equal(fake.requests.length, 0);
    fake.on('https://login.example/.well-known/oauth-authorization-server/tenant', jsonResponse(asDoc({ token_endpoint: 'http://login.example/token' })));
    await rejectsWithCode(fetchAuthorizationServerMetadata(fake.fetch, ISSUER), 'discovery_failed');
  });

  test('no metadata anywhere is discovery_failed; a network failure is network_error', async () => {
    const fake = new FakeFetch()
      .on('https://login.example/.well-known/oauth-authorization-server', textResponse('no', 404))
      .on('https://login.example/.well-known/openid-configuration', textResponse('no', 404));
    await rejectsWithCode(fetchAuthorizationServerMetadata(fake.fetch, 'https://login.example'), 'discovery_failed');
    const failing = async () => { throw new TypeError('fetch failed'); };
    await rejectsWithCode(fetchAuthorizationServerMetadata(failing, ISSUER), 'network_error');
  });
});
