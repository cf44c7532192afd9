/**
 * Constructor options and lifecycles that cross the core/node boundary, against the real IdP:
 * proxies, timeout, logging without secrets, proactive refresh (`refresh_in`) with its fallback,
 * and cancelling an interactive sign-in.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SerializableTokenCache } from '../../src/core/cache/serializable-token-cache.js';
import { AuthError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { PublicClientApplication } from '../../src/node/applications.js';
import { ACCOUNTS, DEMO_API_SCOPES, type Idp, PUBLIC_CLIENT_ID, startIdp } from '../idp/server.js';
import { startForwardProxy } from '../support/servers.js';

const READ = [DEMO_API_SCOPES.read];

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (message: string) => {
    lines.push(message);
  };
  return { lines, error: push, warning: push, info: push, verbose: push, trace: push };
}

describe('application options against the real IdP', () => {
  let idp: Idp;
  before(async () => {
    idp = await startIdp({ refreshIn: 1800 });
  });
  after(() => idp.close());

  const options = () => ({ clientId: PUBLIC_CLIENT_ID, authority: idp.urls.entraAuthority(), allowInsecureLoopbackAuthority: true });

  it('sends every request through the configured proxy', async () => {
    const proxy = await startForwardProxy();
    try {
      const app = new PublicClientApplication({ ...options(), proxies: { http: proxy.origin } });
      await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
      const paths = proxy.relayed.map((line) => new URL(line.split(' ')[1]).pathname);
      assert.ok(paths.some((path) => path.endsWith('/openid-configuration')), 'discovery went through the proxy');
      assert.ok(paths.some((path) => path.endsWith('/token')), 'the token request went through the proxy');
    } finally {
      await proxy.close();
    }
  });

  it('gives up after the configured timeout with a typed error', async () => {
    // A server that accepts connections and never answers.
    const sockets = new Set<net.Socket>();
    const silent = http.createServer(() => undefined);
    silent.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, oidcAuthority: `http://127.0.0.1:${port}/oidc`, allowInsecureLoopbackAuthority: true, timeout: 300 });
      await assert.rejects(app.getAccounts(), (err: unknown) => err instanceof AuthError && err.code === 'timeout');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('logs no token, code, verifier or secret, and no personal data unless enabled', async () => {
    const logger = capturingLogger();
    const cache = new SerializableTokenCache();
    const app = new PublicClientApplication({ ...options(), logger, tokenCache: cache });
    const result = await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
    await app.acquireTokenSilent(READ, result.account!, { forceRefresh: true });
    await app.removeAccount(result.account!);
    const secrets = [result.accessToken, result.idToken!, ACCOUNTS.alice.password, ACCOUNTS.alice.email];
    const log = logger.lines.join('\n');
    assert.ok(logger.lines.length > 0, 'something was logged');
    for (const secret of secrets) assert.ok(!log.includes(secret), 'a secret or PII reached the log');

    const piiLogger = capturingLogger();
    const piiApp = new PublicClientApplication({ ...options(), logger: piiLogger, enablePiiLog: true });
    const signedIn = await piiApp.acquireTokenByUsernamePassword(ACCOUNTS.bob.email, ACCOUNTS.bob.password, READ);
    await piiApp.removeAccount(signedIn.account!);
    const piiLog = piiLogger.lines.join('\n');
    assert.ok(piiLog.includes(ACCOUNTS.bob.email), 'PII appears once enabled');
    assert.ok(!piiLog.includes(signedIn.accessToken) && !piiLog.includes(ACCOUNTS.bob.password));
  });

  it('refreshes proactively after refresh_on, and falls back to the valid token when that fails', async () => {
    const cache = new SerializableTokenCache();
    const app = new PublicClientApplication({ ...options(), tokenCache: cache });
    const first = await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
    assert.ok(first.refreshOn, 'refresh_in became refreshOn');
    assert.ok(first.refreshOn!.getTime() < first.expiresOn.getTime());
    const ageTokens = (mutate?: (state: Record<string, Record<string, Record<string, string>>>) => void) => {
      const state = JSON.parse(cache.serialize());
      for (const at of Object.values(state.AccessToken as Record<string, Record<string, string>>)) at.refresh_on = String(Math.floor(Date.now() / 1000) - 1);
      mutate?.(state);
      cache.deserialize(JSON.stringify(state));
    };
    // Still valid, but past refresh_on: a new token is fetched.
    ageTokens();
    const refreshed = await app.acquireTokenSilent(READ, first.account!);
    assert.equal(refreshed?.tokenSource, 'identity_provider');
    assert.notEqual(refreshed?.accessToken, first.accessToken);
    // Past refresh_on again, and the refresh token is refused: the valid cached token is served.
    ageTokens((state) => {
      for (const rt of Object.values(state.RefreshToken)) rt.secret = 'revoked';
    });
    const fallback = await app.acquireTokenSilentWithError(READ, first.account!);
    assert.equal(fallback?.tokenSource, 'cache');
    assert.equal(fallback?.accessToken, refreshed?.accessToken);
  });

  it('cancels an interactive sign-in and closes the loopback port', async () => {
    const app = new PublicClientApplication(options());
    const controller = new AbortController();
    let redirectUri = '';
    const signIn = app.acquireTokenInteractive(READ, {
      signal: controller.signal,
      openBrowser: (url) => {
        redirectUri = new URL(url).searchParams.get('redirect_uri')!;
        controller.abort();
      },
    });
    await assert.rejects(signIn, (err: unknown) => err instanceof AuthError && err.code === 'cancelled');
    await assert.rejects(fetch(redirectUri), 'the loopback port is closed');
  });

  it('times out an interactive sign-in nobody completes', async () => {
    const app = new PublicClientApplication(options());
    await assert.rejects(app.acquireTokenInteractive(READ, { timeout: 200, openBrowser: () => undefined }), (err: unknown) => err instanceof AuthError && err.code === 'timeout');
  });
});
