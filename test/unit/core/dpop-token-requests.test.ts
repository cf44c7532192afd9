/**
 * DPoP in the applications, offline: the proof on a token request and the one retry a
 * `use_dpop_nonce` answer allows (a second one is a `dpop_nonce_loop`), the cache rules of DPoP
 * tokens (filed under their key, never served to Bearer lookups or another key), the refresh
 * tokens bound to a key (sent only with a proof of it, never lost to a Bearer request), and Bearer
 * requests for an issuer that advertises no DPoP. Proven end to end in
 * test/integration/dpop-applications.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Account } from '../../../src/core/account.js';
import { storeAndBuildResult } from '../../../src/core/authentication-result.js';
import type { Authority } from '../../../src/core/authority.js';
import { SerializableTokenCache } from '../../../src/core/cache/serializable-token-cache.js';
import { MemoryDpopKeyStore } from '../../../src/core/dpop-keys.js';
import { type DpopKey, dpopThumbprint, generateDpopKey } from '../../../src/core/dpop.js';
import { PublicClientApplication } from '../../../src/core/public-client-application.js';
import { clientInfo } from './cache/fixtures.js';
import { FakeFetch, jsonResponse, rejectsWithCode } from './fakes.js';

const ISSUER = 'https://idp.example';
const TOKEN = `${ISSUER}/token`;
const CLIENT = 'client';

function fakeIssuer(dpop: boolean): FakeFetch {
  return new FakeFetch().on(`${ISSUER}/.well-known/openid-configuration`, jsonResponse({
    issuer: ISSUER, authorization_endpoint: `${ISSUER}/authorize`, token_endpoint: TOKEN, jwks_uri: `${ISSUER}/jwks`,
    ...(dpop ? { dpop_signing_alg_values_supported: ['ES256'] } : {}),
  }));
}

const makeApp = (fake: FakeFetch, tokenCache = new SerializableTokenCache()) =>
  new PublicClientApplication({ clientId: CLIENT, oidcAuthority: ISSUER, httpClient: fake.fetch, tokenCache, dpop: { keys: new MemoryDpopKeyStore() } });

const dpopToken = { access_token: 'dpop-at', token_type: 'DPoP', expires_in: 3600 };
const proofsSent = (fake: FakeFetch) => fake.requests.filter((r) => r.url === TOKEN).map((r) => r.init.headers.dpop);

describe('DPoP token requests', () => {
  it('carry a proof for the token endpoint; use_dpop_nonce is retried once with the nonce, which later requests reuse', async () => {
    const fake = fakeIssuer(true).on(TOKEN, jsonResponse({ error: 'use_dpop_nonce' }, 400, { 'DPoP-Nonce': 'n1' }), jsonResponse(dpopToken));
    const app = makeApp(fake);
    const result = await app.acquireTokenByRefreshToken('rt', ['api']);
    assert.equal(result.tokenType, 'DPoP');
    const [first, second] = proofsSent(fake);
    assert.ok(first && second);
    assert.deepEqual([decodeJwt(first).nonce, decodeJwt(second).nonce], [undefined, 'n1']);
    assert.deepEqual([decodeJwt(second).htm, decodeJwt(second).htu], ['POST', TOKEN]);
    assert.equal(decodeProtectedHeader(second).typ, 'dpop+jwt');
    await app.acquireTokenByRefreshToken('rt', ['api']);
    assert.equal(proofsSent(fake).length, 3, 'no retry once the nonce is known');
    assert.equal(decodeJwt(proofsSent(fake)[2]!).nonce, 'n1');
  });

  it('a second use_dpop_nonce after the retry is a dpop_nonce_loop', async () => {
    const fake = fakeIssuer(true).on(TOKEN, jsonResponse({ error: 'use_dpop_nonce' }, 400, { 'DPoP-Nonce': 'n1' }), jsonResponse({ error: 'use_dpop_nonce' }, 400, { 'DPoP-Nonce': 'n2' }));
    await rejectsWithCode(makeApp(fake).acquireTokenByRefreshToken('rt', ['api']), 'dpop_nonce_loop');
    assert.equal(proofsSent(fake).length, 2);
  });

  it('another error that brings a nonce is handed on unchanged, without a retry', async () => {
    const fake = fakeIssuer(true).on(TOKEN, jsonResponse({ error: 'invalid_grant', error_description: 'bound to another key' }, 400, { 'DPoP-Nonce': 'n1' }));
    await assert.rejects(makeApp(fake).acquireTokenByRefreshToken('rt', ['api']), { code: 'server_error', error: 'invalid_grant' });
    assert.equal(proofsSent(fake).length, 1);
  });

  it('are plain Bearer requests when the issuer advertises no ES256 DPoP', async () => {
    const fake = fakeIssuer(false).on(TOKEN, jsonResponse({ access_token: 'at', token_type: 'Bearer', expires_in: 3600 }));
    const result = await makeApp(fake).acquireTokenByRefreshToken('rt', ['api']);
    assert.equal(result.tokenType, 'Bearer');
    assert.deepEqual(proofsSent(fake), [undefined]);
  });
});

describe('DPoP tokens in the cache', () => {
  it('are filed as AccessToken_With_AuthScheme under their key, served only to lookups naming DPoP and that key', async () => {
    const fake = fakeIssuer(true);
    const cache = new SerializableTokenCache();
    const app = makeApp(fake, cache);
    const authority = await (app as unknown as { getAuthority(): Promise<Authority> }).getAuthority();
    const key = await generateDpopKey();
    const claims = { iss: ISSUER, sub: 'alice', aud: CLIENT, iat: 1, exp: 4_000_000_000 };
    const store = (tokenType: string, secret: string, dpopKeyId?: string) => storeAndBuildResult(app, authority, {
      grantType: 'authorization_code',
      response: { access_token: secret, token_type: tokenType, expires_in: 3600, scope: 'api' },
      idTokenClaims: claims,
    }, { scopes: ['api'], correlationId: 'c', refreshOf: 'alice', dpopKeyId });
    store('DPoP', 'dpop-at', key.thumbprint);
    store('Bearer', 'bearer-at');
    const entries = Object.values(JSON.parse(cache.serialize()).AccessToken as Record<string, Record<string, string>>);
    assert.deepEqual(entries.map((e) => [e.secret, e.credential_type, e.token_type, e.key_id]).sort(), [
      ['bearer-at', 'AccessToken', 'Bearer', undefined],
      ['dpop-at', 'AccessToken_With_AuthScheme', 'DPoP', key.thumbprint],
    ], 'a Bearer token of the same scopes does not replace the DPoP one');
    const query = { homeAccountId: 'alice', environments: [...authority.aliases], clientId: CLIENT, realm: '', scopes: ['api'] };
    assert.equal(cache.findAccessToken(query)?.secret, 'bearer-at');
    assert.equal(cache.findAccessToken({ ...query, tokenType: 'DPoP', keyId: key.thumbprint })?.secret, 'dpop-at');
    assert.equal(cache.findAccessToken({ ...query, tokenType: 'DPoP', keyId: (await generateDpopKey()).thumbprint }), undefined);
    assert.equal(cache.findAccessToken({ ...query, keyId: key.thumbprint }), undefined, 'not as Bearer, even naming the key');
  });
});

describe('refresh tokens bound to a DPoP key', () => {
  const HOME = 'alice.tenant';
  const ENV = 'idp.example';
  const RT_KEY = `${HOME}-${ENV}-refreshtoken-${CLIENT}---`;
  const answer = (tokenType: string, refreshToken?: string) =>
    jsonResponse({ access_token: `${tokenType}-at`, token_type: tokenType, expires_in: 3600, scope: 'api', client_info: clientInfo('alice', 'tenant'), ...(refreshToken ? { refresh_token: refreshToken } : {}) });
  const refreshTokens = (cache: SerializableTokenCache) => Object.entries((JSON.parse(cache.serialize()).RefreshToken ?? {}) as Record<string, Record<string, string>>);
  const bearerApp = (fake: FakeFetch, tokenCache: SerializableTokenCache) => new PublicClientApplication({ clientId: CLIENT, oidcAuthority: ISSUER, httpClient: fake.fetch, tokenCache });
  const tokenRequests = (fake: FakeFetch) => fake.requests.filter((r) => r.url === TOKEN);
  const sentRefreshToken = (fake: FakeFetch, index: number) => new URLSearchParams(String(tokenRequests(fake)[index]?.init.body)).get('refresh_token');
  const proofKey = async (fake: FakeFetch, index: number) => {
    const proof = tokenRequests(fake)[index]?.init.headers.dpop;
    return proof === undefined ? undefined : dpopThumbprint(decodeProtectedHeader(proof).jwk!);
  };

  /**
   * A forced refresh of `app` answered with a DPoP token: it sent the refresh token `sent` with a
   * proof of `key`, and the one refresh token left is `filed`, bound to `key`.
   */
  async function expectDpopRefresh(app: PublicClientApplication, account: Account, fake: FakeFetch, cache: SerializableTokenCache, expected: { sent: string; key: DpopKey; filed: string }) {
    assert.equal((await app.acquireTokenSilentWithError(['api'], account, { forceRefresh: true }))?.tokenType, 'DPoP');
    const last = tokenRequests(fake).length - 1;
    assert.equal(sentRefreshToken(fake, last), expected.sent);
    assert.equal(await proofKey(fake, last), expected.key.thumbprint);
    assert.deepEqual(refreshTokens(cache).map(([, rt]) => [rt.secret, rt.key_id]), [[expected.filed, expected.key.thumbprint]]);
  }

  /** A DPoP sign-in: the account's key is kept, its refresh token `rt-bound` filed bound to it. */
  async function signedInWithDpop(fake: FakeFetch, cache: SerializableTokenCache) {
    const keys = new MemoryDpopKeyStore();
    const app = new PublicClientApplication({ clientId: CLIENT, oidcAuthority: ISSUER, httpClient: fake.fetch, tokenCache: cache, dpop: { keys } });
    const result = await app.acquireTokenByRefreshToken('rt-imported', ['api']);
    const key = (await keys.get({ homeAccountId: HOME, environment: ENV }))!;
    return { app, keys, key, account: result.account! };
  }

  it('are filed with the key\'s thumbprint, under the same cache key as any refresh token', async () => {
    const fake = fakeIssuer(true).on(TOKEN, answer('DPoP', 'rt-bound'));
    const cache = new SerializableTokenCache();
    const { key } = await signedInWithDpop(fake, cache);
    assert.equal(await proofKey(fake, 0), key.thumbprint);
    assert.deepEqual(refreshTokens(cache).map(([k, rt]) => [k, rt.secret, rt.key_id]), [[RT_KEY, 'rt-bound', key.thumbprint]]);
  });

  it('a Bearer answer to a DPoP request, and any answer to a Bearer request, leave the refresh token unbound', async () => {
    const fake = fakeIssuer(true).on(TOKEN, answer('Bearer', 'rt-plain'));
    const cache = new SerializableTokenCache();
    await signedInWithDpop(fake, cache);
    assert.deepEqual(refreshTokens(cache).map(([, rt]) => [rt.secret, rt.key_id]), [['rt-plain', undefined]]);
    fake.on(TOKEN, answer('Bearer', 'rt-bearer'));
    await bearerApp(fake, cache).acquireTokenByRefreshToken('rt-other', ['api']);
    assert.deepEqual(refreshTokens(cache).map(([, rt]) => [rt.secret, rt.key_id]), [['rt-bearer', undefined]]);
  });

  it('are never sent by a Bearer request: no request, nothing removed, nothing served', async () => {
    const fake = fakeIssuer(true).on(TOKEN, answer('DPoP', 'rt-bound'));
    const cache = new SerializableTokenCache();
    const { account } = await signedInWithDpop(fake, cache);
    const bearer = bearerApp(fake, cache);
    fake.on(TOKEN, jsonResponse({ error: 'invalid_grant', error_description: 'grant request is invalid' }, 400));
    assert.equal(await bearer.acquireTokenSilentWithError(['api'], account, { forceRefresh: true }), undefined);
    assert.equal(await bearer.acquireTokenSilent(['other'], account), undefined);
    assert.equal(tokenRequests(fake).length, 1, 'only the sign-in');
    assert.deepEqual(refreshTokens(cache).map(([, rt]) => rt.secret), ['rt-bound']);
    assert.deepEqual((await bearer.getAccounts()).map((a) => a.homeAccountId), [HOME], 'the account is still signed in');
  });

  it('are sent with a proof of their own key, and never with another key', async () => {
    const fake = fakeIssuer(true).on(TOKEN, answer('DPoP', 'rt-bound'));
    const cache = new SerializableTokenCache();
    const { app, key, account } = await signedInWithDpop(fake, cache);
    // An application with its own key store has no key for the account: it signs with a new one.
    const stranger = makeApp(fake, cache);
    assert.equal(await stranger.acquireTokenSilentWithError(['api'], account, { forceRefresh: true }), undefined);
    assert.equal(tokenRequests(fake).length, 1, 'nothing sent with another key');
    fake.on(TOKEN, answer('DPoP', 'rt-rotated'));
    await expectDpopRefresh(app, account, fake, cache, { sent: 'rt-bound', key, filed: 'rt-rotated' });
  });

  it('an unbound one is sent by a DPoP request with a proof, and marked bound by a DPoP answer, with or without a new refresh token', async () => {
    const fake = fakeIssuer(true).on(TOKEN, answer('Bearer', 'rt-plain'));
    const cache = new SerializableTokenCache();
    const account = (await bearerApp(fake, cache).acquireTokenByRefreshToken('rt-imported', ['api'])).account!;
    const keys = new MemoryDpopKeyStore();
    const key = await generateDpopKey();
    await keys.save({ homeAccountId: HOME, environment: ENV }, key);
    const dpopApp = new PublicClientApplication({ clientId: CLIENT, oidcAuthority: ISSUER, httpClient: fake.fetch, tokenCache: cache, dpop: { keys } });
    // The server binds the refresh token it keeps: the answer carries none.
    fake.on(TOKEN, answer('DPoP'));
    await expectDpopRefresh(dpopApp, account, fake, cache, { sent: 'rt-plain', key, filed: 'rt-plain' });
    assert.deepEqual(refreshTokens(cache).map(([k]) => k), [RT_KEY]);
    assert.equal(await bearerApp(fake, cache).acquireTokenSilentWithError(['api'], account, { forceRefresh: true }), undefined);
    assert.equal(tokenRequests(fake).length, 2, 'the Bearer application no longer sends it');
  });

  it('a Bearer sign-in replaces a bound one (one per account and client), which the DPoP application then redeems with a proof', async () => {
    const fake = fakeIssuer(true).on(TOKEN, answer('DPoP', 'rt-bound'));
    const cache = new SerializableTokenCache();
    const { app, key, account } = await signedInWithDpop(fake, cache);
    fake.on(TOKEN, answer('Bearer', 'rt-bearer'));
    const bearer = bearerApp(fake, cache);
    await bearer.acquireTokenByRefreshToken('rt-from-elsewhere', ['api']);
    assert.deepEqual(refreshTokens(cache).map(([, rt]) => [rt.secret, rt.key_id]), [['rt-bearer', undefined]]);
    fake.on(TOKEN, answer('Bearer', 'rt-bearer-2'));
    assert.equal((await bearer.acquireTokenSilentWithError(['api'], account, { forceRefresh: true }))?.tokenType, 'Bearer');
    assert.equal(sentRefreshToken(fake, 2), 'rt-bearer');
    fake.on(TOKEN, answer('DPoP', 'rt-bound-again'));
    await expectDpopRefresh(app, account, fake, cache, { sent: 'rt-bearer-2', key, filed: 'rt-bound-again' });
  });

  it('a refusal that names the key binding leaves the refresh token in the cache', async () => {
    const fake = fakeIssuer(true).on(TOKEN, answer('DPoP', 'rt-bound'));
    const cache = new SerializableTokenCache();
    const { app, account } = await signedInWithDpop(fake, cache);
    fake.on(TOKEN, jsonResponse({ error: 'invalid_grant', error_description: 'DPoP proof key thumbprint does not match' }, 400));
    await assert.rejects(app.acquireTokenSilentWithError(['api'], account, { forceRefresh: true }), { code: 'server_error', error: 'invalid_grant' });
    assert.deepEqual(refreshTokens(cache).map(([, rt]) => rt.secret), ['rt-bound']);
    fake.on(TOKEN, jsonResponse({ error: 'invalid_grant', error_description: 'grant request is invalid' }, 400));
    await assert.rejects(app.acquireTokenSilentWithError(['api'], account, { forceRefresh: true }), { error: 'invalid_grant' });
    assert.deepEqual(refreshTokens(cache), [], 'a refusal that says nothing of DPoP still removes a dead token');
  });
});
