/**
 * The core against a second, independent identity provider: LemonLDAP::NG 2.16 from Debian's
 * packages (scripts/llng/install.sh), at its root issuer `https://localhost:19443/`, configured as
 * README's LemonLDAP::NG recipe tells users: a public client with PKCE, the exact redirect URI
 * `http://127.0.0.1:8400/`, and ID tokens that carry `sub` only (no forced claims).
 *
 * Requests are counted at the server, in nginx's access log (test/llng/server.ts), so a request
 * the library sends through any path shows. A sign-in goes through the real portal: its login
 * form, filled and posted as a person would (test/llng/login.ts), then the redirect to the
 * loopback listener on the fixed port 8400.
 *
 * The apps are built as the README's "Using the core from Node" shows, with the issuer as
 * `oidcAuthority` and the portal's throw-away certificate trusted through `verify`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuthenticationResult } from '../../src/core/account.js';
import { isInteractionRequired, ServerError } from '../../src/core/errors.js';
import { PublicClientApplication } from '../../src/node/applications.js';
import { portalBrowser } from '../llng/login.js';
import { type Llng, LLNG_USERS, type LlngUserName, startLlng } from '../llng/server.js';

const SILENT_CALLS = 5;
/** Bounds every test: a sign-in that hangs fails the test instead of the run. */
const TEST_TIMEOUT_MS = 60_000;
/** The claims an account is named by; LL::NG's ID tokens carry none of them by default. */
const NAMING_CLAIMS = ['preferred_username', 'email', 'upn', 'name'];

/** The `kid` in a JWT's header. */
function kidOf(jwt: string | undefined): unknown {
  return JSON.parse(Buffer.from((jwt ?? '').split('.')[0] ?? '', 'base64url').toString() || '{}').kid;
}

