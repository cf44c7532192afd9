/**
 * One serialized cache passed back and forth between this library and @azure/msal-node while the
 * IdP rotates refresh tokens (reusing a rotated one is invalid_grant and revokes the whole grant):
 * a user who runs both (the editor and a CLI tool on the same cache file) must never be signed out.
 *
 * Ours signs in interactively, then three rounds of "ours, then msal-node", then ours once more.
 * Each turn loads the JSON, refreshes (forced: ours once, msal-node twice in a row; each refresh
 * is exactly one token request, which succeeds, with no grant error at the IdP), serves a plain
 * silent call from the cache without a request, and saves the JSON. Ours' turn starts with a plain
 * silent call too, served from the cache as msal-node left it (with the tenant authority,
 * msal-node's own token; through organizations or common ours' older token under that realm is
 * still there and valid, so the last test below has msal-node write the cache alone). After every
 * save, ours' and msal-node's alike, the cache holds exactly one refresh token for the account.
 * Authorities: the tenant, organizations, common.
 *
 * msal-node's second refresh in a row is what proves the keys agree. msal-node picks the first
 * refresh token whose key matches and never removes one stored under another key: had ours filed
 * its refresh token under a key of its own, msal-node's first refresh would add msal-node's entry
 * after ours', now stale, and the second would send ours' (invalid_grant, and the grant revoked).
 * Ours writes under msal-node's own key, `<home>-<env>-refreshtoken-<client>---`, so msal-node's
 * write replaces ours' entry: there is only ever one refresh token to pick.
 *
 * Whether msal-node would serve ours' access token is asked of a throw-away msal-node app whose
 * token requests never leave the process; its answer is asserted for the tenant authority only and
 * otherwise recorded with `t.diagnostic` (shown by the spec reporter), like the keys each side
 * wrote and which refresh token each side sent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import * as msal from '@azure/msal-node';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Account } from '../../src/core/account.js';
import { SerializableTokenCache } from '../../src/core/cache/serializable-token-cache.js';
import type { FetchLike } from '../../src/core/http.js';
import { createNodeHttpClient, type NodeHttpClient } from '../../src/node/http-client.js';
import { PublicClientApplication } from '../../src/node/applications.js';
import { completeAuthorization, CookieJar } from '../idp/headless-login.js';
import { makeSelfSignedCertificate } from '../support/servers.js';
import { ACCOUNTS, DEMO_API_SCOPES, type Idp, PUBLIC_CLIENT_ID, startIdp, TENANT_ID } from '../idp/server.js';
import { tokenRequestCount } from './fixture.js';
import { msalNetworkClient } from './msal-node-network.js';

const READ = [DEMO_API_SCOPES.read];
const ROUNDS = 3;
const HOME_ACCOUNT_ID = `${ACCOUNTS.alice.sub}.${TENANT_ID}`;

/** The refresh tokens each side sent, in order (kept in memory, compared with cache entries, never printed). */
type SentRefreshTokens = { side: 'ours' | 'msal-node'; secret: string }[];

function recordRefreshToken(sent: SentRefreshTokens, side: 'ours' | 'msal-node', body: string | undefined): void {
  const form = new URLSearchParams(body ?? '');
  const secret = form.get('refresh_token');
  if (form.get('grant_type') === 'refresh_token' && secret) sent.push({ side, secret });
}

/** Our undici client for our app, recording the refresh tokens it sends. */
function oursHttpClient(http: NodeHttpClient, sent: SentRefreshTokens): FetchLike {
  return async (url, init) => {
    recordRefreshToken(sent, 'ours', init.body);
    return http(url, init);
  };
}

type CacheSection = Record<string, Record<string, unknown>>;

