/**
 * The bench's work done with @azure/msal-node, as shipped: its own HTTP client, trusting the
 * run's certificate through NODE_EXTRA_CA_CERTS (set by the parent on every child).
 *
 * - The authority host is a `knownAuthorities` entry (msal-node would otherwise send instance
 *   discovery to login.microsoftonline.com, off this machine).
 * - Cache figures also pass `authorityMetadata` and `cloudDiscoveryMetadata`, so that its silent
 *   hit makes no request at all; sign-in figures do not, so that its discovery is counted.
 * - The generic issuer at the host root (figure 1c): `protocolMode: OIDC` (a system option), its
 *   host in `knownAuthorities`, no metadata given: its discovery happens at sign-in, before timing.
 * - Device flow: msal-node speaks Entra's dialect — the device authorization endpoint derived
 *   from the token endpoint (`/token` → `/devicecode`) and `grant_type=device_code` — which a
 *   generic issuer does not, so that figure alone gives it a network module (on Node's fetch)
 *   that sends `/oidc/devicecode` to the generic face's `/oidc/device/auth` and spells the grant
 *   type as RFC 8628's URN. Nothing else changes: when and how often it polls is msal-node's own.
 */
import * as msal from '@azure/msal-node';
import { completeAuthorization } from '../../test/idp/headless-login.js';
import type { BenchContext } from '../context.js';
import { syntheticAccount } from '../synthetic-cache.js';
import type { BenchLibrary, CacheSession, DevicePolling, SavedState, SignInApp } from './library.js';
import { expireAll, summarize } from './shared.js';

const REDIRECT_URI = 'http://127.0.0.1/callback';

