/**
 * DPoP (RFC 9449) through the public API: a PublicClientApplication with the `dpop` option
 * against the real oidc-provider (DPoP nonces required at its token endpoint) and the test
 * resource server, configured as the README's "DPoP" paragraph shows. A Bearer application over
 * the same cache never sends the refresh token bound to the key (which the server would refuse,
 * and the refusal remove), and a Bearer sign-in's unbound one serves the DPoP application too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint';
import { SerializableTokenCache } from '../../src/core/cache/serializable-token-cache.js';
import { MemoryDpopKeyStore } from '../../src/core/dpop-keys.js';
import { PublicClientApplication } from '../../src/node/applications.js';
import { type ResourceServer, startResourceServer } from '../idp/resource-server.js';
import { type Idp, PUBLIC_CLIENT_ID, startIdp } from '../idp/server.js';
import { headlessBrowser, lastTokenRequest, recordingHttpClient, tokenRequestCount } from './fixture.js';

const READ = ['api://demo/read'];

async function proofThumbprint(proof: string | undefined): Promise<string> {
  assert.ok(proof, 'the token request carried a DPoP proof');
  const { jwk } = decodeProtectedHeader(proof);
  assert.ok(jwk && !('d' in jwk), 'the proof names a public key only');
  return calculateJwkThumbprint(jwk, 'sha256');
}

describe('DPoP through PublicClientApplication', () => {
  let idp: Idp;
  let resource: ResourceServer;
  const cache = new SerializableTokenCache();
  const keys = new MemoryDpopKeyStore();
  const http = recordingHttpClient();
  let app: PublicClientApplication;
  const refreshTokens = () => Object.values((JSON.parse(cache.serialize()).RefreshToken ?? {}) as Record<string, { key_id?: string }>);

  before(async () => {
    idp = await startIdp({ dpop: { requireNonce: true } });
    resource = await startResourceServer({ issuer: idp.urls.oidcIssuer, jwksUri: `${idp.urls.oidcIssuer}/jwks`, audience: 'api://demo', dpopNonce: 'required' });
    app = new PublicClientApplication({
      clientId: PUBLIC_CLIENT_ID, oidcAuthority: idp.urls.oidcIssuer, allowInsecureLoopbackAuthority: true, tokenCache: cache, httpClient: http, dpop: { keys },
    });
  });
  after(async () => {
    await resource.close();
    await idp.close();
  });

  it('signs in with dpop_jkt and a proof (after the nonce retry); the DPoP token is cached bound to the key', async () => {
    const browser = headlessBrowser('alice');
    const result = await app.acquireTokenInteractive(READ, { openBrowser: browser.open, timeout: 15_000 });
    assert.equal(result.tokenType, 'DPoP');
    const jkt = new URL(browser.opened[0]!).searchParams.get('dpop_jkt');
    const account = result.account!;
    const key = await keys.get({ homeAccountId: account.homeAccountId, environment: account.environment });
    assert.ok(key, 'the key is kept with the account');
    assert.equal(jkt, key.thumbprint);
    assert.equal((decodeJwt(result.accessToken).cnf as { jkt?: string }).jkt, key.thumbprint);
    const tokenPosts = http.sent.filter((request) => request.form.get('grant_type') === 'authorization_code');
    assert.equal(tokenPosts.length, 2, 'the first proof had no nonce and was answered use_dpop_nonce');
    assert.equal(decodeJwt(tokenPosts[1]!.headers.dpop!).nonce !== undefined, true);
    assert.equal(await proofThumbprint(tokenPosts[1]!.headers.dpop), key.thumbprint);
    const entries = Object.values(JSON.parse(cache.serialize()).AccessToken as Record<string, Record<string, string>>);
    assert.deepEqual(entries.map((entry) => [entry.credential_type, entry.token_type, entry.key_id]), [['AccessToken_With_AuthScheme', 'DPoP', key.thumbprint]]);
  });

  it('serves the DPoP token silently with no request; a forced refresh signs with the same key', async () => {
    const [account] = await app.getAccounts();
    const key = await keys.get({ homeAccountId: account!.homeAccountId, environment: account!.environment });
    const before = tokenRequestCount(idp);
    const cached = await app.acquireTokenSilent(READ, account);
    assert.equal(cached?.tokenSource, 'cache');
    assert.equal(cached?.tokenType, 'DPoP');
    assert.equal(tokenRequestCount(idp), before, 'no token request');
    const refreshed = await app.acquireTokenSilent(READ, account, { forceRefresh: true });
    assert.equal(refreshed?.tokenSource, 'identity_provider');
    assert.equal(refreshed?.tokenType, 'DPoP');
    const refresh = lastTokenRequest(http.sent);
    assert.equal(refresh.form.get('grant_type'), 'refresh_token');
    assert.equal(await proofThumbprint(refresh.headers.dpop), key!.thumbprint);
    assert.equal(tokenRequestCount(idp), before + 1, 'the remembered nonce was still good: one refresh request');
  });

  it('the resource accepts the token with a fresh proof (after its own nonce retry), and refuses it replayed or without the key', async () => {
    const [account] = await app.getAccounts();
    const result = (await app.acquireTokenSilent(READ, account))!;
    const url = resource.url('/items');
    const get = async (headers: Record<string, string>) => {
      const response = await fetch(url, { headers });
      await response.body?.cancel();
      return response;
    };
    let sent = await app.authorizeResourceRequest(result, { method: 'GET', url });
    assert.match(sent.headers.authorization, /^DPoP /);
    let response = await get({ ...sent.headers });
    const decision = app.decideResourceRetry(url, response, sent);
    assert.equal(decision.retry, true, 'the resource asked for its nonce');
    sent = await app.authorizeResourceRequest(result, { method: 'GET', url });
    response = await get({ ...sent.headers });
    assert.equal(response.status, 200);
    assert.equal(app.decideResourceRetry(url, response, sent, { retried: true }).retry, false);

    assert.equal((await get({ ...sent.headers })).status, 401, 'a replayed proof');
    assert.equal(resource.requests.at(-1)?.refusal, 'replayed proof (jti seen before)');
    assert.equal((await get({ authorization: `Bearer ${result.accessToken}` })).status, 401, 'the token without its key');
    assert.equal(resource.requests.at(-1)?.refusal, 'a DPoP-bound token sent as Bearer');
  });

  it('a Bearer application over the same cache never gets the DPoP token, and leaves the bound refresh token in place', async () => {
    const bearer = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, oidcAuthority: idp.urls.oidcIssuer, allowInsecureLoopbackAuthority: true, tokenCache: cache });
    const [account] = await bearer.getAccounts();
    const key = await keys.get({ homeAccountId: account!.homeAccountId, environment: account!.environment });
    assert.deepEqual(refreshTokens().map((rt) => rt.key_id), [key!.thumbprint], 'the refresh token is filed bound to the key');
    const before = tokenRequestCount(idp);
    const errors = idp.grantErrors.length;
    // Sent without a proof, oidc-provider would refuse it ("failed jkt verification") and the refusal would remove it.
    assert.equal(await bearer.acquireTokenSilent(READ, account), undefined);
    assert.equal(await bearer.acquireTokenSilentWithError(READ, account, { forceRefresh: true }), undefined, 'no token: interaction required, as with no refresh token');
    assert.equal(tokenRequestCount(idp), before, 'the bound refresh token is never sent without its proof');
    assert.deepEqual(idp.grantErrors.slice(errors), []);
    assert.deepEqual(refreshTokens().map((rt) => rt.key_id), [key!.thumbprint], 'one refresh token, still bound');
    const refreshed = await app.acquireTokenSilent(READ, account, { forceRefresh: true });
    assert.equal(refreshed?.tokenSource, 'identity_provider', 'the DPoP application still refreshes with it');
    assert.equal(refreshed?.tokenType, 'DPoP');
  });

  it('a Bearer sign-in replaces the bound refresh token; the DPoP application redeems the unbound one with a proof', async () => {
    const bearer = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, oidcAuthority: idp.urls.oidcIssuer, allowInsecureLoopbackAuthority: true, tokenCache: cache });
    const signedIn = await bearer.acquireTokenInteractive(READ, { openBrowser: headlessBrowser('alice').open, timeout: 15_000 });
    assert.equal(signedIn.tokenType, 'Bearer');
    assert.deepEqual(refreshTokens().map((rt) => rt.key_id), [undefined], 'one refresh token per account and client: the unbound one');
    const account = signedIn.account!;
    const key = await keys.get({ homeAccountId: account.homeAccountId, environment: account.environment });
    const errors = idp.grantErrors.length;
    const refreshed = await app.acquireTokenSilent(READ, account, { forceRefresh: true });
    assert.equal(refreshed?.tokenType, 'DPoP');
    assert.deepEqual(idp.grantErrors.slice(errors).filter((error) => !/nonce/.test(error)), []);
    assert.equal(await proofThumbprint(lastTokenRequest(http.sent).headers.dpop), key!.thumbprint);
    assert.deepEqual(refreshTokens().map((rt) => rt.key_id), [key!.thumbprint], 'a DPoP answer files its refresh token bound');
  });
});

describe('DPoP option with an issuer that does not advertise DPoP', () => {
  let idp: Idp;
  before(async () => {
    idp = await startIdp({ dpop: false });
  });
  after(() => idp.close());

  it('signs in with Bearer, as without the option, and keeps no key', async () => {
    const keys = new MemoryDpopKeyStore();
    const http = recordingHttpClient();
    const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, oidcAuthority: idp.urls.oidcIssuer, allowInsecureLoopbackAuthority: true, httpClient: http, dpop: { keys } });
    const browser = headlessBrowser('bob');
    const result = await app.acquireTokenInteractive(READ, { openBrowser: browser.open, timeout: 15_000 });
    assert.equal(result.tokenType, 'Bearer');
    assert.equal(new URL(browser.opened[0]!).searchParams.has('dpop_jkt'), false);
    assert.equal(lastTokenRequest(http.sent).headers.dpop, undefined);
    assert.equal(await keys.get({ homeAccountId: result.account!.homeAccountId, environment: result.account!.environment }), undefined);
    assert.equal((await app.acquireTokenSilent(READ, result.account))?.tokenSource, 'cache');
  });
});
