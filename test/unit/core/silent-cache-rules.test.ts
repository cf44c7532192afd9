/**
 * The rules a silent call lives by, offline: one realm for the writer and the reader whatever
 * the issuer's shape, one refresh token per account whichever MSAL library wrote the others,
 * the likeliest refresh token first with the next one tried after a refusal, and a refused
 * refresh counted as needing the user. Proven against real servers in test/integration.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storeAndBuildResult } from '../../../src/core/authentication-result.js';
import type { Authority } from '../../../src/core/authority.js';
import { ConfidentialClientApplication } from '../../../src/core/confidential-client-application.js';
import { PublicClientApplication } from '../../../src/core/public-client-application.js';
import { SerializableTokenCache } from '../../../src/core/cache/index.js';
import { cacheRealmOf, realmsToSearch } from '../../../src/core/cache-realm.js';
import { isInteractionRequired, isRefreshTokenDead, ServerError } from '../../../src/core/errors.js';
import { idToken } from './cache/fixtures.js';
import { FakeFetch, jsonResponse } from './fakes.js';

const CLIENT = 'vscode';
const SUB = '248289761001';
const API = 'api://demo/read';

/** A generic issuer's discovery document, endpoints under `issuer` (with or without its slash). */
function discovery(issuer: string) {
  const base = issuer.replace(/\/+$/, '');
  return { issuer, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/oauth/token`, jwks_uri: `${base}/jwks` };
}

describe('one realm for the writer and the reader, whatever the issuer shape', () => {
  const shapes = [
    ['a host root without a slash', 'https://tenant.example'],
    ['a host root with a slash', 'https://tenant.example/'],
    ['a sub-path', 'https://sso.example/realms/dev'],
    ['a nested sub-path', 'https://org.example/oauth2/default'],
  ] as const;
  for (const [name, issuer] of shapes) {
    for (const tid of [undefined, 'a-tenant-id']) {
      it(`${name}${tid ? ', ID token with tid' : ''}: the token a sign-in stored is served with no request`, async () => {
        const base = issuer.replace(/\/+$/, '');
        const claims = { iss: issuer, sub: SUB, aud: CLIENT, email: 'jane@example.com', iat: 1, exp: 4_000_000_000, ...(tid ? { tid } : {}) };
        const fake = new FakeFetch()
          .on(`${base}/.well-known/openid-configuration`, jsonResponse(discovery(issuer)))
          .on(`${base}/oauth/token`, jsonResponse({ access_token: 'refreshed', token_type: 'Bearer', expires_in: 3600 }));
        const cache = new SerializableTokenCache();
        const app = new PublicClientApplication({ clientId: CLIENT, oidcAuthority: issuer, httpClient: fake.fetch, tokenCache: cache });
        // The writer the sign-ins use, given a response as the server sends it (ID token claims pre-validated).
        storeAndBuildResult(
          app,
          await (app as unknown as { getAuthority(): Promise<Authority> }).getAuthority(),
          { grantType: 'authorization_code', response: { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt', id_token: idToken(claims), scope: API }, idTokenClaims: claims },
          { scopes: [API], correlationId: 'correlation' },
        );
        const requestsBefore = fake.requests.length;
        const [account] = await app.getAccounts();
        assert.ok(account, 'the account is listed');
        for (let i = 0; i < 5; i++) assert.equal((await app.acquireTokenSilent([API], account))?.tokenSource, 'cache');
        assert.equal(fake.requests.length, requestsBefore, 'no request while the access token is valid');
      });
    }
  }

  it('client credentials at a host root: the second call is served from the cache', async () => {
    const fake = new FakeFetch()
      .on('https://tenant.example/.well-known/openid-configuration', jsonResponse(discovery('https://tenant.example/')))
      .on('https://tenant.example/oauth/token', jsonResponse({ access_token: 'app', token_type: 'Bearer', expires_in: 3600 }));
    const app = new ConfidentialClientApplication({ clientId: CLIENT, clientCredential: 'secret', oidcAuthority: 'https://tenant.example/', httpClient: fake.fetch });
    assert.equal((await app.acquireTokenForClient([API])).tokenSource, 'identity_provider');
    assert.equal((await app.acquireTokenForClient([API])).tokenSource, 'cache');
    assert.equal(fake.count('https://tenant.example/oauth/token'), 1);
  });

  for (const grantedScope of ['openid profile offline_access', '']) {
    it(`no scopes asks for the OpenID scopes alone, and that token is served from the cache (granted scope ${JSON.stringify(grantedScope)})`, async () => {
      const fake = new FakeFetch()
        .on('https://tenant.example/.well-known/openid-configuration', jsonResponse(discovery('https://tenant.example/')))
        .on('https://tenant.example/oauth/token', jsonResponse({ access_token: 'userinfo-token', token_type: 'Bearer', expires_in: 3600, scope: grantedScope }));
      const cache = new SerializableTokenCache();
      cache.deserialize(JSON.stringify({ RefreshToken: { k: { home_account_id: SUB, environment: 'tenant.example', credential_type: 'RefreshToken', client_id: CLIENT, secret: 'rt' } } }));
      const app = new PublicClientApplication({ clientId: CLIENT, oidcAuthority: 'https://tenant.example/', httpClient: fake.fetch, tokenCache: cache });
      const account = { homeAccountId: SUB, environment: 'tenant.example', realm: '', localAccountId: SUB, username: '', authorityType: 'Generic' as const };
      const refreshed = await app.acquireTokenSilent([], account);
      assert.equal(refreshed?.accessToken, 'userinfo-token');
      // The cache held no account entry, so the result's account is made from what is known; a
      // generic issuer's account is 'Generic' there too, as the cache files it.
      assert.equal(refreshed?.account?.authorityType, 'Generic');
      assert.equal(new URLSearchParams(fake.requests.at(-1)!.init.body).get('scope'), 'openid profile offline_access');
      assert.equal((await app.acquireTokenSilent([], account))?.tokenSource, 'cache');
      assert.equal(fake.count('https://tenant.example/oauth/token'), 1);
    });
  }
});

describe('the realm rule', () => {
  const authority = (type: 'AAD' | 'OIDC' | 'B2C', tenant: string, isMultiTenant = false, tokenTenant = tenant) => ({
    type,
    tenant,
    isMultiTenant,
    metadata: { issuer: '', authorization_endpoint: '', token_endpoint: `https://login.example/${tokenTenant}/oauth2/v2.0/token` },
  });
  const account = { homeAccountId: 'uid.home-tenant', realm: 'msal-node-tid' };

  it("writes under the discovered token endpoint's tenant (Entra) or the issuer path; '' at a host root", () => {
    assert.equal(cacheRealmOf(authority('AAD', 'organizations', true)), 'organizations');
    assert.equal(cacheRealmOf(authority('OIDC', 'realms/dev')), 'realms/dev');
    assert.equal(cacheRealmOf(authority('OIDC', '')), '');
    // A tenant named by its domain is discovered under its id: MSAL for Python and msal-node file it there.
    assert.equal(cacheRealmOf(authority('AAD', 'contoso.onmicrosoft.com', false, 'tenant-guid')), 'tenant-guid');
    // An OpenID Connect issuer's token endpoint path says nothing about the realm.
    assert.equal(cacheRealmOf(authority('OIDC', 'realms/dev', false, 'oauth')), 'realms/dev');
  });

  it("reads msal-node's tid realms through common/organizations and at OpenID Connect issuers, never at one Entra tenant", () => {
    assert.deepEqual(realmsToSearch(authority('AAD', 'organizations', true), account), ['organizations', 'msal-node-tid', 'home-tenant']);
    assert.deepEqual(realmsToSearch(authority('OIDC', ''), account), ['', 'msal-node-tid']);
    assert.deepEqual(realmsToSearch(authority('AAD', 'contoso-id'), account), ['contoso-id']);
    assert.deepEqual(realmsToSearch(authority('B2C', 'contoso.onmicrosoft.com'), account), ['contoso.onmicrosoft.com']);
    assert.deepEqual(realmsToSearch(authority('AAD', 'common', true), { homeAccountId: 'sub-only', realm: 'COMMON' }), ['common']);
  });
});