export async function createLibrary(ctx: BenchContext): Promise<BenchLibrary> {
  const scopes = [ctx.scope];
  const knownAuthorities = [ctx.host];
  const cloudDiscoveryMetadata = JSON.stringify({
    tenant_discovery_endpoint: `${ctx.entraAuthority}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: ctx.host, preferred_cache: ctx.host, aliases: [ctx.host] }],
  });

  return {
    async openApp(): Promise<CacheSession> {
      const app = new msal.PublicClientApplication({
        auth: { clientId: ctx.clientId, authority: ctx.entraAuthority, knownAuthorities, authorityMetadata: ctx.openidConfiguration, cloudDiscoveryMetadata },
      });
      const accounts = new Map<number, msal.AccountInfo>();
      const accountAt = (index: number): msal.AccountInfo => {
        let account = accounts.get(index);
        if (!account) {
          const synthetic = syntheticAccount(index, { environment: ctx.host, tenantId: ctx.tenantId });
          account = {
            homeAccountId: synthetic.homeAccountId,
            environment: synthetic.environment,
            tenantId: synthetic.tenantId,
            localAccountId: synthetic.localAccountId,
            username: synthetic.username,
            name: synthetic.name,
          };
          accounts.set(index, account);
        }
        return account;
      };
      const session: CacheSession = {
        load: (json) => app.getTokenCache().deserialize(json),
        async silent(index) {
          const result = await app.acquireTokenSilent({ account: accountAt(index), scopes });
          return result.fromCache ? 'cache' : 'identity_provider';
        },
        async getAccounts() {
          return (await app.getAllAccounts()).length;
        },
      };
      await session.getAccounts(); // as for ours; the metadata above spares it any request
      return session;
    },

    async signInAtRootIssuer() {
      if (!ctx.rootIssuer) throw new Error('no root issuer in the bench context');
      const app = new msal.PublicClientApplication({
        auth: { clientId: ctx.clientId, authority: ctx.rootIssuer, knownAuthorities: [new URL(ctx.rootIssuer).host] },
        system: { protocolMode: msal.ProtocolMode.OIDC },
      });
      const crypto = new msal.CryptoProvider();
      const { verifier, challenge } = await crypto.generatePkceCodes();
      const state = crypto.createNewGuid();
      const url = await app.getAuthCodeUrl({ scopes, redirectUri: REDIRECT_URI, codeChallenge: challenge, codeChallengeMethod: 'S256', state });
      const response = Object.fromEntries(new URL(await completeAuthorization(url, { account: 'alice' })).searchParams);
      await app.acquireTokenByCode({ code: response.code!, scopes, redirectUri: REDIRECT_URI, codeVerifier: verifier, state }, { code: response.code!, state: response.state });
      const [account] = await app.getAllAccounts();
      if (!account) throw new Error('getAllAccounts() listed no account after the sign-in at the root issuer');
      return async () => ((await app.acquireTokenSilent({ account, scopes })).fromCache ? 'cache' : 'identity_provider');
    },

    roundTrip: (() => {
      const cache = new msal.PublicClientApplication({ auth: { clientId: ctx.clientId, authority: ctx.entraAuthority, knownAuthorities } }).getTokenCache();
      return (json: string) => {
        cache.deserialize(json);
        return cache.serialize();
      };
    })(),

    signInApp(saved?: SavedState): SignInApp {
      const app = new msal.PublicClientApplication({ auth: { clientId: ctx.clientId, authority: ctx.entraAuthority, knownAuthorities } });
      const cache = app.getTokenCache();
      if (saved) cache.deserialize(saved.tokenCache);
      const crypto = new msal.CryptoProvider();
      let account: msal.AccountInfo | undefined;
      const requireAccount = () => {
        if (!account) throw new Error('sign in first');
        return account;
      };
      return {
        async signIn(who) {
          const { verifier, challenge } = await crypto.generatePkceCodes();
          const state = crypto.createNewGuid();
          const url = await app.getAuthCodeUrl({ scopes, redirectUri: REDIRECT_URI, codeChallenge: challenge, codeChallengeMethod: 'S256', state });
          const redirect = new URL(await completeAuthorization(url, { account: who }));
          const response = Object.fromEntries(redirect.searchParams);
          const result = await app.acquireTokenByCode(
            { code: response.code!, scopes, redirectUri: REDIRECT_URI, codeVerifier: verifier, state },
            { code: response.code!, state: response.state, client_info: response.client_info },
          );
          account = result.account ?? undefined;
        },
        async refresh() {
          const result = await app.acquireTokenSilent({ account: requireAccount(), scopes, forceRefresh: true });
          return result.fromCache ? 'cache' : 'identity_provider';
        },
        async expireAccessTokens() {
          cache.deserialize(expireAll(cache.serialize()));
        },
        async concurrentSilent(n) {
          const target = requireAccount();
          const outcomes = await Promise.allSettled(Array.from({ length: n }, () => app.acquireTokenSilent({ account: target, scopes })));
          return summarize(outcomes);
        },
        save: () => ({ tokenCache: cache.serialize() }),
      };
    },

    async pollUnansweredDeviceFlow(windowMs: number): Promise<DevicePolling> {
      const polls: number[] = [];
      const deviceEndpoint = `${ctx.oidcIssuer}/device/auth`;
      const send = async (method: 'GET' | 'POST', url: string, options?: msal.NetworkRequestOptions) => {
        if (url.split('?')[0] === `${ctx.oidcIssuer}/devicecode`) url = deviceEndpoint;
        let body = options?.body;
        if (method === 'POST' && body !== undefined && new URLSearchParams(body).get('grant_type') === 'device_code') {
          // msal-node sends Entra's short grant type; a generic issuer knows only RFC 8628's URN.
          const form = new URLSearchParams(body);
          form.set('grant_type', 'urn:ietf:params:oauth:grant-type:device_code');
          body = form.toString();
          polls.push(Date.now());
        }
        const response = await fetch(url, { method, headers: options?.headers, body });
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          headers[name] = value;
        });
        const text = await response.text();
        return { headers, body: text ? JSON.parse(text) : {}, status: response.status };
      };
      const app = new msal.PublicClientApplication({
        auth: { clientId: ctx.clientId, authority: ctx.oidcIssuer, knownAuthorities },
        system: {
          protocolMode: msal.ProtocolMode.OIDC,
          networkClient: {
            sendGetRequestAsync: (url, options) => send('GET', url, options) as never,
            sendPostRequestAsync: (url, options) => send('POST', url, options) as never,
          },
        },
      });
      let startedAt = 0;
      let serverInterval: number | undefined;
      let stop: NodeJS.Timeout | undefined;
      const request: msal.DeviceCodeRequest = {
        scopes,
        deviceCodeCallback: (response) => {
          // The window starts at the device authorization response, as for our core.
          startedAt = Date.now();
          serverInterval = response.interval;
          stop = setTimeout(() => {
            request.cancel = true; // msal-node's cancellation flag, checked before each poll
          }, windowMs);
        },
      };
      try {
        await app.acquireTokenByDeviceCode(request).then(
          () => {
            throw new Error('the device flow completed without a user');
          },
          (err: unknown) => {
            if ((err as { errorCode?: string }).errorCode !== 'device_code_polling_cancelled') throw err;
          },
        );
      } finally {
        clearTimeout(stop);
      }
      return { startedAt, polls, intervalUsed: serverInterval };
    },
  };
}
