/**
 * Application rules that need no identity provider: constructor checks, MSAL's API ids, regional
 * endpoints and throttling kept in the http cache. Everything else of the applications is proven
 * against the real IdP in test/integration.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ATTEMPT_REGION_DISCOVERY,
  ClientApplication,
  ConfidentialClientApplication,
  PublicClientApplication,
} from '../../../src/core/application.js';
import { ThrottledError } from '../../../src/core/errors.js';
import { FakeFetch, jsonResponse, memoryCache, rejectsWithCode } from './fakes.js';

const HOST = 'https://login.microsoftonline.com';
const TENANT = 'contoso.onmicrosoft.com';

function entraMetadata(host = HOST) {
  return {
    issuer: `${HOST}/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0`,
    authorization_endpoint: `${host}/${TENANT}/oauth2/v2.0/authorize`,
    token_endpoint: `${host}/${TENANT}/oauth2/v2.0/token`,
    device_authorization_endpoint: `${host}/${TENANT}/oauth2/v2.0/devicecode`,
    jwks_uri: `${host}/${TENANT}/discovery/v2.0/keys`,
  };
}

const appToken = { access_token: 'app-token', token_type: 'Bearer', expires_in: 3600 };

function fakeEntra(): FakeFetch {
  return new FakeFetch().on(`${HOST}/${TENANT}/v2.0/.well-known/openid-configuration`, jsonResponse(entraMetadata()));
}

describe('ClientApplication constructor', () => {
  it('requires a client id', () => {
    assert.throws(() => new PublicClientApplication({ clientId: '' }), { code: 'invalid_argument' });
  });
  it('refuses authority and oidcAuthority together', () => {
    assert.throws(() => new PublicClientApplication({ clientId: 'c', authority: `${HOST}/common`, oidcAuthority: 'https://idp.example' }), { code: 'invalid_argument' });
  });
  it('refuses a malformed authority before any request', () => {
    assert.throws(() => new PublicClientApplication({ clientId: 'c', authority: 'http://login.example/common' }), { code: 'invalid_authority' });
  });
  it('keeps credentials to confidential clients', () => {
    assert.throws(() => new PublicClientApplication({ clientId: 'c', clientCredential: 'secret' }), { code: 'invalid_argument' });
    assert.throws(() => new ConfidentialClientApplication({ clientId: 'c' }), { code: 'invalid_argument' });
    assert.throws(() => new ConfidentialClientApplication({ clientId: 'c', clientCredential: { privateKey: 'nope', thumbprint: 'ab' } }), { code: 'invalid_argument' });
  });
  it('needs a platform HTTP client for proxies and verify', () => {
    assert.throws(() => new PublicClientApplication({ clientId: 'c', proxies: { https: 'http://proxy.example:3128' } }), { code: 'invalid_argument' });
    assert.throws(() => new PublicClientApplication({ clientId: 'c', verify: false }), { code: 'invalid_argument' });
  });
  it('checks excludeScopes', () => {
    assert.throws(() => new PublicClientApplication({ clientId: 'c', excludeScopes: ['a b'] }), { code: 'invalid_argument' });
  });
  it("publishes MSAL's API ids and says proof-of-possession is not supported", () => {
    assert.equal(ClientApplication.ACQUIRE_TOKEN_SILENT_ID, '84');
    assert.equal(ClientApplication.ACQUIRE_TOKEN_BY_REFRESH_TOKEN, '85');
    assert.equal(ClientApplication.ACQUIRE_TOKEN_BY_USERNAME_PASSWORD_ID, '301');
    assert.equal(ClientApplication.ACQUIRE_TOKEN_ON_BEHALF_OF_ID, '523');
    assert.equal(ClientApplication.ACQUIRE_TOKEN_BY_DEVICE_FLOW_ID, '622');
    assert.equal(ClientApplication.ACQUIRE_TOKEN_FOR_CLIENT_ID, '730');
    assert.equal(ClientApplication.ACQUIRE_TOKEN_BY_AUTHORIZATION_CODE_ID, '832');
    assert.equal(ClientApplication.ACQUIRE_TOKEN_INTERACTIVE, '169');
    assert.equal(ClientApplication.GET_ACCOUNTS_ID, '902');
    assert.equal(ClientApplication.REMOVE_ACCOUNT_ID, '903');
    assert.equal(ConfidentialClientApplication.ATTEMPT_REGION_DISCOVERY, ATTEMPT_REGION_DISCOVERY);
    assert.equal(new PublicClientApplication({ clientId: 'c' }).isPopSupported(), false);
  });
  it('says plainly when interactive sign-in has no platform to run on', async () => {
    const app = new PublicClientApplication({ clientId: 'c', httpClient: fakeEntra().fetch, authority: `${HOST}/${TENANT}` });
    await rejectsWithCode(app.acquireTokenInteractive(['User.Read']), 'not_supported');
  });
});

describe('client credentials through a regional endpoint (azureRegion)', () => {
  it('sends the token request to <region>.login.microsoft.com', async () => {
    const fake = fakeEntra().on(`https://westus2.login.microsoft.com/${TENANT}/oauth2/v2.0/token`, jsonResponse(appToken));
    const app = new ConfidentialClientApplication({ clientId: 'c', clientCredential: 's', authority: `${HOST}/${TENANT}`, httpClient: fake.fetch, azureRegion: 'westus2' });
    const result = await app.acquireTokenForClient(['https://graph.microsoft.com/.default']);
    assert.equal(result.accessToken, 'app-token');
    assert.equal(fake.count(`https://westus2.login.microsoft.com/${TENANT}/oauth2/v2.0/token`), 1);
  });

  it('detects the region through the platform, and stays global when none is found', async () => {
    const regional = fakeEntra().on(`https://eastus.login.microsoft.com/${TENANT}/oauth2/v2.0/token`, jsonResponse(appToken));
    await new ConfidentialClientApplication({
      clientId: 'c', clientCredential: 's', authority: `${HOST}/${TENANT}`, httpClient: regional.fetch,
      azureRegion: ATTEMPT_REGION_DISCOVERY, platform: { detectRegion: () => 'eastus' },
    }).acquireTokenForClient(['https://graph.microsoft.com/.default']);
    assert.equal(regional.count(`https://eastus.login.microsoft.com/${TENANT}/oauth2/v2.0/token`), 1);

    const global = fakeEntra().on(`${HOST}/${TENANT}/oauth2/v2.0/token`, jsonResponse(appToken));
    await new ConfidentialClientApplication({
      clientId: 'c', clientCredential: 's', authority: `${HOST}/${TENANT}`, httpClient: global.fetch,
      azureRegion: ATTEMPT_REGION_DISCOVERY, platform: { detectRegion: () => undefined },
    }).acquireTokenForClient(['https://graph.microsoft.com/.default']);
    assert.equal(global.count(`${HOST}/${TENANT}/oauth2/v2.0/token`), 1);
  });
});

describe('throttling kept in the http cache', () => {
  it('sends no request while a 429 Retry-After is pending, and survives a restart through httpCache', async () => {
    const tokenUrl = `${HOST}/${TENANT}/oauth2/v2.0/token`;
    const throttled = jsonResponse({ error: 'temporarily_unavailable' }, 429, { 'retry-after': '120' });
    const fake = fakeEntra().on(tokenUrl, throttled, jsonResponse(appToken));
    const httpCache = memoryCache();
    const app = new ConfidentialClientApplication({ clientId: 'c', clientCredential: 's', authority: `${HOST}/${TENANT}`, httpClient: fake.fetch, httpCache });
    await rejectsWithCode(app.acquireTokenForClient(['api://x/.default']), 'server_error');
    const err = await rejectsWithCode(app.acquireTokenForClient(['api://x/.default']), 'throttled');
    assert.ok(err instanceof ThrottledError && err.retryAfter > Date.now() + 100_000);
    assert.equal(fake.count(tokenUrl), 1);
    // Another scope is another request: not throttled.
    assert.equal((await app.acquireTokenForClient(['api://y/.default'])).accessToken, 'app-token');
    // A new app sharing the persisted http cache stays throttled without a request.
    const restarted = new ConfidentialClientApplication({ clientId: 'c', clientCredential: 's', authority: `${HOST}/${TENANT}`, httpClient: fake.fetch, httpCache: new Map(JSON.parse(JSON.stringify([...httpCache]))) });
    await rejectsWithCode(restarted.acquireTokenForClient(['api://x/.default']), 'throttled');
    assert.equal(fake.count(tokenUrl), 2);
  });
});
