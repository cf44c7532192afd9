/**
 * What the Entra face of the test IdP learnt from real Microsoft Entra ID, run end to end through
 * the Node PublicClientApplication: family refresh tokens (`foci`) shared by two public clients of
 * one family, and a plain-text 429 on the token endpoint.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthError, ThrottledError } from '../../src/core/errors.js';
import { SerializableTokenCache } from '../../src/core/cache/serializable-token-cache.js';
import { PublicClientApplication } from '../../src/node/applications.js';
import { ACCOUNTS, FAMILY_CLIENT_B_ID, type Idp, PUBLIC_CLIENT_ID, startIdp, TENANT_DOMAIN } from '../idp/server.js';
import { headlessBrowser, tokenRequestCount } from './fixture.js';

const READ = ['api://demo/read'];

const appMetadataOf = (cache: SerializableTokenCache, clientId: string) =>
  Object.values((JSON.parse(cache.serialize()).AppMetadata ?? {}) as Record<string, { client_id: string; family_id?: string }>)
    .find((entry) => entry.client_id === clientId);

/** The form of each token request the IdP logged since `from` (its tokenForm: names only). */
const tokenRequestsSince = (idp: Idp, from: number) =>
  idp.requests.filter((entry) => entry.method === 'POST' && entry.path.endsWith('/token')).slice(from);

describe('family refresh tokens on the Entra face (familyClients option)', () => {
  let idp: Idp;
  const cache = new SerializableTokenCache();

  before(async () => {
    idp = await startIdp({ familyClients: [PUBLIC_CLIENT_ID, FAMILY_CLIENT_B_ID] });
  });
  after(() => idp.close());

  const makeApp = (clientId: string) => new PublicClientApplication({
    clientId,
    authority: idp.urls.entraAuthority(),
    allowInsecureLoopbackAuthority: true,
    tokenCache: cache,
  });

  it('app B, new to a cache where app A signed in, lists the account and gets a token with A’s family refresh token', async () => {
    const appA = makeApp(PUBLIC_CLIENT_ID);
    const signIn = await appA.acquireTokenInteractive(READ, { openBrowser: headlessBrowser('alice').open, timeout: 15_000 });
    assert.equal(signIn.account?.username, ACCOUNTS.alice.email);
    assert.equal(appMetadataOf(cache, PUBLIC_CLIENT_ID)?.family_id, '1', 'the IdP marked app A’s answer with foci');

    const appB = makeApp(FAMILY_CLIENT_B_ID);
    assert.equal(appMetadataOf(cache, FAMILY_CLIENT_B_ID), undefined, 'app B is new to this cache');
    const accounts = await appB.getAccounts();
    assert.deepEqual(accounts.map((account) => account.username), [ACCOUNTS.alice.email]);

    const before = tokenRequestCount(idp);
    const result = await appB.acquireTokenSilent(READ, accounts[0]);
    assert.equal(result?.tokenSource, 'identity_provider');
    assert.equal(result?.idTokenClaims?.aud, FAMILY_CLIENT_B_ID, 'the ID token is app B’s');
    assert.equal(tokenRequestCount(idp) - before, 1, 'one token request');
    assert.deepEqual(idp.grantErrors, []);
    const introspection = await idp.introspect(result!.accessToken);
    assert.equal(introspection.active, true);
    assert.equal(introspection.azp, FAMILY_CLIENT_B_ID, 'the access token was issued to app B');

    assert.equal(appMetadataOf(cache, FAMILY_CLIENT_B_ID)?.family_id, '1', 'app B is on record as a family member');
    const cached = await appB.acquireTokenSilent(READ, accounts[0]);
    assert.equal(cached?.tokenSource, 'cache');
    assert.equal(tokenRequestCount(idp) - before, 1, 'served from the cache: no request');

    // And back: app A refreshes with the family refresh token app B was given.
    const refreshedA = await appA.acquireTokenSilent(READ, accounts[0], { forceRefresh: true });
    assert.equal(refreshedA?.tokenSource, 'identity_provider');
    assert.equal(refreshedA?.idTokenClaims?.aud, PUBLIC_CLIENT_ID);
    assert.deepEqual(idp.grantErrors, []);
  });

  it('a plain-text 429 on a refresh is a ThrottledError, and the next call within 5 s sends nothing', async () => {
    const appB = makeApp(FAMILY_CLIENT_B_ID);
    const [account] = await appB.getAccounts();
    assert.ok(account);
    const before = tokenRequestCount(idp);
    idp.throttleNextTokenRequest({ status: 429, body: 'Too Many Requests' });
    const first = await appB.acquireTokenSilent(READ, account, { forceRefresh: true }).then(
      () => assert.fail('a throttled refresh must fail'),
      (err: unknown) => err,
    );
    assert.ok(first instanceof ThrottledError, `ThrottledError expected, got ${String(first)}`);
    assert.ok(first instanceof AuthError);
    assert.equal(first.code, 'throttled');
    assert.equal(first.status, 429);
    assert.ok(first.retryAfter > Date.now() && first.retryAfter <= Date.now() + 5_000, 'the default 5 s');
    assert.equal(tokenRequestCount(idp) - before, 1);
    assert.equal(tokenRequestsSince(idp, before)[0]?.status, 429);

    const second = await appB.acquireTokenSilent(READ, account, { forceRefresh: true }).then(
      () => assert.fail('still throttled'),
      (err: unknown) => err,
    );
    assert.ok(second instanceof ThrottledError);
    assert.equal(second.status, undefined, 'throttled without an answer');
    assert.equal(tokenRequestCount(idp) - before, 1, 'nothing was sent');

    // The throttled request redeemed nothing: another app instance (its own throttle state)
    // refreshes with the same family refresh token.
    const other = await makeApp(FAMILY_CLIENT_B_ID).acquireTokenSilent(READ, account, { forceRefresh: true });
    assert.equal(other?.tokenSource, 'identity_provider');
  });

  it('Retry-After on a plain-text 429 sets how long the client waits', async () => {
    const appA = makeApp(PUBLIC_CLIENT_ID);
    const [account] = await appA.getAccounts();
    assert.ok(account);
    idp.throttleNextTokenRequest({ status: 429, body: 'Too Many Requests', retryAfter: 30 });
    const err = await appA.acquireTokenSilent(READ, account, { forceRefresh: true }).then(
      () => assert.fail('a throttled refresh must fail'),
      (error: unknown) => error,
    );
    assert.ok(err instanceof ThrottledError);
    assert.equal(err.status, 429);
    assert.ok(err.retryAfter > Date.now() + 25_000, 'about 30 s');
    const answer = idp.requests.findLast((entry) => entry.method === 'POST' && entry.path.endsWith('/token'));
    assert.equal(answer?.status, 429);
  });
});