describe('LemonLDAP::NG 2.16 at its root issuer', () => {
  let llng: Llng;

  before(async () => {
    llng = await startLlng();
  }, { timeout: 120_000 });

  after(async () => {
    await llng?.close();
  });

  /** An app as the README has users build one. */
  function newApp(): PublicClientApplication {
    return new PublicClientApplication({ clientId: llng.clientId, oidcAuthority: llng.issuer, verify: llng.ca });
  }

  /** Signs `user` in through the portal and the loopback listener on the registered redirect URI. */
  async function signIn(app: PublicClientApplication, user: LlngUserName, scopes: string[] = []): Promise<{ result: AuthenticationResult; authorizeUrl: URL }> {
    const redirect = new URL(llng.redirectUris[0]!);
    const browser = portalBrowser(user, { ca: llng.ca });
    const result = await app.acquireTokenInteractive(scopes, {
      port: Number(redirect.port),
      path: redirect.pathname,
      openBrowser: browser.open,
      timeout: 30_000,
    });
    assert.equal(result.tokenSource, 'identity_provider');
    return { result, authorizeUrl: new URL(browser.opened[0]!) };
  }

  it('publishes a root issuer the core discovers with one request; no device authorization grant', { timeout: TEST_TIMEOUT_MS }, async () => {
    const mark = await llng.mark();
    const app = newApp();
    assert.deepEqual(await app.getAccounts(), []);
    assert.deepEqual(await llng.requestsSince(mark), ['GET /.well-known/openid-configuration'], 'the core discovers the issuer with one request');
    const discovery = await llng.getJson('.well-known/openid-configuration');
    assert.equal(discovery.issuer, llng.issuer, 'a root issuer, with its trailing slash');
    assert.equal(discovery.token_endpoint, new URL('oauth2/token', llng.issuer).href);
    assert.equal(discovery.userinfo_endpoint, new URL('oauth2/userinfo', llng.issuer).href);
    assert.equal(discovery.device_authorization_endpoint, undefined, 'LL::NG 2.16 has no device authorization grant');
  });

  it('password grant: the account is named by the login, and userinfo is not asked', { timeout: TEST_TIMEOUT_MS }, async () => {
    const app = newApp();
    await app.getAccounts(); // discovery, not counted below
    const mark = await llng.mark();
    const result = await app.acquireTokenByUsernamePassword('rtyler', LLNG_USERS.rtyler.password, []);
    assert.equal(result.idTokenClaims?.sub, 'rtyler');
    assert.equal(result.account?.username, 'rtyler', 'the username the app passed names the account');
    assert.deepEqual(await llng.requestsSince(mark), ['POST /oauth2/token', 'GET /oauth2/jwks']);
  });

  it('auth code + PKCE through the loopback on port 8400: an ID token with only sub, the account named from userinfo with 1 request', { timeout: TEST_TIMEOUT_MS }, async () => {
    const app = newApp();
    await app.getAccounts();
    const mark = await llng.mark();
    const { result, authorizeUrl } = await signIn(app, 'dwho');

    assert.equal(authorizeUrl.searchParams.get('redirect_uri'), 'http://127.0.0.1:8400/', 'the exact registered redirect URI');
    assert.equal(authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
    const claims = result.idTokenClaims ?? {};
    assert.equal(claims.sub, 'dwho');
    assert.deepEqual(NAMING_CLAIMS.filter((name) => name in claims), [], 'the ID token names nobody (IDTokenForceClaims off)');
    assert.deepEqual(
      { username: result.account?.username, name: result.account?.name, homeAccountId: result.account?.homeAccountId },
      { username: 'dwho', name: LLNG_USERS.dwho.name, homeAccountId: 'dwho' },
      "the account's username and name come from userinfo",
    );
    assert.deepEqual(
      await llng.requestsSince(mark),
      ['GET /oauth2/authorize', 'POST /oauth2/authorize', 'POST /oauth2/token', 'GET /oauth2/jwks', 'GET /oauth2/userinfo'],
      'the login form and its post, one token request, the keys, and userinfo once',
    );

    const listed = await app.getAccounts();
    assert.deepEqual(
      listed.map((account) => ({ username: account.username, name: account.name })),
      [{ username: 'dwho', name: LLNG_USERS.dwho.name }],
      'the cache keeps the name: getAccounts() lists it',
    );
  });

  it(`serves ${SILENT_CALLS} silent calls with 0 requests at the server, then a forced refresh with exactly 1`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const app = newApp();
    const { result } = await signIn(app, 'dwho');
    let mark = await llng.mark();
    const [account] = await app.getAccounts();
    assert.ok(account);
    const sources: string[] = [];
    for (let i = 0; i < SILENT_CALLS; i++) sources.push((await app.acquireTokenSilent([], account))?.tokenSource ?? 'no token');
    assert.deepEqual(
      { requests: await llng.requestsSince(mark), sources },
      { requests: [], sources: Array(SILENT_CALLS).fill('cache') },
      'getAccounts() and every silent call are served from the cache without a request at the server',
    );

    mark = await llng.mark();
    const refreshed = await app.acquireTokenSilent([], account, { forceRefresh: true });
    const refreshRequests = await llng.requestsSince(mark);
    mark = await llng.mark();
    const next = await app.acquireTokenSilent([], account);
    assert.deepEqual(
      {
        refreshSource: refreshed?.tokenSource,
        newToken: refreshed !== undefined && refreshed.accessToken !== result.accessToken,
        refreshRequests,
        nextSource: next?.tokenSource,
        nextIsTheRefreshedToken: next?.accessToken === refreshed?.accessToken,
        nextRequests: await llng.requestsSince(mark),
        label: (await app.getAccounts()).map((entry) => entry.username),
      },
      {
        refreshSource: 'identity_provider',
        newToken: true,
        refreshRequests: ['POST /oauth2/token'],
        nextSource: 'cache',
        nextIsTheRefreshedToken: true,
        nextRequests: [],
        label: ['dwho'],
      },
      'forceRefresh sends exactly the token request (no userinfo); the refreshed token is then served from the cache',
    );
  });

  it('validates ID tokens signed with new keys after a rotation while tokens are cached', { timeout: TEST_TIMEOUT_MS }, async () => {
    const app = newApp();
    const { result } = await signIn(app, 'dwho');
    const [account] = await app.getAccounts();
    assert.ok(account);
    const oldKid = llng.signingKeyId();
    const newKid = await llng.rotateKeys();
    assert.notEqual(newKid, oldKid);

    // The cached token is still served: a rotation asks nothing of a signed-in user.
    let mark = await llng.mark();
    assert.equal((await app.acquireTokenSilent([], account))?.accessToken, result.accessToken);
    assert.deepEqual(await llng.requestsSince(mark), []);

    mark = await llng.mark();
    const refreshed = await app.acquireTokenSilent([], account, { forceRefresh: true });
    assert.equal(refreshed?.tokenSource, 'identity_provider');
    // LL::NG answers a refresh with a new ID token, signed with the new key.
    assert.ok(refreshed?.idToken, 'the refresh response carries an ID token');
    assert.equal(kidOf(refreshed.idToken), newKid);
    assert.deepEqual(await llng.requestsSince(mark), ['POST /oauth2/token', 'GET /oauth2/jwks'], 'the unknown kid makes the core fetch the keys once');

    // A later sign-in (another user, the same app and its cached keys) validates the new ID token too.
    const second = await signIn(app, 'rtyler');
    assert.equal(second.result.idTokenClaims?.sub, 'rtyler');
    assert.equal(second.result.account?.name, LLNG_USERS.rtyler.name);
    assert.equal(kidOf(second.result.idToken), newKid);
  });

  it('an unknown refresh token is refused (invalid_request) and needs the user: isInteractionRequired', { timeout: TEST_TIMEOUT_MS }, async () => {
    const app = newApp();
    const err = await app.acquireTokenByRefreshToken('not-a-refresh-token-of-this-portal', []).then(
      () => assert.fail('an unknown refresh token was accepted'),
      (error: unknown) => error,
    );
    assert.ok(err instanceof ServerError, `a ServerError, got ${String(err)}`);
    assert.equal(err.error, 'invalid_request', 'LL::NG 2.16 says invalid_request, not invalid_grant');
    assert.equal(isInteractionRequired(err), true);
    assert.deepEqual(await app.getAccounts(), [], 'nothing was cached');
  });
});
