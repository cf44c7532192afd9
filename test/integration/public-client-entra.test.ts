/**
 * PublicClientApplication against the Entra-shaped face of the real IdP: every user flow, silent
 * acquisition and the account methods, through the Node platform (undici + loopback listener).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthError, isInteractionRequired, ServerError } from '../../src/core/errors.js';
import { SerializableTokenCache } from '../../src/core/cache/serializable-token-cache.js';
import { PublicClientApplication } from '../../src/node/applications.js';
import { completeAuthorization, completeDeviceAuthorization } from '../idp/headless-login.js';
import { ACCOUNTS, DEMO_API_SCOPES, type Idp, PUBLIC_CLIENT_ID, startIdp, TENANT_DOMAIN, TENANT_ID } from '../idp/server.js';
import { headlessBrowser, lastTokenRequest, recordingHttpClient, tokenRequestCount } from './fixture.js';

const READ = ['api://demo/read'];

describe('PublicClientApplication on an Entra-shaped authority', () => {
  let idp: Idp;

  before(async () => {
    // Access tokens live 60 s: inside MSAL's 5-minute expiry buffer, so a silent call refreshes.
    idp = await startIdp({ devicePollInterval: 1 });
  });
  after(() => idp.close());

  function makeApp(extra: Partial<ConstructorParameters<typeof PublicClientApplication>[0]> = {}) {
    return new PublicClientApplication({
      clientId: PUBLIC_CLIENT_ID,
      authority: idp.urls.entraAuthority(),
      allowInsecureLoopbackAuthority: true,
      ...extra,
    });
  }

  it('signs in interactively through the loopback listener and stores the account', async () => {
    const app = makeApp();
    const browser = headlessBrowser('alice');
    const result = await app.acquireTokenInteractive(READ, { openBrowser: browser.open, timeout: 15_000 });
    assert.equal(result.tokenSource, 'identity_provider');
    assert.deepEqual(result.scopes, READ);
    assert.equal(result.account?.username, ACCOUNTS.alice.email);
    assert.equal(result.account?.homeAccountId, `${ACCOUNTS.alice.sub}.${TENANT_ID}`);
    assert.equal(result.idTokenClaims?.tid, TENANT_ID);
    assert.ok(result.expiresOn.getTime() > Date.now());
    const authUrl = new URL(browser.opened[0]);
    assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authUrl.searchParams.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(authUrl.searchParams.get('nonce'));
    assert.ok(authUrl.searchParams.get('state'));
    const introspection = await idp.introspect(result.accessToken);
    assert.equal(introspection.active, true);
    const accounts = await app.getAccounts();
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0].username, ACCOUNTS.alice.email);
  });

  it('runs the auth-code flow by hand: initiate, authorize, redeem; and rejects a forged state', async () => {
    const app = makeApp();
    const flow = await app.initiateAuthCodeFlow(READ, { redirectUri: 'http://127.0.0.1/callback', loginHint: ACCOUNTS.bob.email });
    assert.ok(flow.codeVerifier.length >= 43);
    const redirect = await completeAuthorization(flow.authUri, { account: 'bob' });
    const response = Object.fromEntries(redirect.searchParams);
    await assert.rejects(app.acquireTokenByAuthCodeFlow(flow, { ...response, state: 'forged' }), (err: unknown) => err instanceof AuthError && err.code === 'state_mismatch');
    const result = await app.acquireTokenByAuthCodeFlow(flow, response);
    assert.equal(result.account?.username, ACCOUNTS.bob.email);
    assert.equal(new URL(flow.authUri).searchParams.get('login_hint'), ACCOUNTS.bob.email);
  });

  it('turns a declined consent into a typed server error', async () => {
    const app = makeApp();
    const flow = await app.initiateAuthCodeFlow(['api://demo/write'], { redirectUri: 'http://127.0.0.1/callback' });
    const redirect = await completeAuthorization(flow.authUri, { account: 'alice', consent: false });
    await assert.rejects(app.acquireTokenByAuthCodeFlow(flow, Object.fromEntries(redirect.searchParams)), (err: unknown) => {
      return err instanceof ServerError && err.error === 'access_denied';
    });
  });

  it('redeems a code from getAuthorizationRequestUrl with acquireTokenByAuthorizationCode', async () => {
    const app = makeApp();
    const verifier = 'v'.repeat(43);
    const challenge = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))).toString('base64url');
    const url = await app.getAuthorizationRequestUrl(READ, {
      redirectUri: 'http://127.0.0.1/callback',
      state: 'state-1',
      nonce: 'nonce-1',
      codeChallenge: challenge,
    });
    const redirect = await completeAuthorization(url, { account: 'alice' });
    assert.equal(redirect.searchParams.get('state'), 'state-1');
    const result = await app.acquireTokenByAuthorizationCode(redirect.searchParams.get('code')!, READ, {
      redirectUri: 'http://127.0.0.1/callback',
      nonce: 'nonce-1',
      codeVerifier: verifier,
    });
    assert.equal(result.idTokenClaims?.nonce, 'nonce-1');
  });

  it('serves silent calls from the cache, refreshes after expiry, rotates the refresh token', async () => {
    const cache = new SerializableTokenCache();
    const app = makeApp({ tokenCache: cache });
    const first = await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
    const account = first.account!;
    // The IdP's default access token lifetime is long: a cache hit, no request.
    const before = tokenRequestCount(idp);
    const hit = await app.acquireTokenSilent(READ, account);
    assert.equal(hit?.tokenSource, 'cache');
    assert.equal(hit?.accessToken, first.accessToken);
    assert.equal(tokenRequestCount(idp), before);
    // Case-insensitive scope match still hits.
    assert.equal((await app.acquireTokenSilent(['API://demo/READ'], account))?.tokenSource, 'cache');
    const rtBefore = Object.values(JSON.parse(cache.serialize()).RefreshToken as Record<string, { secret: string }>)[0].secret;
    const refreshed = await app.acquireTokenSilent(READ, account, { forceRefresh: true });
    assert.equal(refreshed?.tokenSource, 'identity_provider');
    assert.notEqual(refreshed?.accessToken, first.accessToken);
    const rtAfter = Object.values(JSON.parse(cache.serialize()).RefreshToken as Record<string, { secret: string }>)[0].secret;
    assert.notEqual(rtAfter, rtBefore, 'the rotated refresh token replaced the old one');
    // The new refresh token works again.
    assert.equal((await app.acquireTokenSilent(READ, account, { forceRefresh: true }))?.tokenSource, 'identity_provider');
  });

  it('refreshes silently when the cached access token is inside the expiry buffer', async () => {
    const shortIdp = await startIdp({ accessTokenTtl: 60 });
    try {
      const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: shortIdp.urls.entraAuthority(), allowInsecureLoopbackAuthority: true });
      const first = await app.acquireTokenByUsernamePassword(ACCOUNTS.bob.email, ACCOUNTS.bob.password, READ);
      const again = await app.acquireTokenSilent(READ, first.account!);
      assert.equal(again?.tokenSource, 'identity_provider');
      assert.notEqual(again?.accessToken, first.accessToken);
    } finally {
      await shortIdp.close();
    }
  });

  it('makes one refresh request for many concurrent silent calls', async () => {
    const app = makeApp();
    const { account } = await app.acquireTokenByUsernamePassword(ACCOUNTS.bob.email, ACCOUNTS.bob.password, READ);
    const before = tokenRequestCount(idp);
    const results = await Promise.all(Array.from({ length: 10 }, () => app.acquireTokenSilent(READ, account!, { forceRefresh: true })));
    assert.equal(tokenRequestCount(idp) - before, 1);
    assert.equal(new Set(results.map((result) => result?.accessToken)).size, 1);
  });

  it('sends a claims challenge with the client capabilities and bypasses the cached token', async () => {
    const http = recordingHttpClient();
    const app = makeApp({ httpClient: http, clientCapabilities: ['CP1'] });
    const { account, accessToken } = await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
    const challenge = JSON.stringify({ access_token: { nbf: { essential: true, value: '1604106651' } } });
    const result = await app.acquireTokenSilentWithError(READ, account!, { claimsChallenge: challenge });
    assert.equal(result?.tokenSource, 'identity_provider');
    assert.notEqual(result?.accessToken, accessToken);
    const sent = JSON.parse(lastTokenRequest(http.sent).form.get('claims')!);
    assert.deepEqual(sent, { access_token: { nbf: { essential: true, value: '1604106651' }, xms_cc: { values: ['CP1'] } } });
  });

  it('reports a refused refresh: undefined from acquireTokenSilent, a typed error from ...WithError', async () => {
    const cache = new SerializableTokenCache();
    const app = makeApp({ tokenCache: cache });
    const { account } = await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
    const state = JSON.parse(cache.serialize());
    for (const rt of Object.values(state.RefreshToken as Record<string, { secret: string }>)) rt.secret = 'not-a-refresh-token';
    cache.deserialize(JSON.stringify(state));
    await assert.rejects(app.acquireTokenSilentWithError(READ, account!, { forceRefresh: true }), (err: unknown) => {
      return err instanceof ServerError && err.error === 'invalid_grant' && err.status === 400 && isInteractionRequired(err);
    });
    // The refused refresh token left the cache (it would only be refused again); the account stays listed.
    assert.deepEqual(JSON.parse(cache.serialize()).RefreshToken, {});
    assert.equal((await app.getAccounts()).length, 1);
    const requests = idp.requests.length;
    assert.equal(await app.acquireTokenSilent(READ, account!, { forceRefresh: true }), undefined);
    assert.equal(idp.requests.length, requests, 'nothing left to refresh with: no request');
    // An account the cache does not know: nothing to refresh with.
    const stranger = { ...account!, homeAccountId: 'unknown.account' };
    assert.equal(await app.acquireTokenSilentWithError(READ, stranger), undefined);
  });

  it('completes the device flow through the IdP verification page', async () => {
    const app = makeApp();
    const flow = await app.initiateDeviceFlow(READ);
    assert.match(flow.message, new RegExp(flow.userCode));
    assert.equal(flow.interval, 1);
    const [result] = await Promise.all([
      app.acquireTokenByDeviceFlow(flow),
      completeDeviceAuthorization(flow.verificationUri, flow.userCode, 'bob'),
    ]);
    assert.equal(result.account?.username, ACCOUNTS.bob.email);
    assert.equal(result.account?.accountSource, 'urn:ietf:params:oauth:grant-type:device_code');
  });

  it('stops device-flow polling on abort and on the exit condition', async () => {
    const app = makeApp();
    const controller = new AbortController();
    const flow = await app.initiateDeviceFlow(READ);
    const polling = app.acquireTokenByDeviceFlow(flow, { signal: controller.signal });
    controller.abort();
    await assert.rejects(polling, (err: unknown) => err instanceof AuthError && err.code === 'cancelled');
    const flow2 = await app.initiateDeviceFlow(READ);
    await assert.rejects(app.acquireTokenByDeviceFlow(flow2, { exitCondition: () => true }), (err: unknown) => err instanceof AuthError && err.code === 'cancelled');
  });

  it('signs in with username and password, and refuses a wrong password', async () => {
    const app = makeApp();
    const result = await app.acquireTokenByUsernamePassword(ACCOUNTS.bob.email, ACCOUNTS.bob.password, READ);
    assert.equal(result.account?.accountSource, 'password');
    await assert.rejects(app.acquireTokenByUsernamePassword(ACCOUNTS.bob.email, 'wrong', READ), (err: unknown) => err instanceof ServerError && err.error === 'invalid_grant');
  });

  it('migrates a refresh token from elsewhere into the cache', async () => {
    const source = new SerializableTokenCache();
    await makeApp({ tokenCache: source }).acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
    const refreshToken = Object.values(JSON.parse(source.serialize()).RefreshToken as Record<string, { secret: string }>)[0].secret;
    const app = makeApp();
    assert.deepEqual(await app.getAccounts(), []);
    const migrated = await app.acquireTokenByRefreshToken(refreshToken, READ);
    assert.equal(migrated.tokenSource, 'identity_provider');
    const [account] = await app.getAccounts();
    assert.equal(account.username, ACCOUNTS.alice.email);
    assert.equal((await app.acquireTokenSilent(READ, account))?.tokenSource, 'cache');
  });

  it('filters accounts by username and forgets a removed account', async () => {
    const app = makeApp();
    await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
    await app.acquireTokenByUsernamePassword(ACCOUNTS.bob.email, ACCOUNTS.bob.password, READ);
    assert.equal((await app.getAccounts()).length, 2);
    const [bob] = await app.getAccounts(ACCOUNTS.bob.email.toUpperCase());
    assert.equal(bob.username, ACCOUNTS.bob.email);
    await app.removeAccount(bob);
    assert.deepEqual((await app.getAccounts()).map((account) => account.username), [ACCOUNTS.alice.email]);
    assert.equal(await app.acquireTokenSilent(READ, bob), undefined);
  });

  it('works through the common tenant ({tenantid} issuer) and a tenant domain', async () => {
    for (const tenant of ['common', 'organizations', TENANT_DOMAIN]) {
      const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: idp.urls.entraAuthority(tenant), allowInsecureLoopbackAuthority: true });
      const result = await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
      assert.equal(result.idTokenClaims?.iss, idp.urls.entraIssuer, tenant);
      assert.equal((await app.acquireTokenSilent(READ, result.account!))?.tokenSource, 'cache', tenant);
    }
  });

  it('validates the authority through instance discovery, and skips it when told to', async () => {
    const count = () => idp.requests.filter((entry) => entry.path.endsWith('/discovery/instance')).length;
    const before = count();
    await makeApp().getAccounts();
    assert.equal(count(), before + 1);
    await makeApp({ instanceDiscovery: false }).getAccounts();
    await makeApp({ validateAuthority: false }).getAccounts();
    assert.equal(count(), before + 1);
  });

  it('signs in again after a restart without fetching discovery, thanks to the http cache', async () => {
    const persisted = new Map<string, unknown>();
    const cache = new SerializableTokenCache();
    await makeApp({ httpCache: persisted, tokenCache: cache }).acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
    // "Restart": both caches survive as JSON, the app object does not.
    const restoredHttpCache = new Map<string, unknown>(JSON.parse(JSON.stringify([...persisted])));
    const restoredTokens = new SerializableTokenCache();
    restoredTokens.deserialize(cache.serialize());
    const before = idp.requests.length;
    const app = makeApp({ httpCache: restoredHttpCache, tokenCache: restoredTokens });
    const result = await app.acquireTokenByUsernamePassword(ACCOUNTS.bob.email, ACCOUNTS.bob.password, READ);
    assert.equal(result.account?.username, ACCOUNTS.bob.email);
    const made = idp.requests.slice(before).map((entry) => `${entry.method} ${entry.path}`);
    assert.deepEqual(made, [`POST /${TENANT_ID}/oauth2/v2.0/token`]);
    const [alice] = await app.getAccounts(ACCOUNTS.alice.email);
    assert.equal((await app.acquireTokenSilent(READ, alice))?.tokenSource, 'cache');
  });

  it('keeps excluded scopes out of requests', async () => {
    const http = recordingHttpClient();
    const app = makeApp({ httpClient: http, excludeScopes: ['offline_access'] });
    await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
    const scope = lastTokenRequest(http.sent).form.get('scope')!.split(' ');
    assert.ok(!scope.includes('offline_access'));
    assert.ok(scope.includes('openid'));
  });

  it('sends MSAL headers with app name and version, and a fresh correlation id per call', async () => {
    const http = recordingHttpClient();
    const app = makeApp({ httpClient: http, appName: 'integration-test', appVersion: '1.2.3' });
    const result = await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, [DEMO_API_SCOPES.read]);
    const headers = lastTokenRequest(http.sent).headers;
    assert.equal(headers['x-app-name'], 'integration-test');
    assert.equal(headers['x-app-ver'], '1.2.3');
    assert.equal(headers['client-request-id'], result.correlationId);
  });
});