describe('family refresh tokens without the option', () => {
  let idp: Idp;
  const cache = new SerializableTokenCache();

  before(async () => {
    idp = await startIdp();
  });
  after(() => idp.close());

  it('no foci in answers, and app B finds no token for app A’s account', async () => {
    const appA = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: idp.urls.entraAuthority(), allowInsecureLoopbackAuthority: true, tokenCache: cache });
    const signIn = await appA.acquireTokenInteractive(READ, { openBrowser: headlessBrowser('alice').open, timeout: 15_000 });
    assert.ok(signIn.account);
    assert.ok(!appMetadataOf(cache, PUBLIC_CLIENT_ID)?.family_id, 'not a family member');
    const appB = new PublicClientApplication({ clientId: FAMILY_CLIENT_B_ID, authority: idp.urls.entraAuthority(), allowInsecureLoopbackAuthority: true, tokenCache: cache });
    const before = tokenRequestCount(idp);
    assert.equal(await appB.acquireTokenSilent(READ, signIn.account), undefined);
    assert.equal(tokenRequestCount(idp) - before, 0, 'app A’s own refresh token is not offered to app B');
  });

  it('the IdP refuses another client’s refresh token when the clients are not a family', async () => {
    const appA = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: idp.urls.entraAuthority(), allowInsecureLoopbackAuthority: true, tokenCache: cache });
    const [account] = await appA.getAccounts();
    assert.ok(account);
    const refreshToken = Object.values(JSON.parse(cache.serialize()).RefreshToken as Record<string, { secret: string }>)[0]?.secret;
    assert.ok(refreshToken);
    const response = await fetch(`${idp.urls.entraAuthority()}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: FAMILY_CLIENT_B_ID, refresh_token: refreshToken, scope: READ.join(' ') }),
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant');
    assert.ok(idp.grantErrors.includes('client mismatch'), idp.grantErrors.join('; '));
  });
});

describe('B2C tfp authority on the Entra face', () => {
  let idp: Idp;

  before(async () => {
    idp = await startIdp();
  });
  after(() => idp.close());

  it('answers tfp discovery with endpoints under /<tenant>/<lower-cased policy>, and signs in through them', async () => {
    const authority = `${idp.urls.origin}/tfp/${TENANT_DOMAIN}/B2C_1_SUSI`;
    const discovery = await fetch(`${authority}/v2.0/.well-known/openid-configuration`);
    assert.equal(discovery.status, 200);
    const metadata = await discovery.json() as Record<string, string>;
    const base = `${idp.urls.origin}/${TENANT_DOMAIN}/b2c_1_susi`;
    assert.equal(metadata.authorization_endpoint, `${base}/oauth2/v2.0/authorize`);
    assert.equal(metadata.token_endpoint, `${base}/oauth2/v2.0/token`);
    assert.equal(metadata.end_session_endpoint, `${base}/oauth2/v2.0/logout`);
    assert.equal(metadata.jwks_uri, `${base}/discovery/v2.0/keys`);
    assert.equal(metadata.issuer, idp.urls.entraIssuer);

    const cache = new SerializableTokenCache();
    const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority, allowInsecureLoopbackAuthority: true, tokenCache: cache });
    const result = await app.acquireTokenInteractive(READ, { openBrowser: headlessBrowser('alice').open, timeout: 15_000 });
    assert.equal(result.account?.username, ACCOUNTS.alice.email);
    const paths = idp.requests.map((entry) => entry.path);
    assert.ok(paths.includes(`/tfp/${TENANT_DOMAIN}/B2C_1_SUSI/v2.0/.well-known/openid-configuration`), paths.join(' '));
    assert.ok(paths.includes(`/${TENANT_DOMAIN}/b2c_1_susi/oauth2/v2.0/token`), paths.join(' '));
    const [accessToken] = Object.values(JSON.parse(cache.serialize()).AccessToken as Record<string, { realm: string }>);
    assert.equal(accessToken?.realm, TENANT_DOMAIN, 'filed under the tenant the token endpoint names');
    assert.equal((await app.acquireTokenSilent(READ, result.account!))?.tokenSource, 'cache');
  });
});
