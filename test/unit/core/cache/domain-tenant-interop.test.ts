/**
 * A tenant named by its domain (`https://login.microsoftonline.com/contoso.onmicrosoft.com`):
 * Entra's discovery names the tenant id in the token endpoint, msal-node files the tokens under
 * the ID token's `tid` (the same id), and this library under the token endpoint's tenant (MSAL
 * for Python's realm): a cache msal-node wrote for that authority serves a silent call here
 * without a request, and the other way round. Offline: both libraries talk to a fake Entra.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as msal from '@azure/msal-node';
import { PublicClientApplication } from '../../../../src/core/index.js';
import { SerializableTokenCache } from '../../../../src/core/cache/index.js';
import type { HttpResponse } from '../../../../src/core/http.js';
import { ALIASES, ALICE, CLIENT, clientInfo, entraIdToken, makeTestSigner, OID, TENANT, type TestSigner } from './fixtures.js';

let signer: TestSigner;
before(async () => {
  signer = await makeTestSigner('domain-test-key');
});

/** Alice's ID token as Entra signs it (this library verifies it; msal-node does not). */
function signedIdToken(): Promise<string> {
  return signer.idToken(
    { oid: OID, tid: TENANT, preferred_username: ALICE.username, ver: '2.0' },
    { issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`, audience: CLIENT, subject: `sub-of-${OID}` },
  );
}

const DOMAIN = 'contoso.onmicrosoft.com';
const AUTHORITY = `https://login.microsoftonline.com/${DOMAIN}`;
const GRAPH_READ = 'https://graph.microsoft.com/User.Read';

/** Entra's discovery for the domain: every endpoint under the tenant id, as the real service answers. */
const DISCOVERY = {
  issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
  authorization_endpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/authorize`,
  token_endpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
  jwks_uri: `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
};
const DISCOVERY_URL = `${AUTHORITY}/v2.0/.well-known/openid-configuration`;

function tokenResponse(accessToken: string): Record<string, unknown> {
  return {
    token_type: 'Bearer',
    scope: `${GRAPH_READ} openid profile`,
    expires_in: 3599,
    access_token: accessToken,
    refresh_token: `${accessToken}-rt`,
    id_token: entraIdToken(ALICE, CLIENT),
    client_info: clientInfo(OID, TENANT),
  };
}

/** msal-node against the fake Entra: instance discovery, the domain's discovery, the token endpoint. */
function msalNode(posts: string[]): msal.PublicClientApplication {
  const networkClient: msal.INetworkModule = {
    sendGetRequestAsync: async <T>(url: string) => {
      const body = url.includes('/discovery/instance')
        ? { tenant_discovery_endpoint: DISCOVERY_URL, 'api-version': '1.1', metadata: [{ preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: ALIASES }] }
        : DISCOVERY;
      return { status: 200, headers: {}, body: body as T };
    },
    sendPostRequestAsync: async <T>(url: string) => {
      posts.push(url);
      return { status: 200, headers: {}, body: tokenResponse('msal-node-at') as T };
    },
  };
  return new msal.PublicClientApplication({ auth: { clientId: CLIENT, authority: AUTHORITY }, system: { networkClient } });
}

/** Ours against the same fake Entra, recording every request. */
function ours(cache: SerializableTokenCache, requests: string[]): PublicClientApplication {
  const httpClient = async (url: string): Promise<HttpResponse> => {
    requests.push(url);
    if (url === DISCOVERY_URL) return Response.json(DISCOVERY);
    if (url === DISCOVERY.jwks_uri) return Response.json({ keys: [signer.publicJwk] });
    return Response.json({ ...tokenResponse('our-at'), id_token: await signedIdToken() });
  };
  return new PublicClientApplication({ clientId: CLIENT, authority: AUTHORITY, httpClient, tokenCache: cache });
}

describe('a tenant named by its domain, shared with msal-node', () => {
  test('a cache msal-node wrote serves a silent call here without a token request', async () => {
    const posts: string[] = [];
    const node = msalNode(posts);
    await node.acquireTokenByCode({ code: 'code', scopes: [GRAPH_READ], redirectUri: 'http://localhost' });
    const cache = new SerializableTokenCache();
    cache.deserialize(node.getTokenCache().serialize());

    const requests: string[] = [];
    const app = ours(cache, requests);
    const [account] = await app.getAccounts();
    assert.ok(account, "msal-node's account is listed");
    const result = await app.acquireTokenSilent([GRAPH_READ], account);
    assert.equal(result?.tokenSource, 'cache');
    assert.equal(result?.accessToken, 'msal-node-at');
    assert.deepEqual(requests, [DISCOVERY_URL], 'discovery only, no token request');
  });

  test('what we write for the domain is filed under the tenant id, where msal-node looks', async () => {
    const cache = new SerializableTokenCache();
    const requests: string[] = [];
    const app = ours(cache, requests);
    await app.acquireTokenByRefreshToken('a-refresh-token-from-elsewhere', [GRAPH_READ]);
    const realms = Object.values(JSON.parse(cache.serialize()).AccessToken as Record<string, { realm: string }>).map((at) => at.realm);
    assert.deepEqual(realms, [TENANT]);

    const posts: string[] = [];
    const node = msalNode(posts);
    await node.getTokenCache().deserialize(cache.serialize());
    const [account] = await node.getTokenCache().getAllAccounts();
    assert.ok(account, 'msal-node lists our account');
    const silent = await node.acquireTokenSilent({ account, scopes: [GRAPH_READ] });
    assert.equal(silent.fromCache, true);
    assert.equal(silent.accessToken, 'our-at');
    assert.deepEqual(posts, [], 'msal-node sent no token request');
  });
});
