/**
 * Interoperability with @azure/msal-node through the shared unified cache schema, both ways:
 * a cache msal-node wrote serves silent tokens here, and a cache we wrote serves them in
 * msal-node. Both talk to the same Entra-shaped IdP, over https (msal-node accepts nothing else),
 * with a certificate made for this run and trusted explicitly by each side.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as msal from '@azure/msal-node';
import { SerializableTokenCache } from '../../src/core/cache/serializable-token-cache.js';
import { createNodeHttpClient, type NodeHttpClient } from '../../src/node/http-client.js';
import { PublicClientApplication } from '../../src/node/applications.js';
import { makeSelfSignedCertificate } from '../support/servers.js';
import { ACCOUNTS, DEMO_API_SCOPES, type Idp, PUBLIC_CLIENT_ID, startIdp, TENANT_ID } from '../idp/server.js';
import { msalNetworkClient } from './msal-node-network.js';

const READ = [DEMO_API_SCOPES.read];

describe('token cache interoperability with @azure/msal-node', () => {
  let idp: Idp;
  let certificate: { cert: string; key: string };
  let http: NodeHttpClient;

  before(async () => {
    certificate = makeSelfSignedCertificate();
    idp = await startIdp({ https: certificate });
    http = createNodeHttpClient({ verify: certificate.cert });
  });
  after(async () => {
    await http.close();
    await idp.close();
  });

  const authority = () => idp.urls.entraAuthority();

  function msalNodeApp(): msal.PublicClientApplication {
    return new msal.PublicClientApplication({
      auth: { clientId: PUBLIC_CLIENT_ID, authority: authority(), knownAuthorities: [new URL(authority()).host] },
      system: { networkClient: msalNetworkClient(http) },
    });
  }

  function ourApp(tokenCache: SerializableTokenCache): PublicClientApplication {
    return new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: authority(), tokenCache, verify: certificate.cert });
  }

  it('serves silent tokens from a cache that msal-node wrote', async () => {
    assert.match(authority(), /^https:/);
    const theirs = msalNodeApp();
    const signedIn = await theirs.acquireTokenByUsernamePassword({ username: ACCOUNTS.alice.email, password: ACCOUNTS.alice.password, scopes: READ });
    assert.ok(signedIn?.accessToken);
    const serialized = theirs.getTokenCache().serialize();

    const cache = new SerializableTokenCache();
    cache.deserialize(serialized);
    const app = ourApp(cache);
    const [account] = await app.getAccounts();
    assert.equal(account.username, ACCOUNTS.alice.email);
    assert.equal(account.homeAccountId, `${ACCOUNTS.alice.sub}.${TENANT_ID}`);
    const silent = await app.acquireTokenSilent(READ, account);
    assert.equal(silent?.tokenSource, 'cache');
    assert.equal(silent?.accessToken, signedIn!.accessToken);
    // msal-node's refresh token works here too.
    const refreshed = await app.acquireTokenSilent(READ, account, { forceRefresh: true });
    assert.equal(refreshed?.tokenSource, 'identity_provider');
  });

  it('writes a cache that msal-node reads and serves silent tokens from', async () => {
    const cache = new SerializableTokenCache();
    const signedIn = await ourApp(cache).acquireTokenByUsernamePassword(ACCOUNTS.bob.email, ACCOUNTS.bob.password, READ);

    const theirs = msalNodeApp();
    await theirs.getTokenCache().deserialize(cache.serialize());
    const accounts = await theirs.getTokenCache().getAllAccounts();
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0].username, ACCOUNTS.bob.email);
    assert.equal(accounts[0].homeAccountId, signedIn.account?.homeAccountId);
    const silent = await theirs.acquireTokenSilent({ account: accounts[0], scopes: READ });
    assert.equal(silent.fromCache, true);
    assert.equal(silent.accessToken, signedIn.accessToken);
    // And its refresh token, forced.
    const refreshed = await theirs.acquireTokenSilent({ account: accounts[0], scopes: READ, forceRefresh: true });
    assert.equal(refreshed.fromCache, false);
    assert.ok(refreshed.accessToken);
  });
});
