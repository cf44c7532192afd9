/**
 * Application rules that need no identity provider: constructor checks, regional
 * endpoints and throttling kept in the http cache. Everything else of the applications is proven
 * against the real IdP in test/integration.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ATTEMPT_REGION_DISCOVERY, ConfidentialClientApplication, PublicClientApplication } from '../../../src/core/index.js';
import { ThrottledError } from '../../../src/core/errors.js';
import { appToken, ENTRA_HOST as HOST, ENTRA_TENANT as TENANT, entraMetadata, FakeFetch, fakeEntra, jsonResponse, memoryCache, rejectsWithCode } from './fakes.js';

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
  it('says proof-of-possession is supported where WebCrypto signs (DPoP), and not without it', () => {
    const app = new PublicClientApplication({ clientId: 'c' });
    assert.equal(app.isPopSupported(), true);
    // `subtle` is a getter of Crypto.prototype: an own property hides it, and deleting that restores it.
    Object.defineProperty(globalThis.crypto, 'subtle', { value: undefined, configurable: true });
    try {
      assert.equal(app.isPopSupported(), false);
    } finally {
      delete (globalThis.crypto as { subtle?: unknown }).subtle;
    }
    assert.equal(typeof globalThis.crypto.subtle?.sign, 'function');
  });
  it('refuses a dpop option without a key store', () => {
    assert.throws(() => new PublicClientApplication({ clientId: 'c', dpop: {} as never }), { code: 'invalid_argument' });
    assert.throws(() => new PublicClientApplication({ clientId: 'c', dpop: { keys: { get: () => undefined } } as never }), { code: 'invalid_argument' });
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

describe('silent acquisition from a damaged cache (found by property tests)', () => {
  const GRAPH = 'https://graph.microsoft.com/User.Read';
  const TOKEN = `${HOST}/organizations/oauth2/v2.0/token`;

  /** An app whose cache holds Alice, with `damage` applied to the stored JSON; refreshes are refused. */
  async function appWithDamagedCache(damage: (root: Record<string, Record<string, Record<string, unknown>>>) => void) {
    const { SerializableTokenCache } = await import('../../../src/core/cache/index.js');
    const { entraEvent } = await import('./cache/fixtures.js');
    const cache = new SerializableTokenCache();
    cache.add(entraEvent(), Math.floor(Date.now() / 1000));
    const root = JSON.parse(cache.serialize());
    damage(root);
    cache.deserialize(JSON.stringify(root));
    const fake = new FakeFetch()
      .on(`${HOST}/organizations/v2.0/.well-known/openid-configuration`, jsonResponse({ ...entraMetadata(), issuer: `${HOST}/{tenantid}/v2.0`, token_endpoint: TOKEN }))
      .on(TOKEN, jsonResponse({ error: 'invalid_grant' }, 400));
    const app = new PublicClientApplication({ clientId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', authority: `${HOST}/organizations`, httpClient: fake.fetch, tokenCache: cache });
    const [account] = await app.getAccounts();
    return { app, account, fake };
  }
  const first = (section: Record<string, Record<string, unknown>>) => Object.values(section)[0]!;

  it('an ID token entry without a secret does not break a cache hit', async () => {
    const { app, account } = await appWithDamagedCache((root) => delete first(root.IdToken!).secret);
    const result = await app.acquireTokenSilent([GRAPH], account);
    assert.equal(result?.tokenSource, 'cache');
    assert.equal(result?.idTokenClaims, undefined);
  });

  it('an access token entry without a secret is not served', async () => {
    const { app, account, fake } = await appWithDamagedCache((root) => delete first(root.AccessToken!).secret);
    assert.equal(await app.acquireTokenSilent([GRAPH], account), undefined);
    assert.equal(fake.count(TOKEN), 1, 'the refresh token was tried instead');
  });

  it('an expiry beyond the range of a Date is not served, and unreadable refresh_on is left out', async () => {
    const beyond = await appWithDamagedCache((root) => (first(root.AccessToken!).expires_on = 8.64e12 + 1));
    assert.equal(await beyond.app.acquireTokenSilent([GRAPH], beyond.account), undefined);
    const unreadable = await appWithDamagedCache((root) => (first(root.AccessToken!).extended_expires_on = 'soon'));
    const result = await unreadable.app.acquireTokenSilent([GRAPH], unreadable.account);
    assert.equal(result?.tokenSource, 'cache');
    assert.equal(result?.extExpiresOn, undefined);
  });
});