describe('one refresh token per account, whichever MSAL library wrote the others', () => {
  const HOME = 'uid.utid';
  const ENV = 'login.example.com';
  const rt = (secret: string, extra: Record<string, unknown> = {}) => ({
    home_account_id: HOME,
    environment: ENV,
    credential_type: 'RefreshToken',
    client_id: CLIENT,
    secret,
    ...extra,
  });
  const event = (refreshToken: string, extra: Record<string, unknown> = {}) => ({
    clientId: CLIENT,
    scope: [API],
    tokenEndpoint: `https://${ENV}/contoso/oauth2/v2.0/token`,
    response: { access_token: 'at', expires_in: 3600, refresh_token: refreshToken, client_info: Buffer.from('{"uid":"uid","utid":"utid"}').toString('base64url'), ...extra },
  });

  it('storing one removes the others of the client, under msal-node’s, MSAL for Python’s and older keys', () => {
    const cache = new SerializableTokenCache();
    cache.deserialize(
      JSON.stringify({
        RefreshToken: {
          [`${HOME}-${ENV}-refreshtoken-${CLIENT}---`]: rt('msal-node-rt'),
          [`${HOME}-${ENV}-refreshtoken-${CLIENT}--`]: rt('older-rt'),
          [`${HOME}-${ENV}-refreshtoken-${CLIENT}--other scopes`]: rt('python-rt', { target: 'other scopes', last_modification_time: '5' }),
          [`${HOME}-${ENV}-refreshtoken-another-client--`]: rt('another-rt', { client_id: 'another-client' }),
        },
      }),
    );
    cache.add(event('ours'));
    const left = Object.values(JSON.parse(cache.serialize()).RefreshToken as Record<string, { secret: string }>).map((entry) => entry.secret);
    assert.deepEqual(left.sort(), ['another-rt', 'ours']);
  });

  it('a family refresh token replaces the family’s others, a sibling app’s too', () => {
    const cache = new SerializableTokenCache();
    cache.deserialize(JSON.stringify({ RefreshToken: { a: rt('sibling-frt', { client_id: 'sibling', family_id: '1' }), b: rt('own-rt') } }));
    cache.add(event('new-frt', { foci: '1' }));
    const left = Object.values(JSON.parse(cache.serialize()).RefreshToken as Record<string, { secret: string }>).map((entry) => entry.secret);
    assert.deepEqual(left, ['new-frt']);
  });

  it('readers get an untimed entry (msal-node wrote it after us) first, another library’s key before ours, then the newest', () => {
    const cache = new SerializableTokenCache();
    const query = { homeAccountId: HOME, environments: [ENV], clientId: CLIENT };
    // What msal-node leaves after refreshing a cache written by an older version of ours: our entry
    // (timed) first, its own (untimed) after.
    cache.deserialize(
      JSON.stringify({
        RefreshToken: { [`${HOME}-${ENV}-refreshtoken-${CLIENT}--`]: rt('stale', { target: API, last_modification_time: '300' }), [`${HOME}-${ENV}-refreshtoken-${CLIENT}---`]: rt('fresh') },
      }),
    );
    assert.deepEqual(cache.findRefreshTokens(query).map((entry) => entry.secret), ['fresh', 'stale']);
    cache.deserialize(
      JSON.stringify({ RefreshToken: { [`${HOME}-${ENV}-refreshtoken-${CLIENT}---`]: rt('untimed-ours'), x: rt('old', { last_modification_time: '100' }), y: rt('new', { last_modification_time: '200' }), z: rt('untimed-foreign') } }),
    );
    assert.deepEqual(cache.findRefreshTokens(query).map((entry) => entry.secret), ['untimed-foreign', 'untimed-ours', 'new', 'old']);
  });

  it('a refused refresh token is dropped and the next one tried; a 5xx drops nothing', async () => {
    const issuer = 'https://tenant.example/';
    const fake = new FakeFetch()
      .on('https://tenant.example/.well-known/openid-configuration', jsonResponse(discovery(issuer)))
      .on(
        'https://tenant.example/oauth/token',
        // Retry-After 0: not throttled, so that the next call may send `newest` again (without it a 5xx throttles 5 s, see http.test.ts).
        jsonResponse({ error: 'temporarily_unavailable' }, 503, { 'retry-after': '0' }),
        jsonResponse({ error: 'invalid_grant' }, 400),
        jsonResponse({ access_token: 'from-the-second', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rotated' }),
      );
    const cache = new SerializableTokenCache();
    const entry = (secret: string, time: string) => ({ home_account_id: SUB, environment: 'tenant.example', credential_type: 'RefreshToken', client_id: CLIENT, secret, last_modification_time: time });
    cache.deserialize(JSON.stringify({ RefreshToken: { a: entry('newest', '200'), b: entry('older', '100') } }));
    const app = new PublicClientApplication({ clientId: CLIENT, oidcAuthority: issuer, httpClient: fake.fetch, tokenCache: cache });
    const account = { homeAccountId: SUB, environment: 'tenant.example', realm: '', localAccountId: SUB, username: '', authorityType: 'Generic' as const };
    const secrets = () => Object.values(JSON.parse(cache.serialize()).RefreshToken as Record<string, { secret: string }>).map((e) => e.secret).sort();

    // 503 on the newest, then 400 on the older: the 5xx drops nothing, the refusal drops the older.
    await assert.rejects(app.acquireTokenSilentWithError([API], account), (err) => err instanceof ServerError && err.error === 'invalid_grant' && isInteractionRequired(err));
    assert.deepEqual(secrets(), ['newest']);
    const sent = fake.requests.filter((r) => r.init.method === 'POST').map((r) => new URLSearchParams(r.init.body).get('refresh_token'));
    assert.deepEqual(sent, ['newest', 'older'], 'newest first, then the next');

    const result = await app.acquireTokenSilent([API], account);
    assert.equal(result?.accessToken, 'from-the-second');
    assert.deepEqual(secrets(), ['rotated']);
  });
});

describe('a refused refresh needs the user', () => {
  const refused = (fields: Partial<ConstructorParameters<typeof ServerError>[0]>) =>
    new ServerError({ error: 'invalid_request', status: 400, grantType: 'refresh_token', ...fields });

  it('any 4xx OAuth error to the refresh-token grant, whatever its code (LemonLDAP::NG says invalid_request)', () => {
    for (const error of ['invalid_request', 'invalid_grant', 'unauthorized_client', 'invalid_scope', 'anything']) {
      assert.equal(isInteractionRequired(refused({ error })), true, error);
    }
    assert.equal(isInteractionRequired(refused({ status: 401, error: 'invalid_client' })), true);
  });

  it('not a 429, a 5xx, or the same error from another grant', () => {
    assert.equal(isInteractionRequired(refused({ status: 429 })), false);
    assert.equal(isInteractionRequired(refused({ status: 500, error: 'server_error' })), false);
    assert.equal(isInteractionRequired(refused({ grantType: 'client_credentials' })), false);
    assert.equal(isInteractionRequired(refused({ grantType: undefined })), false);
  });

  it('the refresh token is dead only when the refusal is about the token', () => {
    assert.equal(isRefreshTokenDead(refused({ error: 'invalid_grant' })), true);
    assert.equal(isRefreshTokenDead(refused({ error: 'invalid_request' })), true);
    assert.equal(isRefreshTokenDead(refused({ error: 'invalid_grant', suberror: 'bad_token', errorCodes: [9002313] })), true);
    assert.equal(isRefreshTokenDead(refused({ error: 'invalid_grant', errorCodes: [700082] })), true, 'Entra: expired by inactivity');
    assert.equal(isRefreshTokenDead(refused({ error: 'invalid_grant', errorCodes: [50076] })), false, 'Entra: MFA needed, the token still serves other scopes');
    assert.equal(isRefreshTokenDead(refused({ error: 'invalid_grant', claims: '{"access_token":{}}' })), false, 'a claims challenge');
    assert.equal(isRefreshTokenDead(refused({ error: 'invalid_scope' })), false, 'a scope the client may not have');
    assert.equal(isRefreshTokenDead(refused({ error: 'invalid_grant', status: 503 })), false);
  });

  it('nor when the refusal is about the DPoP proof or the key the token is bound to', () => {
    assert.equal(isRefreshTokenDead(refused({ error: 'invalid_dpop_proof' })), false);
    assert.equal(isRefreshTokenDead(refused({ error: 'use_dpop_nonce' })), false);
    assert.equal(isRefreshTokenDead(refused({ error: 'invalid_grant', errorDescription: 'DPoP proof key thumbprint does not match' })), false);
    assert.equal(isRefreshTokenDead(refused({ error: 'invalid_grant', errorDescription: 'failed jkt verification' })), false);
    assert.equal(isRefreshTokenDead(refused({ error: 'invalid_grant', errorDescription: 'grant request is invalid' })), true, "oidc-provider's words for both: a dead token");
    assert.equal(isInteractionRequired(refused({ error: 'invalid_grant', errorDescription: 'failed jkt verification' })), true, 'the request still needs the user');
  });
});

describe('tokens of another scheme are never served to a Bearer request', () => {
  const HOME = 'uid.utid';
  const at = (secret: string, extra: Record<string, unknown> = {}) => ({
    home_account_id: HOME,
    environment: 'login.example.com',
    credential_type: 'AccessToken',
    client_id: CLIENT,
    realm: 'contoso',
    target: 's1 s2 s3',
    secret,
    cached_at: '1000',
    expires_on: '9000',
    ...extra,
  });
  const query = { homeAccountId: HOME, environments: ['login.example.com'], clientId: CLIENT, realm: 'contoso', scopes: ['s1'], now: 1000 };

  it('msal-node’s AccessToken_With_AuthScheme, a pop or dpop token_type, a key-bound token', () => {
    const cache = new SerializableTokenCache();
    cache.deserialize(
      JSON.stringify({
        AccessToken: {
          a: at('with-auth-scheme', { credential_type: 'AccessToken_With_AuthScheme', token_type: 'Bearer' }),
          b: at('pop', { token_type: 'pop' }),
          c: at('dpop', { token_type: 'DPoP' }),
          d: at('key-bound', { key_id: 'THUMB' }),
        },
      }),
    );
    assert.equal(cache.findAccessToken(query), undefined);
    assert.equal(cache.findAccessToken({ ...query, keyId: 'THUMB' })?.secret, 'key-bound');
    assert.equal(cache.findAccessToken({ ...query, tokenType: 'pop' })?.secret, 'pop');
  });

  it('key_id from the request data is stored, keyed apart, and found by a search that names it (MSAL for Python)', () => {
    const cache = new SerializableTokenCache();
    const add = (keyId: string | undefined, secret: string) =>
      cache.add(
        {
          clientId: CLIENT,
          scope: ['s2', 's1', 's3'],
          tokenEndpoint: 'https://login.example.com/contoso/v2/token',
          response: { client_info: Buffer.from('{"uid":"uid","utid":"utid"}').toString('base64url'), access_token: secret, expires_in: 3600 },
          ...(keyId ? { data: { key_id: keyId } } : {}),
        },
        1000,
      );
    add(undefined, 'bearer');
    add('1', 'bound-1');
    add('2', 'bound-2');
    assert.equal(Object.keys(JSON.parse(cache.serialize()).AccessToken).length, 3);
    const base = { home_account_id: HOME, environment: 'login.example.com', client_id: CLIENT, realm: 'contoso' };
    assert.deepEqual(cache.search('AccessToken', { query: base, target: ['s1'], now: 1000 }).map((e) => e.secret), ['bearer']);
    assert.deepEqual(cache.search('AccessToken', { query: { ...base, key_id: '2' }, now: 1000 }).map((e) => e.secret), ['bound-2']);
  });

  it('add({}) stores nothing and is no error; it counts as a change (MSAL for Python)', () => {
    const cache = new SerializableTokenCache();
    cache.add({} as never);
    assert.equal(cache.hasStateChanged, true);
    assert.equal(cache.serialize(), '{}');
  });
});
