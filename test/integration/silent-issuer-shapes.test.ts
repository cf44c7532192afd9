/**
 * The product's promise, "a signed-in person gets a token from the cache with no request", held
 * for every issuer shape a user may configure: a generic issuer at the host root (with and without
 * the trailing slash, with and without a `tid` claim in its ID tokens), under a path, and the
 * Entra-shaped authorities (tenant id, `organizations`, `common`). Requests are counted at the
 * server (`idp.requests`: every request, discovery and JWKS included), not in the client, so a
 * request the library makes through any path shows here.
 *
 * The apps are configured as the README shows (`oidcAuthority` or `authority`, plus the loopback
 * http switch these tests need), and the account comes from `getAccounts()`, as the README's
 * example takes it.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ClientApplicationOptions } from '../../src/core/index.js';
import { ConfidentialClientApplication, PublicClientApplication } from '../../src/node/applications.js';
import {
  ACCOUNTS,
  CONFIDENTIAL_CLIENT_SECRET,
  CONFIDENTIAL_SECRET_CLIENT_ID,
  DEMO_API_SCOPES,
  type Idp,
  type IdpOptions,
  PUBLIC_CLIENT_ID,
  startIdp,
  TENANT_ID,
} from '../idp/server.js';
import { headlessBrowser } from './fixture.js';

const READ = ['api://demo/read'];
const SILENT_CALLS = 5;
/** The `tid` a root issuer that is not Entra puts into its ID tokens (not the Entra face's tenant). */
const ROOT_ISSUER_TID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
/** Bounds every test: a sign-in that hangs fails the test instead of the run. */
const TEST_TIMEOUT_MS = 30_000;

/** The IdPs of this file: one per server configuration, shared by the shapes that need the same one. */
const SERVERS = {
  root: { oidcPath: '' },
  rootSlash: { oidcPath: '/' },
  rootWithTid: { oidcPath: '', oidcTenantClaim: ROOT_ISSUER_TID },
  /** The generic face under /oidc and the Entra face, as every other suite has them. */
  standard: {},
} as const satisfies Record<string, IdpOptions>;
type ServerName = keyof typeof SERVERS;

interface IssuerShape {
  name: string;
  server: ServerName;
  /** What the app is given, exactly as the README has users write it. */
  authority(idp: Idp): Pick<ClientApplicationOptions, 'authority' | 'oidcAuthority'>;
  /** Path of the token endpoint the app is expected to post to. */
  tokenPath: string;
  /** Path of the discovery document the app is expected to fetch. */
  discoveryPath: string;
  /** A generic issuer at the host root (the confidential client is checked on these too). */
  rootIssuer: boolean;
}

const entraShape = (segment: string, label: string): IssuerShape => ({
  name: `Entra-shaped authority with ${label} (${segment === TENANT_ID ? '<tenant id>' : segment})`,
  server: 'standard',
  authority: (idp) => ({ authority: idp.urls.entraAuthority(segment) }),
  tokenPath: `/${segment}/oauth2/v2.0/token`,
  discoveryPath: `/${segment}/v2.0/.well-known/openid-configuration`,
  rootIssuer: false,
});

const SHAPES: IssuerShape[] = [
  {
    name: 'generic issuer at the host root, no trailing slash (http://127.0.0.1:P)',
    server: 'root',
    authority: (idp) => ({ oidcAuthority: idp.urls.oidcIssuer }),
    tokenPath: '/token',
    discoveryPath: '/.well-known/openid-configuration',
    rootIssuer: true,
  },
  {
    name: 'generic issuer at the host root with a trailing slash (http://127.0.0.1:P/)',
    server: 'rootSlash',
    authority: (idp) => ({ oidcAuthority: idp.urls.oidcIssuer }),
    tokenPath: '/token',
    discoveryPath: '/.well-known/openid-configuration',
    rootIssuer: true,
  },
  {
    name: 'generic issuer under a path (http://127.0.0.1:P/oidc)',
    server: 'standard',
    authority: (idp) => ({ oidcAuthority: idp.urls.oidcIssuer }),
    tokenPath: '/oidc/token',
    discoveryPath: '/oidc/.well-known/openid-configuration',
    rootIssuer: false,
  },
  {
    name: 'generic issuer at the host root whose ID tokens carry a tid claim',
    server: 'rootWithTid',
    authority: (idp) => ({ oidcAuthority: idp.urls.oidcIssuer }),
    tokenPath: '/token',
    discoveryPath: '/.well-known/openid-configuration',
    rootIssuer: true,
  },
  entraShape(TENANT_ID, 'the tenant id'),
  entraShape('organizations', 'organizations'),
  entraShape('common', 'common'),
];

const started = new Map<ServerName, Promise<Idp>>();
/** The IdP of `server`, started on first use; every one is closed when the file ends. */
function idpFor(server: ServerName): Promise<Idp> {
  let idp = started.get(server);
  if (idp === undefined) {
    idp = startIdp(SERVERS[server]);
    started.set(server, idp);
  }
  return idp;
}

after(async () => {
  await Promise.all([...started.values()].map(async (idp) => (await idp).close()));
});

/** `METHOD /path` of every request the IdP handled since `mark` (an index into idp.requests). */
function requestsSince(idp: Idp, mark: number): string[] {
  return idp.requests.slice(mark).map((request) => `${request.method} ${request.path}`);
}

