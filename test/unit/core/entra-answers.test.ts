/**
 * Microsoft Entra ID as it really answers (issue 17), replayed through a fake httpClient: Entra-
 * shaped discovery documents and token responses, written for these tests from what Entra sends
 * (field names, `foci`, `client_info`, `error_additional_info`, a plain-text 429), signed with a
 * key made here. Each case runs the public API end to end: discovery, token request, ID token
 * validation, cache.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Account } from '../../../src/core/account.js';
import { ConfidentialClientApplication, PublicClientApplication } from '../../../src/core/index.js';
import { Authority, parseAuthority } from '../../../src/core/authority.js';
import { SerializableTokenCache } from '../../../src/core/cache/index.js';
import { ServerError, ThrottledError } from '../../../src/core/errors.js';
import { DEFAULT_THROTTLE_MS } from '../../../src/core/http.js';
import { regionalTokenEndpoint } from '../../../src/core/region.js';
import { makeTestSigner, type TestSigner } from './cache/fixtures.js';
import { ENTRA_HOST as HOST, ENTRA_TENANT as TENANT, entraMetadata, FakeFetch, fakeEntra, jsonResponse, type RecordedRequest, rejectsWithCode, textResponse } from './fakes.js';

/** The tenant id entraMetadata()'s issuer names. */
const TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
const TOKEN_URL = `${HOST}/${TENANT}/oauth2/v2.0/token`;
/** Two apps of Microsoft's family (their ids are made up) and one outside it. */
const FAMILY_APP_A = '0a1b2c3d-0000-4000-8000-00000000000a';
const FAMILY_APP_B = '0a1b2c3d-0000-4000-8000-00000000000b';
const ORPHAN_APP = '0a1b2c3d-0000-4000-8000-00000000000c';
const USER_READ = 'https://graph.microsoft.com/User.Read';

interface User {
  oid: string;
  username: string;
}
const ALICE: User = { oid: '00000000-0000-0000-0000-0000000a11ce', username: 'alice@contoso.onmicrosoft.com' };
const BOB: User = { oid: '00000000-0000-0000-0000-000000000b0b', username: 'bob@contoso.onmicrosoft.com' };

let signer: TestSigner;

before(async () => {
  signer = await makeTestSigner('entra-test-key');
});

const b64u = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Entra's v2 ID token for `user` and `clientId` (the claims a v2 ID token carries). */
function idTokenFor(user: User, clientId: string): Promise<string> {
  return signer.idToken(
    { oid: user.oid, tid: TENANT_ID, preferred_username: user.username, name: user.username.split('@')[0], ver: '2.0' },
    { issuer: entraMetadata().issuer, audience: clientId, subject: `pairwise-${user.oid}-${clientId}` },
  );
}

/** Entra's answer to a user's token request: `foci: "1"` when the app is in the family. */
async function userTokenResponse(user: User, clientId: string, refreshToken: string, extra: Record<string, unknown> = {}) {
  return jsonResponse({
    token_type: 'Bearer',
    scope: `${USER_READ} openid profile email`,
    expires_in: 4617,
    ext_expires_in: 4617,
    access_token: `at-${user.username}-${clientId}`,
    refresh_token: refreshToken,
    id_token: await idTokenFor(user, clientId),
    client_info: b64u({ uid: user.oid, utid: TENANT_ID }),
    ...extra,
  });
}

/** The form of a recorded token request. */
const formOf = (request: RecordedRequest) => new URLSearchParams(request.init.body);

/** A fake Entra tenant: discovery, JWKS, and token answers chosen by `answer`. */
function entraTenant(answer: (form: URLSearchParams) => Promise<Response> | Response): FakeFetch {
  return fakeEntra()
    .on(entraMetadata().jwks_uri, jsonResponse({ keys: [signer.publicJwk] }))
    .on(TOKEN_URL, (request) => answer(formOf(request)));
}

const appMetadataOf = (cache: SerializableTokenCache, clientId: string) =>
  Object.values((JSON.parse(cache.serialize()).AppMetadata ?? {}) as Record<string, { client_id: string; family_id?: string }>).find((entry) => entry.client_id === clientId);