/** The entries of one section of a serialized cache that belong to the home account, by key. */
function entriesOf(state: string, section: 'RefreshToken' | 'AccessToken' | 'Account', homeAccountId = HOME_ACCOUNT_ID): [string, Record<string, unknown>][] {
  const parsed = JSON.parse(state) as Record<string, CacheSection | undefined>;
  return Object.entries(parsed[section] ?? {}).filter(([, entry]) => entry['home_account_id'] === homeAccountId);
}

/** The key (without the home account id) under which `state` holds the refresh token `secret`, or a note that it holds none. */
function keyOfRefreshToken(state: string, secret: string | undefined): string {
  if (secret === undefined) return '(none sent)';
  const found = entriesOf(state, 'RefreshToken').find(([, entry]) => entry['secret'] === secret);
  return found ? found[0].slice(HOME_ACCOUNT_ID.length) : '(not in the cache it was given)';
}

/** A short, token-free description of a section's entries for the report: key tail and the fields that tell writers apart. */
function describeEntries(state: string, section: 'RefreshToken' | 'AccessToken' | 'Account'): string {
  return entriesOf(state, section)
    .map(([key, entry]) => {
      const tail = key.slice(HOME_ACCOUNT_ID.length);
      const fields = Object.keys(entry).filter((field) => !['home_account_id', 'environment', 'secret', 'client_id', 'credential_type'].includes(field));
      const realm = typeof entry['realm'] === 'string' ? ` realm=${entry['realm']}` : '';
      return `${tail}${realm} {${fields.join(',')}}`;
    })
    .join(' | ');
}

