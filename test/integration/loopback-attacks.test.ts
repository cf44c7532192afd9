/**
 * The loopback listener under attack during a real interactive sign-in at the real IdP: pages
 * racing the redirect with a wrong state, path, method or Host, an oversized query and a client
 * that never finishes its request are all refused, the real redirect still wins, a replay after
 * it finds the port closed, and the port is closed when the flow ends, is cancelled or times out.
 * The unit tests (test/unit/node/loopback-listener.test.ts) cover each check on its own.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SerializableTokenCache } from '../../src/core/cache/serializable-token-cache.js';
import { PublicClientApplication } from '../../src/node/applications.js';
import { completeAuthorization } from '../idp/headless-login.js';
import { ACCOUNTS, DEMO_API_SCOPES, type Idp, PUBLIC_CLIENT_ID, startIdp } from '../idp/server.js';
import { assertCannotConnect, sendRequest } from '../support/servers.js';
import { rejectsWithCode } from '../unit/core/fakes.js';

const READ: string[] = [DEMO_API_SCOPES.read];

/** The listener the authorization URL redirects to, and the state it waits for. */
function redirectOf(authUri: string): { redirectUri: string; port: number; state: string } {
  const params = new URL(authUri).searchParams;
  const redirectUri = params.get('redirect_uri')!;
  return { redirectUri, port: Number(new URL(redirectUri).port), state: params.get('state')! };
}

/** A client that connects and sends half a request line, then nothing: resolves with the socket once connected. */
async function connectSlowClient(port: number): Promise<{ closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`GET /?code=slow HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`); // headers never end
  return { closed: new Promise((resolve) => socket.once('close', () => resolve())) };
}

describe('the loopback listener during a real interactive sign-in', () => {
  let idp: Idp;
  before(async () => {
    idp = await startIdp();
  });
  after(() => idp.close());

  const makeApp = (cache = new SerializableTokenCache()) =>
    new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: idp.urls.entraAuthority(), allowInsecureLoopbackAuthority: true, tokenCache: cache });

  it('refuses every forged or malformed request, then takes the real redirect once', async () => {
    const cache = new SerializableTokenCache();
    const app = makeApp(cache);
    let port = 0;
    let realRedirect: URL | undefined;
    let slow: { closed: Promise<void> } | undefined;
    const openBrowser = async (authUri: string) => {
      const target = redirectOf(authUri);
      port = target.port;
      const { redirectUri, state } = target;
      const forged = `code=attacker-code&state=${encodeURIComponent(state)}`;
      // Another page in the browser gets there first: each attempt is answered and ignored.
      assert.equal((await sendRequest(`${redirectUri}?code=attacker-code&state=wrong-state`)).status, 400, 'wrong state');
      assert.equal((await sendRequest(`${redirectUri}?code=attacker-code`)).status, 400, 'no state');
      assert.equal((await sendRequest(`http://127.0.0.1:${port}/elsewhere?${forged}`)).status, 404, 'wrong path');
      assert.equal((await sendRequest(`${redirectUri}?${forged}`, { method: 'POST' })).status, 405, 'POST');
      assert.equal((await sendRequest(`${redirectUri}?${forged}`, { host: `rebound.attacker.example:${port}` })).status, 400, 'DNS rebinding');
      assert.equal((await sendRequest(`${redirectUri}?${forged}&pad=${'x'.repeat(32 * 1024)}`)).status, 431, 'oversized query');
      slow = await connectSlowClient(port);
      // Then the user signs in and the browser follows the IdP's redirect.
      realRedirect = await completeAuthorization(authUri, { account: 'alice' });
      const answer = await sendRequest(realRedirect.href);
      assert.equal(answer.status, 200);
      assert.match(answer.body, /Authentication complete/);
    };

    const result = await app.acquireTokenInteractive(READ, { openBrowser, timeout: 15_000 });
    assert.equal(result.account?.username, ACCOUNTS.alice.email);
    assert.equal((await idp.introspect(result.accessToken)).active, true);

    // The flow has ended: the port is closed, the slow client was dropped, a replay gets nowhere.
    await slow!.closed;
    await assertCannotConnect(port);
    const replay = await sendRequest(realRedirect!.href).then(
      () => 'answered',
      (err: NodeJS.ErrnoException) => err.code,
    );
    assert.equal(replay, 'ECONNREFUSED');
    // The forged code never reached the IdP: one code was redeemed, the real one.
    assert.equal(idp.grantErrors.length, 0, `the IdP refused: ${idp.grantErrors.join('; ')}`);
    assert.equal((await app.getAccounts()).length, 1);
  });

  it('a cancelled sign-in closes the port, even with a slow client connected; the cache is unchanged', async () => {
    const cache = new SerializableTokenCache();
    const app = makeApp(cache);
    const before = cache.serialize();
    const controller = new AbortController();
    let port = 0;
    let slow: { closed: Promise<void> } | undefined;
    const openBrowser = async (authUri: string) => {
      port = redirectOf(authUri).port;
      slow = await connectSlowClient(port);
      controller.abort(); // the user gives up before signing in
    };
    await rejectsWithCode(app.acquireTokenInteractive(READ, { openBrowser, signal: controller.signal }), 'cancelled');
    await slow!.closed;
    await assertCannotConnect(port);
    assert.equal(cache.serialize(), before);
  });

  it('a sign-in nobody completes times out and closes the port', async () => {
    const app = makeApp();
    let port = 0;
    const started = performance.now();
    await rejectsWithCode(app.acquireTokenInteractive(READ, { openBrowser: (authUri) => void (port = redirectOf(authUri).port), timeout: 300 }), 'timeout');
    assert.ok(performance.now() - started < 5_000);
    await assertCannotConnect(port);
  });
});