describe('family refresh tokens for an app the cache has never seen (MSAL for Python)', () => {
  it('a second family app with no app metadata lists the account, gets a token with the FRT silently, then is a family member', async () => {
    const fake = entraTenant(async (form) => {
      if (form.get('grant_type') === 'password') return userTokenResponse(ALICE, form.get('client_id')!, 'frt-from-a', { foci: '1' });
      assert.equal(form.get('refresh_token'), 'frt-from-a', 'app B redeems app A’s family refresh token');
      return userTokenResponse(ALICE, form.get('client_id')!, 'frt-from-b', { foci: '1' });
    });
    const cache = new SerializableTokenCache();
    const appA = new PublicClientApplication({ clientId: FAMILY_APP_A, authority: `${HOST}/${TENANT}`, httpClient: fake.fetch, tokenCache: cache });
    await appA.acquireTokenByUsernamePassword(ALICE.username, 'password', [USER_READ]);
    assert.equal(appMetadataOf(cache, FAMILY_APP_A)?.family_id, '1');

    const appB = new PublicClientApplication({ clientId: FAMILY_APP_B, authority: `${HOST}/${TENANT}`, httpClient: fake.fetch, tokenCache: cache });
    assert.equal(appMetadataOf(cache, FAMILY_APP_B), undefined, 'app B is new to this cache');
    const accounts = await appB.getAccounts();
    assert.deepEqual(accounts.map((account) => account.username), [ALICE.username], 'the family’s account is listed');

    const result = await appB.acquireTokenSilent([USER_READ], accounts[0]);
    assert.equal(result?.tokenSource, 'identity_provider');
    assert.equal(result?.accessToken, `at-${ALICE.username}-${FAMILY_APP_B}`);
    const refreshes = fake.requests.filter((request) => request.url === TOKEN_URL && formOf(request).get('grant_type') === 'refresh_token');
    assert.deepEqual(refreshes.map((request) => formOf(request).get('client_id')), [FAMILY_APP_B]);

    assert.equal(appMetadataOf(cache, FAMILY_APP_B)?.family_id, '1', 'app B joined the family');
    assert.deepEqual((await appB.getAccounts()).map((account) => account.username), [ALICE.username]);
    // Served from the cache now, and app A's next refresh uses the family's newest refresh token.
    assert.equal((await appB.acquireTokenSilent([USER_READ], accounts[0]))?.tokenSource, 'cache');
    const secrets = Object.values(JSON.parse(cache.serialize()).RefreshToken as Record<string, { secret: string }>).map((entry) => entry.secret);
    assert.deepEqual(secrets, ['frt-from-b'], 'one family refresh token for the account');
  });

  it('an app outside the family tries the FRT once, keeps it, records nothing, and finds no token', async () => {
    const fake = entraTenant(async (form) => {
      if (form.get('grant_type') === 'password') return userTokenResponse(ALICE, form.get('client_id')!, 'frt-from-a', { foci: '1' });
      return jsonResponse(
        {
          error: 'invalid_grant',
          error_description: 'AADSTS70000: The refresh token was issued to a client that is not in the family of this client.',
          error_codes: [70000],
          error_additional_info: ['client_mismatch'],
          correlation_id: 'c0ffee00-0000-4000-8000-000000000000',
        },
        400,
      );
    });
    const cache = new SerializableTokenCache();
    const appA = new PublicClientApplication({ clientId: FAMILY_APP_A, authority: `${HOST}/${TENANT}`, httpClient: fake.fetch, tokenCache: cache });
    const { account } = await appA.acquireTokenByUsernamePassword(ALICE.username, 'password', [USER_READ]);

    const orphan = new PublicClientApplication({ clientId: ORPHAN_APP, authority: `${HOST}/${TENANT}`, httpClient: fake.fetch, tokenCache: cache });
    assert.equal(await orphan.acquireTokenSilent([USER_READ], account), undefined);
    assert.equal(await orphan.acquireTokenSilentWithError([USER_READ], account), undefined, 'a refused family attempt is no error of this app’s');
    const secrets = Object.values(JSON.parse(cache.serialize()).RefreshToken as Record<string, { secret: string }>).map((entry) => entry.secret);
    assert.deepEqual(secrets, ['frt-from-a'], 'the family refresh token stays (it is app A’s)');
    assert.equal(appMetadataOf(cache, ORPHAN_APP), undefined);
  });

  it('an app on record as outside any family never sends the FRT', async () => {
    const fake = entraTenant(async (form) => userTokenResponse(ALICE, form.get('client_id')!, 'frt-from-a', { foci: '1' }));
    const cache = new SerializableTokenCache();
    const appA = new PublicClientApplication({ clientId: FAMILY_APP_A, authority: `${HOST}/${TENANT}`, httpClient: fake.fetch, tokenCache: cache });
    const { account } = await appA.acquireTokenByUsernamePassword(ALICE.username, 'password', [USER_READ]);
    const root = JSON.parse(cache.serialize());
    root.AppMetadata[`appmetadata-login.microsoftonline.com-${ORPHAN_APP}`] = { client_id: ORPHAN_APP, environment: 'login.microsoftonline.com' };
    cache.deserialize(JSON.stringify(root));
    const orphan = new PublicClientApplication({ clientId: ORPHAN_APP, authority: `${HOST}/${TENANT}`, httpClient: fake.fetch, tokenCache: cache });
    const before = fake.count(TOKEN_URL);
    assert.deepEqual(await orphan.getAccounts(), []);
    assert.equal(await orphan.acquireTokenSilent([USER_READ], account), undefined);
    assert.equal(fake.count(TOKEN_URL), before);
  });
});

