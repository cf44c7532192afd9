/**
 * The cache JSON travels both ways between this library and msal-node 7 (driven offline through
 * a fake network client): what msal-node writes, we read and update; what we write, msal-node
 * lists and serves silently.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CredentialType, SerializableTokenCache } from '../../../../src/core/cache/index.js';
import {
  ALIASES,
  ALICE,
  CLIENT,
  clientInfo,
  entraEvent,
  entraIdToken,
  entraResponse,
  fakeEntraNetwork,
  HOME,
  msalNodePublicClient,
  NOW,
  OID,
  TENANT,
} from './fixtures.js';

const GRAPH_READ = 'https://graph.microsoft.com/User.Read';
const GRAPH_MAIL = 'https://graph.microsoft.com/Mail.Read';

function msalNodeTokenResponse(): Record<string, unknown> {
  return {
    token_type: 'Bearer',
    scope: `${GRAPH_READ} ${GRAPH_MAIL} openid profile`,
    expires_in: 3599,
    ext_expires_in: 3599,
    access_token: 'msal-node-at',
    refresh_token: 'msal-node-rt',
    id_token: entraIdToken(ALICE, CLIENT),
    client_info: clientInfo(OID, TENANT),
    foci: '1',
  };
}

/** A cache msal-node wrote itself, after redeeming an authorization code. */
async function cacheWrittenByMsalNode(): Promise<string> {
  const pca = msalNodePublicClient(CLIENT, fakeEntraNetwork(msalNodeTokenResponse));
  await pca.acquireTokenByCode({ code: 'code', scopes: [GRAPH_READ], redirectUri: 'http://localhost' });
  return pca.getTokenCache().serialize();
}

describe('interop with msal-node: reading what it writes', () => {
  test('a cache msal-node wrote: accounts, access, refresh and ID tokens and app metadata are found', async () => {
    const state = await cacheWrittenByMsalNode();
    const cache = new SerializableTokenCache();
    cache.deserialize(state);

    const accounts = cache.getAccounts({ environments: ALIASES });
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0]?.home_account_id, HOME);
    assert.equal(accounts[0]?.username, ALICE.username);
    assert.equal(accounts[0]?.realm, TENANT);
    assert.equal(accounts[0]?.environment, 'login.windows.net', "msal-node stores the authority's preferred cache alias");

    const now = Math.floor(Date.now() / 1000);
    const query = { homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, realm: TENANT };
    assert.equal(cache.findAccessToken({ ...query, scopes: [GRAPH_READ.toLowerCase()], now })?.secret, 'msal-node-at');
    assert.equal(cache.findRefreshToken(query)?.secret, 'msal-node-rt');
    assert.equal(cache.findRefreshToken({ ...query, clientId: 'a-sibling', familyId: '1' })?.secret, 'msal-node-rt');
    assert.ok(cache.findIdToken(query));
    assert.equal(cache.findAppMetadata({ environments: ALIASES, clientId: CLIENT })?.family_id, '1');

    // Untouched, it serializes back byte for byte (msal-node's own keys and fields included).
    assert.equal(cache.serialize(), state);
  });

  test('our add() replaces msal-node’s access and refresh tokens although its keys differ from ours', async () => {
    const cache = new SerializableTokenCache();
    cache.deserialize(await cacheWrittenByMsalNode());
    cache.add(entraEvent({ environment: 'login.windows.net' }, entraResponse({ access_token: 'our-at', refresh_token: 'our-rt' })), NOW);

    const query = { home_account_id: HOME };
    assert.deepEqual(cache.search(CredentialType.ACCESS_TOKEN, { query, now: NOW }).map((at) => at.secret), ['our-at']);
    assert.deepEqual(cache.search(CredentialType.REFRESH_TOKEN, { query }).map((rt) => rt.secret), ['our-rt']);
    assert.equal(cache.search(CredentialType.ACCOUNT, { query }).length, 1);
    assert.equal(cache.search(CredentialType.ID_TOKEN, { query }).length, 1);
  });

  test('a cache we wrote, passed through msal-node’s deserialize and serialize, still reads', async () => {
    const ours = new SerializableTokenCache();
    ours.add(entraEvent(), NOW);
    const pca = msalNodePublicClient(CLIENT, fakeEntraNetwork(msalNodeTokenResponse));
    await pca.getTokenCache().deserialize(ours.serialize());
    const state = pca.getTokenCache().serialize();

    const cache = new SerializableTokenCache();
    cache.deserialize(state);
    const query = { homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, realm: TENANT };
    assert.equal(cache.getAccounts().length, 1);
    assert.equal(cache.findAccessToken({ ...query, scopes: [GRAPH_READ], now: NOW })?.secret, `at-${OID}`);
    assert.equal(cache.findRefreshToken(query)?.secret, `rt-${OID}`);
    assert.ok(cache.findIdToken(query));
    assert.equal(cache.findAppMetadata({ environments: ALIASES, clientId: CLIENT })?.family_id, '1');
  });
});

describe('interop with msal-node: msal-node reading what we write', () => {
  test('getAllAccounts lists our account with its home account id, username, tenant and name', async () => {
    const ours = new SerializableTokenCache();
    ours.add(entraEvent(), NOW);
    const pca = msalNodePublicClient(CLIENT, fakeEntraNetwork(msalNodeTokenResponse));
    await pca.getTokenCache().deserialize(ours.serialize());

    const accounts = await pca.getTokenCache().getAllAccounts();
    assert.equal(accounts.length, 1);
    const [account] = accounts;
    assert.equal(account?.homeAccountId, HOME);
    assert.equal(account?.username, ALICE.username);
    assert.equal(account?.environment, 'login.microsoftonline.com');
    assert.equal(account?.tenantId, TENANT);
    assert.equal(account?.localAccountId, OID);
    assert.equal(account?.name, ALICE.name);
  });

  test('acquireTokenSilent serves our access token from the cache, without a request', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ours = new SerializableTokenCache();
    ours.add(entraEvent({}, entraResponse({ access_token: 'our-at', refresh_in: undefined, expires_in: 3600 })), now);
    const network = fakeEntraNetwork(msalNodeTokenResponse);
    const pca = msalNodePublicClient(CLIENT, network);
    await pca.getTokenCache().deserialize(ours.serialize());

    const [account] = await pca.getTokenCache().getAllAccounts();
    const result = await pca.acquireTokenSilent({ account: account!, scopes: [GRAPH_READ] });
    assert.equal(result.accessToken, 'our-at');
    assert.equal(result.fromCache, true);
    assert.deepEqual(network.posts, [], 'no token request');
  });
});