/** Signs alice in interactively, as a user would, and returns the app and the sign-in result. */
async function signIn(idp: Idp, shape: IssuerShape, scopes: string[]) {
  const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, ...shape.authority(idp), allowInsecureLoopbackAuthority: true });
  const result = await app.acquireTokenInteractive(scopes, { openBrowser: headlessBrowser('alice').open, timeout: 15_000 });
  assert.equal(result.tokenSource, 'identity_provider');
  assert.equal(result.account?.username, ACCOUNTS.alice.email);
  return { app, result };
}

for (const shape of SHAPES) {
  describe(`silent tokens with no request: ${shape.name}`, () => {
    it(`serves ${SILENT_CALLS} silent calls from the cache with 0 requests at the server, then a forced refresh with exactly 1`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const idp = await idpFor(shape.server);
      const { app, result } = await signIn(idp, shape, READ);

      let mark = idp.requests.length;
      const accounts = await app.getAccounts();
      const listing = requestsSince(idp, mark);
      const account = accounts.find((candidate) => candidate.homeAccountId === result.account?.homeAccountId);
      assert.ok(account, `getAccounts() lists the signed-in account ${result.account?.homeAccountId}; it listed ${JSON.stringify(accounts.map((a) => a.homeAccountId))}`);
      assert.equal(account.username, ACCOUNTS.alice.email);

      mark = idp.requests.length;
      const sources: string[] = [];
      for (let i = 0; i < SILENT_CALLS; i++) {
        sources.push((await app.acquireTokenSilent(READ, account))?.tokenSource ?? 'no token');
      }
      assert.deepEqual(
        { getAccountsRequests: listing, silentRequests: requestsSince(idp, mark), tokenSources: sources },
        { getAccountsRequests: [], silentRequests: [], tokenSources: Array(SILENT_CALLS).fill('cache') },
        'after sign-in, getAccounts() and every silent call are served from the cache without a request at the server',
      );

      mark = idp.requests.length;
      const refreshed = await app.acquireTokenSilent(READ, account, { forceRefresh: true });
      const refreshRequests = requestsSince(idp, mark);
      mark = idp.requests.length;
      const afterRefresh = await app.acquireTokenSilent(READ, account);
      assert.deepEqual(
        {
          refreshSource: refreshed?.tokenSource ?? 'no token',
          refreshRequests,
          nextSilentSource: afterRefresh?.tokenSource ?? 'no token',
          nextSilentIsTheRefreshedToken: afterRefresh !== undefined && afterRefresh.accessToken === refreshed?.accessToken,
          nextSilentRequests: requestsSince(idp, mark),
        },
        {
          refreshSource: 'identity_provider',
          refreshRequests: [`POST ${shape.tokenPath}`],
          nextSilentSource: 'cache',
          nextSilentIsTheRefreshedToken: true,
          nextSilentRequests: [],
        },
        'forceRefresh sends exactly the token request; the refreshed token is then served from the cache',
      );
    });

    it('serves an OpenID-only sign-in (scopes []) to silent [] calls from the cache with 0 requests', { timeout: TEST_TIMEOUT_MS }, async () => {
      const idp = await idpFor(shape.server);
      const { app, result } = await signIn(idp, shape, []);

      const mark = idp.requests.length;
      const [account] = await app.getAccounts();
      assert.ok(account, 'getAccounts() lists the account signed in with OpenID scopes only');
      assert.equal(account.homeAccountId, result.account?.homeAccountId);
      const answers = [];
      for (let i = 0; i < SILENT_CALLS; i++) answers.push(await app.acquireTokenSilent([], account));
      assert.deepEqual(
        {
          requests: requestsSince(idp, mark),
          tokenSources: answers.map((answer) => answer?.tokenSource ?? 'no token'),
          sameTokenAsTheSignIn: answers.map((answer) => answer?.accessToken === result.accessToken),
        },
        {
          requests: [],
          tokenSources: Array(SILENT_CALLS).fill('cache'),
          sameTokenAsTheSignIn: Array(SILENT_CALLS).fill(true),
        },
        'silent [] calls return the userinfo token of the sign-in from the cache without a request at the server',
      );
    });

    if (shape.rootIssuer) {
      it('serves a second acquireTokenForClient from the cache: 1 token request in all', { timeout: TEST_TIMEOUT_MS }, async () => {
        const idp = await idpFor(shape.server);
        let mark = idp.requests.length;
        const daemon = new ConfidentialClientApplication({
          clientId: CONFIDENTIAL_SECRET_CLIENT_ID,
          clientCredential: CONFIDENTIAL_CLIENT_SECRET,
          ...shape.authority(idp),
          allowInsecureLoopbackAuthority: true,
        });
        const first = await daemon.acquireTokenForClient([DEMO_API_SCOPES.default]);
        const firstRequests = requestsSince(idp, mark);
        mark = idp.requests.length;
        const second = await daemon.acquireTokenForClient([DEMO_API_SCOPES.default]);
        assert.deepEqual(
          {
            firstSource: first.tokenSource,
            firstRequests,
            secondSource: second.tokenSource,
            secondIsTheFirstToken: second.accessToken === first.accessToken,
            secondRequests: requestsSince(idp, mark),
          },
          {
            firstSource: 'identity_provider',
            firstRequests: [`GET ${shape.discoveryPath}`, `POST ${shape.tokenPath}`],
            secondSource: 'cache',
            secondIsTheFirstToken: true,
            secondRequests: [],
          },
          'the first call discovers and sends one token request; the second is served from the cache without a request',
        );
        assert.equal((await idp.introspect(first.accessToken)).aud, 'api://demo');
      });
    }
  });
}