describe('B2C tfp authorities keep their policy', () => {
  const AUTHORITY = 'https://fabrikamb2c.b2clogin.com/tfp/fabrikamb2c.onmicrosoft.com/B2C_1_SUSI';
  const DISCOVERY = `${AUTHORITY}/v2.0/.well-known/openid-configuration`;
  const B2C_TENANT_ID = '775527ff-9a37-4307-8b3d-cc311f58d925';
  /** B2C's document for a tfp authority: endpoints under the tenant domain and the lower-cased policy, no tfp. */
  const b2cMetadata = {
    issuer: `https://fabrikamb2c.b2clogin.com/${B2C_TENANT_ID}/v2.0/`,
    authorization_endpoint: 'https://fabrikamb2c.b2clogin.com/fabrikamb2c.onmicrosoft.com/b2c_1_susi/oauth2/v2.0/authorize',
    token_endpoint: 'https://fabrikamb2c.b2clogin.com/fabrikamb2c.onmicrosoft.com/b2c_1_susi/oauth2/v2.0/token',
    end_session_endpoint: 'https://fabrikamb2c.b2clogin.com/fabrikamb2c.onmicrosoft.com/b2c_1_susi/oauth2/v2.0/logout',
    jwks_uri: 'https://fabrikamb2c.b2clogin.com/fabrikamb2c.onmicrosoft.com/b2c_1_susi/discovery/v2.0/keys',
    response_modes_supported: ['query', 'fragment', 'form_post'],
    scopes_supported: ['openid'],
  };

  it('parses to the whole path, discovered at <authority>/v2.0/.well-known/openid-configuration', () => {
    const parsed = parseAuthority({ authority: `${AUTHORITY}/` });
    assert.equal(parsed.type, 'B2C');
    assert.equal(parsed.url.href, AUTHORITY);
    assert.equal(parsed.tenant, 'fabrikamb2c.onmicrosoft.com');
    assert.equal(parsed.discoveryUrl, DISCOVERY);
    assert.equal(parseAuthority({ authority: `${HOST}/tfp/contoso.onmicrosoft.com/B2C_1_x` }).type, 'B2C', 'tfp on another host, known by its policy');
    assert.throws(() => parseAuthority({ authority: 'https://fabrikamb2c.b2clogin.com/tfp/fabrikamb2c.onmicrosoft.com' }), { code: 'invalid_authority' });
  });

  it('requests that discovery URL and files tokens under the tenant, as the token endpoint names it', async () => {
    const fake = new FakeFetch()
      .on(DISCOVERY, jsonResponse(b2cMetadata))
      .on(b2cMetadata.token_endpoint, jsonResponse({ access_token: 'b2c-at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'b2c-rt', scope: 'https://fabrikamb2c.onmicrosoft.com/api/read' }));
    const cache = new SerializableTokenCache();
    const app = new PublicClientApplication({ clientId: 'b2c-app', authority: AUTHORITY, httpClient: fake.fetch, tokenCache: cache });
    await app.acquireTokenByRefreshToken('migrated-rt', ['https://fabrikamb2c.onmicrosoft.com/api/read']);
    assert.deepEqual(fake.requests.map((request) => request.url), [DISCOVERY, b2cMetadata.token_endpoint]);
    const [accessToken] = Object.values(JSON.parse(cache.serialize()).AccessToken as Record<string, { realm: string }>);
    assert.equal(accessToken.realm, 'fabrikamb2c.onmicrosoft.com');
  });
});

describe('throttling as Entra sends it', () => {
  const SCOPE = 'api://backend/.default';

  function confidentialApp(fake: FakeFetch) {
    return new ConfidentialClientApplication({ clientId: 'daemon', clientCredential: 'secret', authority: `${HOST}/${TENANT}`, httpClient: fake.fetch });
  }

  it('the first plain-text 429 is a ThrottledError with its status and the default 5 s; the next call sends nothing', async () => {
    const fake = fakeEntra().on(TOKEN_URL, textResponse('Too Many Requests', 429));
    const app = confidentialApp(fake);
    const sentAt = Date.now();
    const first = await rejectsWithCode(app.acquireTokenForClient([SCOPE]), 'throttled');
    assert.ok(first instanceof ThrottledError);
    assert.equal(first.status, 429);
    assert.ok(first.retryAfter >= sentAt + DEFAULT_THROTTLE_MS && first.retryAfter <= Date.now() + DEFAULT_THROTTLE_MS, 'MSAL for Python’s 5 s');
    const second = await rejectsWithCode(app.acquireTokenForClient([SCOPE]), 'throttled');
    assert.equal((second as ThrottledError).status, undefined, 'a later call is throttled without an answer');
    assert.equal(fake.count(TOKEN_URL), 1);
  });

  it('a plain-text 429 with Retry-After waits what it says', async () => {
    const fake = fakeEntra().on(TOKEN_URL, textResponse('Too Many Requests', 429, { 'retry-after': '30' }));
    const sentAt = Date.now();
    const err = await rejectsWithCode(confidentialApp(fake).acquireTokenForClient([SCOPE]), 'throttled');
    assert.ok((err as ThrottledError).retryAfter >= sentAt + 30_000 && (err as ThrottledError).retryAfter <= Date.now() + 30_000);
  });

  it('a 503 with an OAuth error body is a ServerError carrying status and retryAfter', async () => {
    const fake = fakeEntra().on(TOKEN_URL, jsonResponse({ error: 'temporarily_unavailable', error_description: 'AADSTS90078: try again', error_codes: [90078] }, 503, { 'retry-after': '7' }));
    const app = confidentialApp(fake);
    const err = await rejectsWithCode(app.acquireTokenForClient([SCOPE]), 'server_error');
    assert.ok(err instanceof ServerError);
    assert.equal(err.status, 503);
    assert.ok(err.retryAfter !== undefined && err.retryAfter > Date.now() + 6_000);
    await rejectsWithCode(app.acquireTokenForClient([SCOPE]), 'throttled');
    assert.equal(fake.count(TOKEN_URL), 1);
  });

  it('one account’s 429 does not throttle another account of the same client and scope', async () => {
    let throttleAlice = false;
    const fake = entraTenant(async (form) => {
      if (form.get('grant_type') === 'password') {
        const user = form.get('username') === ALICE.username ? ALICE : BOB;
        return userTokenResponse(user, form.get('client_id')!, `rt-${user.username}`);
      }
      if (throttleAlice && form.get('refresh_token') === `rt-${ALICE.username}`) return textResponse('Too Many Requests', 429);
      const user = form.get('refresh_token') === `rt-${ALICE.username}` ? ALICE : BOB;
      return userTokenResponse(user, form.get('client_id')!, `rt-${user.username}`);
    });
    const app = new PublicClientApplication({ clientId: FAMILY_APP_A, authority: `${HOST}/${TENANT}`, httpClient: fake.fetch });
    const alice = (await app.acquireTokenByUsernamePassword(ALICE.username, 'password', [USER_READ])).account as Account;
    const bob = (await app.acquireTokenByUsernamePassword(BOB.username, 'password', [USER_READ])).account as Account;
    throttleAlice = true;
    const err = await rejectsWithCode(app.acquireTokenSilent([USER_READ], alice, { forceRefresh: true }), 'throttled');
    assert.equal((err as ThrottledError).status, 429, 'not swallowed as "no token": the app must not prompt the user for it');
    const served = await app.acquireTokenSilent([USER_READ], bob, { forceRefresh: true });
    assert.equal(served?.tokenSource, 'identity_provider', 'Bob is served');
    const requests = fake.count(TOKEN_URL);
    await rejectsWithCode(app.acquireTokenSilent([USER_READ], alice, { forceRefresh: true }), 'throttled');
    assert.equal(fake.count(TOKEN_URL), requests, 'Alice stays throttled without a request');
    const throttleKeys = [...(app.httpCache as Map<string, unknown>).keys()].filter((key) => key.startsWith('throttle:'));
    assert.ok(throttleKeys.every((key) => !key.includes(`rt-${ALICE.username}`)), 'the key holds a hash, never the refresh token');
  });
});

describe('regional endpoints: MSAL’s host table', () => {
  const authorityAt = (host: string) =>
    new Authority(`https://${host}/${TENANT}`, 'AAD', host, TENANT, { issuer: `https://${host}/${TENANT_ID}/v2.0`, authorization_endpoint: `https://${host}/${TENANT}/oauth2/v2.0/authorize`, token_endpoint: `https://${host}/${TENANT}/oauth2/v2.0/token` }, [host]);
  for (const [host, regional] of [
    ['login.microsoftonline.com', 'westus2.login.microsoft.com'],
    ['login.microsoft.com', 'westus2.login.microsoft.com'],
    ['login.windows.net', 'westus2.login.microsoft.com'],
    ['sts.windows.net', 'westus2.login.microsoft.com'],
    ['login.chinacloudapi.cn', 'westus2.login.chinacloudapi.cn'],
    ['login.microsoftonline.us', 'westus2.login.microsoftonline.us'],
  ] as const) {
    it(`${host} → ${regional}`, () => {
      assert.equal(regionalTokenEndpoint(authorityAt(host), 'westus2'), `https://${regional}/${TENANT}/oauth2/v2.0/token`);
    });
  }

  it('an authority on sts.windows.net sends client credentials to <region>.login.microsoft.com', async () => {
    const sts = 'https://sts.windows.net';
    const fake = new FakeFetch()
      .on(`${sts}/${TENANT}/v2.0/.well-known/openid-configuration`, jsonResponse(entraMetadata(sts)))
      .on(`https://westus2.login.microsoft.com/${TENANT}/oauth2/v2.0/token`, jsonResponse({ access_token: 'regional', token_type: 'Bearer', expires_in: 3599 }));
    const app = new ConfidentialClientApplication({ clientId: 'daemon', clientCredential: 'secret', authority: `${sts}/${TENANT}`, azureRegion: 'westus2', httpClient: fake.fetch });
    assert.equal((await app.acquireTokenForClient(['api://backend/.default'])).accessToken, 'regional');
  });
});

describe('a token response without expires_in', () => {
  it('is stored for 600 s, as MSAL for Python stores it', async () => {
    const fake = fakeEntra().on(TOKEN_URL, jsonResponse({ access_token: 'no-expiry', token_type: 'Bearer' }));
    const cache = new SerializableTokenCache();
    const app = new ConfidentialClientApplication({ clientId: 'daemon', clientCredential: 'secret', authority: `${HOST}/${TENANT}`, httpClient: fake.fetch, tokenCache: cache });
    const issuedAt = Math.floor(Date.now() / 1000);
    const result = await app.acquireTokenForClient(['api://backend/.default']);
    assert.equal(result.expiresIn, 600);
    const [entry] = Object.values(JSON.parse(cache.serialize()).AccessToken as Record<string, { expires_on: string; cached_at: string }>);
    assert.equal(Number(entry.expires_on) - Number(entry.cached_at), 600);
    assert.ok(Number(entry.cached_at) >= issuedAt);
  });
});
