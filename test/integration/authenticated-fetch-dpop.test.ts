/**
 * `api.fetch` with a `"dpop": true` provider in the activated extension, against oidc-provider with
 * DPoP (server nonces required at the token endpoint) and a resource that takes only DPoP-bound
 * tokens and wants its own nonce: sign-in → 200 with a DPoP token; the second call asks the IdP
 * nothing; a getSession consumer of the same provider is not served from the key-bound refresh
 * token (the core never sends it without a proof, which would destroy it), and gets a Bearer token
 * by signing in; a reload redeems the refresh token with the key kept in SecretStorage, without a
 * sign-in; after a Bearer sign-in api.fetch goes on with the same key; sign-out removes the key. A DPoP token replayed without its key, and a replayed proof, are refused by
 * the resource: dpop-applications.test.ts holds that, through the same core application.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type * as vscodeTypes from 'vscode';
import type { ExtensionExports } from '../../src/extension.js';
import { type ResourceServer, startResourceServer } from '../idp/resource-server.js';
import { type Idp, PUBLIC_CLIENT_ID, startIdp } from '../idp/server.js';
import { FakeSecrets } from '../support/fake-secrets.js';
import { headlessSignInUi } from '../support/headless-sign-in-ui.js';
import '../support/vscode/register.js';
import { activateWithStub } from '../support/activate-extension.js';
import { stub } from '../support/vscode/stub.js';
import { tokenRequestCount } from './fixture.js';

const CALLER = 'acme.api-client';
const PROVIDER = 'dp';
const CACHE_KEY = `msalSignIn.tokenCache.${PROVIDER}`;
const READ = 'api://demo/read';

describe('api.fetch with a "dpop": true provider', () => {
  /** What outlives a reload: the editor's SecretStorage and global state. */
  const secrets = new FakeSecrets();
  const globalState = new Map<string, unknown>();
  let [idp, resource, storageDir]: [Idp, ResourceServer, string] = [undefined!, undefined!, ''];
  /** One activation's. */
  let subscriptions: { dispose(): unknown }[] = [];
  let api: ExtensionExports;
  let browserOpened = 0;

  const dpopKeyNames = () => [...secrets.values.keys()].filter((key) => key.startsWith(`msalSignIn.dpopKey.${PROVIDER}.`));
  const provider = () => stub.providers.get(PROVIDER) as vscodeTypes.AuthenticationProvider;
  /** The IdP's grant errors after the first `from`, but for the nonce answers every first proof gets. */
  const grantErrorsSince = (from: number) => idp.grantErrors.slice(from).filter((error) => !/nonce is required/.test(error));
  const itemStatuses = (from: number) => resource.requests.slice(from).filter((entry) => entry.path === '/api/items').map((entry) => entry.status);

  const storedCache = () => JSON.parse(secrets.values.get(CACHE_KEY) ?? '{}') as { RefreshToken?: Record<string, { key_id?: string }>; AccessToken?: unknown };
  const refreshTokens = () => Object.values(storedCache().RefreshToken ?? {});
  /** As when the access tokens have expired: only the refresh token is left (the extension reads the store at each use). */
  const dropAccessTokens = () => secrets.values.set(CACHE_KEY, JSON.stringify({ ...storedCache(), AccessToken: {} }));

  /** api.fetch with no access token cached: a DPoP refresh the IdP accepts, then a 200 with a DPoP token. */
  const fetchAfterRefresh = async () => {
    const tokens = tokenRequestCount(idp);
    const errors = idp.grantErrors.length;
    const response = await api.fetch(resource.url('/items'), { extensionId: CALLER });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { token_type: string }).token_type, 'DPoP');
    assert.ok(tokenRequestCount(idp) > tokens, 'a refresh went to the IdP');
    // oidc-provider refuses a bound refresh token with any other key, or without one ("failed jkt verification").
    assert.deepEqual(grantErrorsSince(errors), []);
  };

  const activate = async () => {
    api = await activateWithStub({ secrets, storageDir, subscriptions, globalState });
    api.testing!.setUi(headlessSignInUi(() => (browserOpened += 1)));
  };

  before(async () => {
    idp = await startIdp({ dpop: { requireNonce: true } });
    resource = await startResourceServer({ issuer: idp.urls.oidcIssuer, jwksUri: `${idp.urls.oidcIssuer}/jwks`, audience: 'api://demo', requireDpop: true, dpopNonce: 'required' });
    storageDir = mkdtempSync(join(tmpdir(), 'msal-signin-fetch-dpop-'));
    stub.reset();
    stub.settings.set('msalSignIn.allowLoopbackHttp', true);
    stub.settings.set('msalSignIn.preferredFlow', 'loopback');
    stub.settings.set('msalSignIn.oidcProviders', [{ id: PROVIDER, label: 'DPoP IdP', issuer: idp.urls.oidcIssuer, clientId: PUBLIC_CLIENT_ID, dpop: true }]);
    stub.installed.set(CALLER, { id: CALLER, packageJSON: { displayName: 'ACME API Client' } });
    stub.answer = (message) => (message.actions.includes('Allow') ? 'Allow' : undefined);
    await activate();
  });
  after(async () => {
    for (const subscription of subscriptions) subscription.dispose();
    delete process.env.MSAL_SIGNIN_TEST_HOOKS;
    rmSync(storageDir, { recursive: true, force: true });
    await resource.close();
    await idp.close();
  });

  it('no session: sign-in with DPoP, the resource’s nonce retry, and a 200 with a DPoP token; the key is kept', async () => {
    const response = await api.fetch(resource.url('/items'), { extensionId: CALLER });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { token_type: string }).token_type, 'DPoP');
    assert.deepEqual(itemStatuses(0), [401, 401, 200], 'unauthenticated, the proof without the resource’s nonce, with it');
    assert.equal(resource.requests.at(-1)?.scheme, 'dpop');
    assert.equal(browserOpened, 1);
    assert.equal(dpopKeyNames().length, 1);
  });

  it('the second call sends the cached DPoP token with a fresh proof: no token request, no nonce retry', async () => {
    const tokens = tokenRequestCount(idp);
    const before = resource.requests.length;
    const response = await api.fetch(resource.url('/items'), { extensionId: CALLER });
    assert.equal(response.status, 200);
    assert.equal(tokenRequestCount(idp), tokens);
    assert.deepEqual(itemStatuses(before), [200]);
  });

  it('a getSession consumer is not served from the key-bound refresh token, and nothing is sent that would destroy it', async () => {
    const [key] = dpopKeyNames();
    const boundBefore = refreshTokens();
    assert.equal(boundBefore.length, 1);
    assert.ok(boundBefore[0]!.key_id, 'the DPoP sign-in filed its refresh token bound to the key');
    const tokens = tokenRequestCount(idp);
    // No Bearer token is cached for READ: the Bearer application would have to refresh.
    assert.deepEqual(await provider().getSessions([READ], {}), []);
    assert.equal(tokenRequestCount(idp), tokens, 'no refresh without a proof');
    assert.deepEqual(refreshTokens(), boundBefore, 'the bound refresh token is still in the cache');
    assert.deepEqual(dpopKeyNames(), [key], 'and so is its key');
    const response = await api.fetch(resource.url('/items'), { extensionId: CALLER });
    assert.equal(response.status, 200);
    assert.equal(browserOpened, 1, 'api.fetch still works without a sign-in');
  });

  it('after a reload, the refresh token is redeemed with the key from SecretStorage: a 200 without sign-in', async () => {
    for (const subscription of subscriptions) subscription.dispose();
    subscriptions = [];
    // The access tokens have expired meanwhile: only the refresh token (bound to the key) is left.
    dropAccessTokens();
    await activate();
    await fetchAfterRefresh();
    assert.equal(browserOpened, 1, 'no new sign-in');
  });

  it('a getSession consumer who signs in gets a Bearer token; api.fetch then goes on with DPoP, without a browser', async () => {
    const session = await provider().createSession([READ], {});
    assert.equal(browserOpened, 2);
    assert.equal(decodeJwt(session.accessToken).cnf, undefined, 'a Bearer token, bound to no key');
    const keys = dpopKeyNames();
    assert.equal(keys.length, 1, 'the key is kept');
    assert.deepEqual(refreshTokens().map((rt) => rt.key_id), [undefined], 'one refresh token for the account and client: the unbound one replaced the bound one');
    const [again] = await provider().getSessions([READ], {});
    assert.equal(again?.accessToken, session.accessToken, 'served from the cache');
    // Only the unbound refresh token is left for api.fetch: its DPoP application sends it with a proof.
    dropAccessTokens();
    await fetchAfterRefresh();
    assert.equal(browserOpened, 2);
    assert.deepEqual(dpopKeyNames(), keys, 'with the same key');
  });

  it('sign-out removes the account’s key', async () => {
    const [account] = await provider().getSessions(undefined, {});
    await api.signOut(PROVIDER, account!.account.id);
    assert.deepEqual(dpopKeyNames(), []);
  });
});
