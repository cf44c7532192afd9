/**
 * DPoP in the applications, offline: the proof on a token request and the one retry a
 * `use_dpop_nonce` answer allows (a second one is a `dpop_nonce_loop`), the cache rules of DPoP
 * tokens (filed under their key, never served to Bearer lookups or another key), and Bearer
 * requests for an issuer that advertises no DPoP. Proven end to end in
 * test/integration/dpop-applications.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { storeAndBuildResult } from '../../../src/core/authentication-result.js';
import type { Authority } from '../../../src/core/authority.js';
import { SerializableTokenCache } from '../../../src/core/cache/serializable-token-cache.js';
import { MemoryDpopKeyStore } from '../../../src/core/dpop-keys.js';
import { generateDpopKey } from '../../../src/core/dpop.js';
import { PublicClientApplication } from '../../../src/core/public-client-application.js';
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