describe('one cache shared with @azure/msal-node, refresh tokens rotating at the IdP', () => {
  let idp: Idp;
  let certificate: { cert: string; key: string };
  let http: NodeHttpClient;
  let browserAgent: Agent;

  before(async () => {
    certificate = makeSelfSignedCertificate();
    idp = await startIdp({ https: certificate });
    http = createNodeHttpClient({ verify: certificate.cert });
    browserAgent = new Agent({ connect: { ca: certificate.cert } });
  });
  after(async () => {
    await http.close();
    await browserAgent.close();
    await idp.close();
  });

  /** A browser stand-in that trusts the run's certificate: signs alice in, then follows the redirect to the loopback listener. */
  function headlessHttpsBrowser() {
    const jar = new CookieJar();
    const trustingFetch = ((input: string | URL, init?: RequestInit) =>
      undiciFetch(input, { ...(init as object), dispatcher: browserAgent })) as unknown as typeof fetch;
    return async (url: string) => {
      const redirect = await completeAuthorization(url, { account: 'alice', jar, fetch: trustingFetch });
      const response = await fetch(redirect, { redirect: 'manual' });
      await response.text();
    };
  }

  /** Asserts that the serialized cache holds exactly one refresh token for the account, naming the keys otherwise. */
  function assertOneRefreshToken(state: string, when: string): void {
    const found = entriesOf(state, 'RefreshToken');
    assert.equal(found.length, 1, `${when}: expected exactly one refresh token for the account, found ${found.length}: ${found.map(([key]) => key).join(', ')}`);
  }

  for (const tenant of [TENANT_ID, 'organizations', 'common']) {
    const label = tenant === TENANT_ID ? 'the tenant authority' : `the ${tenant} authority`;

    it(`${label}: every refresh succeeds and the cache holds one refresh token after every save, round after round`, { timeout: 60_000 }, async (t: TestContext) => {
      const authority = idp.urls.entraAuthority(tenant);
      const grantErrorsAtStart = idp.grantErrors.length;
      const cache = new SerializableTokenCache();
      const sent: SentRefreshTokens = [];
      const ours = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority, tokenCache: cache, httpClient: oursHttpClient(http, sent) });
      const msalNodeApp = (offline = false) =>
        new msal.PublicClientApplication({
          auth: { clientId: PUBLIC_CLIENT_ID, authority, knownAuthorities: [new URL(authority).host] },
          system: { networkClient: msalNetworkClient(http, { offline, onPost: (body) => recordRefreshToken(sent, 'msal-node', body) }) },
        });
      const theirs = msalNodeApp();
      /** The access token msal-node got last, which ours should find wherever msal-node filed it. */
      let theirLatestAccessToken: string | undefined;

      const signedIn = await ours.acquireTokenInteractive(READ, { openBrowser: headlessHttpsBrowser(), timeout: 15_000 });
      assert.equal(signedIn.account?.homeAccountId, HOME_ACCOUNT_ID);
      let state = cache.serialize();
      assertOneRefreshToken(state, 'after ours signed in');

      /** Awaits `promise`; a rejection becomes an assertion failure naming the step, the error and what the IdP said. */
      const expectSuccess = async <T>(promise: Promise<T>, what: string, grantErrorsBefore: number, onSettled?: () => void): Promise<T> => {
        try {
          return await promise;
        } catch (err) {
          const said = idp.grantErrors.slice(grantErrorsBefore);
          throw new assert.AssertionError({
            message: `${what} failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}${said.length ? `; IdP said: ${said.join('; ')}` : ''}`,
          });
        } finally {
          onSettled?.();
        }
      };

      /** Ours loads the JSON, serves msal-node's token, refreshes once, serves its own token, saves. */
      const oursTurn = async (turn: string) => {
        const given = state;
        cache.deserialize(given);
        const accounts = (await ours.getAccounts()).filter((account) => account.homeAccountId === HOME_ACCOUNT_ID);
        assert.equal(accounts.length, 1, `${turn}: ours lists the account once`);
        const account: Account = accounts[0]!;

        // getAccounts() resolved the authority already: no request at all may follow.
        let requestsBefore = idp.requests.length;
        const cached = await expectSuccess(ours.acquireTokenSilentWithError(READ, account), `${turn}: ours' plain silent call`, idp.grantErrors.length);
        const requests = idp.requests.slice(requestsBefore).map((entry) => `${entry.method} ${entry.path} ${entry.status ?? ''}`);
        assert.equal(cached?.tokenSource, 'cache', `${turn}: ours' plain silent call is served from the cache (it sent: ${requests.join(', ') || 'nothing'})`);
        assert.deepEqual(requests, [], `${turn}: ours' plain silent call sends no request`);
        if (theirLatestAccessToken !== undefined) {
          const servedTheirs = cached?.accessToken === theirLatestAccessToken;
          t.diagnostic(`${turn}: ours' plain silent call served ${servedTheirs ? "msal-node's latest access token" : 'an older access token (ours, still valid)'}`);
          // With the tenant authority both libraries file under the tenant id and msal-node replaced ours' token.
          if (tenant === TENANT_ID) assert.ok(servedTheirs, `${turn}: ours serves the access token msal-node got`);
        }

        const sentBefore = sent.length;
        const tokenRequestsBefore = tokenRequestCount(idp);
        const grantErrorsBefore = idp.grantErrors.length;
        const refreshed = await expectSuccess(ours.acquireTokenSilentWithError(READ, account, { forceRefresh: true }), `${turn}: ours' forced refresh`, grantErrorsBefore, () =>
          t.diagnostic(`${turn}: ours sent the RTs stored under ${sent.slice(sentBefore).map(({ secret }) => keyOfRefreshToken(given, secret)).join(', then ') || '(none)'}`),
        );
        assert.equal(refreshed?.tokenSource, 'identity_provider', `${turn}: ours' forced refresh went to the IdP`);
        assert.equal(tokenRequestCount(idp) - tokenRequestsBefore, 1, `${turn}: ours' forced refresh took exactly one token request (a stale refresh token tried first revokes the grant)`);
        assert.deepEqual(idp.grantErrors.slice(grantErrorsBefore), [], `${turn}: no grant error at the IdP during ours' refresh`);

        requestsBefore = idp.requests.length;
        const again = await ours.acquireTokenSilentWithError(READ, account);
        assert.equal(again?.tokenSource, 'cache', `${turn}: ours' second plain silent call is served from the cache`);
        assert.equal(again?.accessToken, refreshed?.accessToken, `${turn}: ours serves the token it just got`);
        assert.equal(idp.requests.length - requestsBefore, 0, `${turn}: ours' second plain silent call sends no request`);

        state = cache.serialize();
        t.diagnostic(`${turn}: ours saved RT ${describeEntries(state, 'RefreshToken')}; AT ${describeEntries(state, 'AccessToken')}; Account ${describeEntries(state, 'Account')}`);
        assertOneRefreshToken(state, `${turn}, after ours saved`);
      };

      /** msal-node loads the JSON, refreshes twice, serves its own token, saves; a probe asks whether it would have served ours'. */
      const theirTurn = async (turn: string) => {
        const given = state;
        const probe = msalNodeApp(true);
        await probe.getTokenCache().deserialize(given);
        const probeAccount = (await probe.getTokenCache().getAllAccounts()).find((account) => account.homeAccountId === HOME_ACCOUNT_ID);
        const probed = probeAccount
          ? await probe.acquireTokenSilent({ account: probeAccount, scopes: READ }).then((result) => `served from the cache: ${result.fromCache}`, (err: unknown) => `a token request: it uses no cached access token (${err instanceof Error ? err.message.split(':')[0] : String(err)})`)
          : 'no account';
        t.diagnostic(`${turn}: msal-node was given RT ${describeEntries(given, 'RefreshToken')}; a plain silent call would be ${probed}`);
        if (tenant === TENANT_ID) assert.match(probed, /^served from the cache: true$/, `${turn}: msal-node would serve ours' access token`);

        await theirs.getTokenCache().deserialize(given);
        const accounts = (await theirs.getTokenCache().getAllAccounts()).filter((account) => account.homeAccountId === HOME_ACCOUNT_ID);
        assert.ok(accounts.length > 0, `${turn}: msal-node lists the account`);
        if (accounts.length > 1) t.diagnostic(`${turn}: msal-node lists the account ${accounts.length} times, tenantIds ${accounts.map((a) => a.tenantId).join(', ')}; the first is used`);
        const account = accounts[0]!;

        // Two forced refreshes: the second starts from the cache msal-node's first one left in its memory.
        let refreshed: msal.AuthenticationResult | undefined;
        for (const which of ['first', 'second']) {
          const held = which === 'first' ? given : theirs.getTokenCache().serialize();
          const sentBefore = sent.length;
          const tokenRequestsBefore = tokenRequestCount(idp);
          const grantErrorsBefore = idp.grantErrors.length;
          refreshed = await expectSuccess(theirs.acquireTokenSilent({ account, scopes: READ, forceRefresh: true }), `${turn}: msal-node's ${which} forced refresh`, grantErrorsBefore, () =>
            t.diagnostic(`${turn}: msal-node's ${which} refresh (account tenantId ${account.tenantId}) sent the RT stored under ${sent.slice(sentBefore).map(({ secret }) => keyOfRefreshToken(held, secret)).join(', then ') || '(none)'}`),
          );
          assert.equal(refreshed.fromCache, false, `${turn}: msal-node's ${which} forced refresh went to the IdP`);
          assert.equal(tokenRequestCount(idp) - tokenRequestsBefore, 1, `${turn}: msal-node's ${which} forced refresh took exactly one token request (a stale refresh token tried first revokes the grant)`);
          assert.deepEqual(idp.grantErrors.slice(grantErrorsBefore), [], `${turn}: no grant error at the IdP during msal-node's ${which} refresh`);
        }
        assert.ok(refreshed);

        const tokenRequestsBefore = tokenRequestCount(idp);
        const again = await expectSuccess(theirs.acquireTokenSilent({ account, scopes: READ }), `${turn}: msal-node's plain silent call`, idp.grantErrors.length);
        assert.equal(again.fromCache, true, `${turn}: msal-node's plain silent call is served from the cache`);
        assert.equal(again.accessToken, refreshed.accessToken, `${turn}: msal-node serves the token it just got`);
        assert.equal(tokenRequestCount(idp) - tokenRequestsBefore, 0, `${turn}: msal-node's plain silent call makes no token request`);

        theirLatestAccessToken = refreshed.accessToken;
        state = theirs.getTokenCache().serialize();
        t.diagnostic(`${turn}: msal-node saved RT ${describeEntries(state, 'RefreshToken')}; AT ${describeEntries(state, 'AccessToken')}; Account ${describeEntries(state, 'Account')}`);
        assertOneRefreshToken(state, `${turn}, after msal-node saved`);
      };

      for (let round = 1; round <= ROUNDS; round++) {
        await oursTurn(`round ${round}, ours`);
        await theirTurn(`round ${round}, msal-node`);
      }
      await oursTurn('closing turn, ours');

      assertOneRefreshToken(state, 'at the end');
      const [[, rt]] = entriesOf(state, 'RefreshToken') as [[string, Record<string, unknown>]];
      assert.equal(rt['client_id'], PUBLIC_CLIENT_ID);
      const grantErrors = idp.grantErrors.slice(grantErrorsAtStart);
      assert.deepEqual(grantErrors, [], 'no grant error at the IdP in the whole exchange');
    });
  }

  // In the exchange above ours still has its own valid token under `organizations`/`common`; here
  // msal-node wrote the cache alone, so only its token under the tenant id can serve the call.
  for (const tenant of ['organizations', 'common']) {
    it(`the ${tenant} authority: ours serves the token msal-node filed under the tenant id, then refreshes with msal-node's refresh token`, { timeout: 30_000 }, async () => {
      const authority = idp.urls.entraAuthority(tenant);
      const sent: SentRefreshTokens = [];
      const theirs = new msal.PublicClientApplication({
        auth: { clientId: PUBLIC_CLIENT_ID, authority, knownAuthorities: [new URL(authority).host] },
        system: { networkClient: msalNetworkClient(http, { onPost: (body) => recordRefreshToken(sent, 'msal-node', body) }) },
      });
      const signedIn = await theirs.acquireTokenByUsernamePassword({ username: ACCOUNTS.alice.email, password: ACCOUNTS.alice.password, scopes: READ });
      assert.ok(signedIn?.accessToken);
      const state = theirs.getTokenCache().serialize();
      assert.deepEqual(entriesOf(state, 'AccessToken').map(([, entry]) => entry['realm']), [TENANT_ID], 'msal-node files its access token under the tenant id');

      const cache = new SerializableTokenCache();
      cache.deserialize(state);
      const ours = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority, tokenCache: cache, httpClient: oursHttpClient(http, sent) });
      const [account, ...others] = await ours.getAccounts();
      assert.equal(others.length, 0);
      assert.equal(account?.homeAccountId, HOME_ACCOUNT_ID);

      const requestsBefore = idp.requests.length;
      const cached = await ours.acquireTokenSilentWithError(READ, account);
      assert.equal(cached?.tokenSource, 'cache', 'ours serves the access token msal-node filed under the tenant id');
      assert.equal(cached?.accessToken, signedIn.accessToken);
      assert.equal(idp.requests.length - requestsBefore, 0, 'without a request');

      const tokenRequestsBefore = tokenRequestCount(idp);
      const refreshed = await ours.acquireTokenSilentWithError(READ, account, { forceRefresh: true });
      assert.equal(refreshed?.tokenSource, 'identity_provider');
      assert.equal(tokenRequestCount(idp) - tokenRequestsBefore, 1);
      assertOneRefreshToken(cache.serialize(), 'after ours refreshed the cache msal-node wrote');
    });
  }
});
