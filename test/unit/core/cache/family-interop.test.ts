/**
 * Family refresh tokens across libraries: app A of Microsoft's family signs in with msal-node,
 * which files a family refresh token (`…-refreshtoken-1---`) and A's app metadata; app B, ours,
 * has never been seen by that cache. B lists the account, redeems msal-node's family refresh token
 * silently (MSAL for Python's order for an app of unknown membership), joins the family, and its
 * next call is served from the cache. Offline: both libraries talk to a fake Entra.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { PublicClientApplication } from '../../../../src/core/index.js';
import { SerializableTokenCache } from '../../../../src/core/cache/index.js';
import type { HttpResponse } from '../../../../src/core/http.js';
import { ALICE, CLIENT, clientInfo, entraIdToken, fakeEntraNetwork, makeTestSigner, msalNodePublicClient, OID, TENANT, type TestSigner } from './fixtures.js';

const APP_B = '0a1b2c3d-0000-4000-8000-0000000000b2';
const GRAPH_READ = 'https://graph.microsoft.com/User.Read';
const AUTHORITY = 'https://login.microsoftonline.com/organizations';
const DISCOVERY_URL = `${AUTHORITY}/v2.0/.well-known/openid-configuration`;
const DISCOVERY = {
  issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
  authorization_endpoint: `${AUTHORITY}/oauth2/v2.0/authorize`,
  token_endpoint: `${AUTHORITY}/oauth2/v2.0/token`,
  jwks_uri: `${AUTHORITY}/discovery/v2.0/keys`,
};

let signer: TestSigner;
before(async () => {
  signer = await makeTestSigner('family-test-key');
});

/** Alice's ID token for app B, as Entra signs it. */
function idTokenForB(): Promise<string> {
  return signer.idToken(
    { oid: OID, tid: TENANT, preferred_username: ALICE.username, ver: '2.0' },
    { issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`, audience: APP_B, subject: `sub-of-${OID}-for-b` },
  );
}

describe('a family refresh token msal-node wrote, used by an app of ours the cache has never seen', () => {
  test('app B lists the account, redeems the family refresh token, joins the family, then hits the cache', async () => {
    const network = fakeEntraNetwork(() => ({
      token_type: 'Bearer',
      scope: `${GRAPH_READ} openid profile`,
      expires_in: 3599,
      access_token: 'app-a-at',
      refresh_token: 'msal-node-frt',
      id_token: entraIdToken(ALICE, CLIENT),
      client_info: clientInfo(OID, TENANT),
      foci: '1',
    }));
    const appA = msalNodePublicClient(CLIENT, network);
    await appA.acquireTokenByCode({ code: 'code', scopes: [GRAPH_READ], redirectUri: 'http://localhost' });
    const cache = new SerializableTokenCache();
    cache.deserialize(appA.getTokenCache().serialize());
    assert.ok(Object.keys(JSON.parse(cache.serialize()).RefreshToken).some((key) => key.endsWith('-refreshtoken-1---')), "msal-node's family key");

    const sentRefreshTokens: (string | null)[] = [];
    const httpClient = async (url: string, init: { body?: string }): Promise<HttpResponse> => {
      if (url === DISCOVERY_URL) return Response.json(DISCOVERY);
      if (url === DISCOVERY.jwks_uri) return Response.json({ keys: [signer.publicJwk] });
      sentRefreshTokens.push(new URLSearchParams(init.body).get('refresh_token'));
      return Response.json({
        token_type: 'Bearer',
        scope: `${GRAPH_READ} openid profile`,
        expires_in: 3599,
        access_token: 'app-b-at',
        refresh_token: 'frt-rotated-for-b',
        id_token: await idTokenForB(),
        client_info: clientInfo(OID, TENANT),
        foci: '1',
      });
    };
    const appB = new PublicClientApplication({ clientId: APP_B, authority: AUTHORITY, httpClient, tokenCache: cache });
    const [account, ...others] = await appB.getAccounts();
    assert.equal(others.length, 0);
    assert.equal(account?.username, ALICE.username, 'the family’s account is listed for an app the cache has never seen');

    const first = await appB.acquireTokenSilent([GRAPH_READ], account);
    assert.equal(first?.accessToken, 'app-b-at');
    assert.deepEqual(sentRefreshTokens, ['msal-node-frt'], "msal-node's family refresh token, once");
    const stored = JSON.parse(cache.serialize());
    const metadataOfB = Object.values(stored.AppMetadata as Record<string, { client_id: string; family_id?: string }>).find((entry) => entry.client_id === APP_B);
    assert.equal(metadataOfB?.family_id, '1', 'app B joined the family');
    assert.deepEqual(
      Object.values(stored.RefreshToken as Record<string, { secret: string }>).map((rt) => rt.secret),
      ['frt-rotated-for-b'],
      'one family refresh token left, under the key msal-node uses',
    );

    const second = await appB.acquireTokenSilent([GRAPH_READ], account);
    assert.equal(second?.tokenSource, 'cache');
    assert.equal(sentRefreshTokens.length, 1);
  });
});
