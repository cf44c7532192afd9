/**
 * The bench's work done with our core, through the Node-flavoured applications (undici HTTP,
 * the run's certificate trusted with `verify`). The Entra-shaped authority is given with
 * `validateAuthority: false`, the counterpart of msal-node's `knownAuthorities`: both libraries
 * are told to trust the host, so neither asks instance discovery about it. The root issuer of
 * figure 1c is given as the README has users give any OpenID Connect issuer: `oidcAuthority`.
 */
import { readFileSync } from 'node:fs';
import type { Account } from '../../src/core/account.js';
import { SerializableTokenCache } from '../../src/core/cache/serializable-token-cache.js';
import type { FetchLike } from '../../src/core/http.js';
import { createNodeHttpClient } from '../../src/node/http-client.js';
import { PublicClientApplication } from '../../src/node/applications.js';
import { completeAuthorization } from '../../test/idp/headless-login.js';
import type { BenchContext } from '../context.js';
import { syntheticAccount } from '../synthetic-cache.js';
import type { BenchLibrary, CacheSession, DevicePolling, SavedState, SignInApp } from './library.js';
import { expireAll, summarize } from './shared.js';

const REDIRECT_URI = 'http://127.0.0.1/callback';

export async function createLibrary(ctx: BenchContext): Promise<BenchLibrary> {
  const ca = readFileSync(ctx.caFile, 'utf8');
  const scopes = [ctx.scope];
  const entraApp = (tokenCache: SerializableTokenCache, httpCache?: Map<string, unknown>) =>
    new PublicClientApplication({ clientId: ctx.clientId, authority: ctx.entraAuthority, validateAuthority: false, verify: ca, tokenCache, httpCache });

  return {
    async openApp(): Promise<CacheSession> {
      const cache = new SerializableTokenCache();
      const app = entraApp(cache);
      // Accounts named by hand (as an app that remembers its user's homeAccountId does), so that
      // a silent call is timed alone and not with a listing of every account.
      const accounts = new Map<number, Account>();
      const accountAt = (index: number): Account => {
        let account = accounts.get(index);
        if (!account) {
          const synthetic = syntheticAccount(index, { environment: ctx.host, tenantId: ctx.tenantId });
          account = {
            homeAccountId: synthetic.homeAccountId,
            environment: synthetic.environment,
            realm: synthetic.tenantId,
            localAccountId: synthetic.localAccountId,
            username: synthetic.username,
            name: synthetic.name,
            authorityType: 'MSSTS',
          };
          accounts.set(index, account);
        }
        return account;
      };
      const session: CacheSession = {
        load: (json) => cache.deserialize(json),
        async silent(index) {
          const result = await app.acquireTokenSilent(scopes, accountAt(index));
          if (!result) throw new Error(`no silent token for synthetic account ${index}`);
          return result.tokenSource;
        },
        async getAccounts() {
          return (await app.getAccounts()).length;
        },
      };
      await session.getAccounts(); // discovery (one GET of the openid-configuration) happens here
      return session;
    },

    async signInAtRootIssuer() {
      if (!ctx.rootIssuer) throw new Error('no root issuer in the bench context');
      const app = new PublicClientApplication({ clientId: ctx.clientId, oidcAuthority: ctx.rootIssuer, verify: ca });
      const flow = await app.initiateAuthCodeFlow(scopes, { redirectUri: REDIRECT_URI });
      const redirect = new URL(await completeAuthorization(flow.authUri, { account: 'alice' }));
      await app.acquireTokenByAuthCodeFlow(flow, Object.fromEntries(redirect.searchParams));
      const [account] = await app.getAccounts();
      if (!account) throw new Error('getAccounts() listed no account after the sign-in at the root issuer');
      return async () => {
        const result = await app.acquireTokenSilent(scopes, account);
        if (!result) throw new Error('no silent token for the account signed in at the root issuer');
        return result.tokenSource;
      };
    },

    roundTrip: (() => {
      const cache = new SerializableTokenCache();
      return (json: string) => {
        cache.deserialize(json);
        return cache.serialize();
      };
    })(),

    signInApp(saved?: SavedState): SignInApp {
      const tokenCache = new SerializableTokenCache();
      if (saved) tokenCache.deserialize(saved.tokenCache);
      // A persisted httpCache comes back as JSON, as an app would store it.
      const httpCache = new Map<string, unknown>(saved?.httpCache ? (JSON.parse(saved.httpCache) as [string, unknown][]) : []);
      const app = entraApp(tokenCache, httpCache);
      let account: Account | undefined;
      return {
        async signIn(who) {
          const flow = await app.initiateAuthCodeFlow(scopes, { redirectUri: REDIRECT_URI });
          const redirect = new URL(await completeAuthorization(flow.authUri, { account: who }));
          const result = await app.acquireTokenByAuthCodeFlow(flow, Object.fromEntries(redirect.searchParams));
          account = result.account;
        },
        async refresh() {
          const result = await app.acquireTokenSilent(scopes, account, { forceRefresh: true });
          if (!result) throw new Error('the forced refresh gave no token');
          return result.tokenSource;
        },
        async expireAccessTokens() {
          tokenCache.deserialize(expireAll(tokenCache.serialize()));
        },
        async concurrentSilent(n) {
          const outcomes = await Promise.allSettled(Array.from({ length: n }, () => app.acquireTokenSilentWithError(scopes, account)));
          return summarize(outcomes);
        },
        save: () => ({ tokenCache: tokenCache.serialize(), httpCache: JSON.stringify([...httpCache]) }),
      };
    },

    async pollUnansweredDeviceFlow(windowMs: number): Promise<DevicePolling> {
      const http = createNodeHttpClient({ verify: ca });
      const polls: number[] = [];
      const counting: FetchLike = (url, init) => {
        if (init.method === 'POST' && (init.body ?? '').includes('grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code')) polls.push(Date.now());
        return http(url, init);
      };
      const app = new PublicClientApplication({ clientId: ctx.clientId, oidcAuthority: ctx.oidcIssuer, httpClient: counting });
      try {
        const flow = await app.initiateDeviceFlow(scopes);
        const startedAt = Date.now();
        const signal = AbortSignal.timeout(windowMs);
        await app.acquireTokenByDeviceFlow(flow, { signal }).then(
          () => {
            throw new Error('the device flow completed without a user');
          },
          (err: unknown) => {
            if ((err as { code?: string }).code !== 'cancelled') throw err;
          },
        );
        return { startedAt, polls, intervalUsed: flow.interval };
      } finally {
        await http.close();
      }
    },
  };
}
