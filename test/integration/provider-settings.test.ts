/**
 * The request settings a real identity provider needs, end to end against the local IdP: a
 * provider configured as the README says (`redirectUri` on a fixed port, `authorizationParameters`)
 * signs in through the extension's own flows, and the IdP's request log shows what arrived at its
 * authorization endpoint. A fixed port that another program holds ends in one message that names
 * the port and the setting, with no request to the IdP.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { completeAuthorization, completeDeviceAuthorization, CookieJar } from '../idp/headless-login.js';
import { ACCOUNTS, DEMO_API_SCOPES, type Idp, PUBLIC_CLIENT_ID, startIdp } from '../idp/server.js';
import { providerDependencies } from '../support/provider-dependencies.js';
import { findClosedPort, listen } from '../support/servers.js';
import '../support/vscode/register.js';
import { stub } from '../support/vscode/stub.js';
import { recordingHttpClient } from './fixture.js';

const { MsalAuthenticationProvider } = await import('../../src/vscode/auth-provider.js');
const { reportSignInError } = await import('../../src/vscode/report-errors.js');
const { PendingCallbacks } = await import('../../src/vscode/pending-callbacks.js');
const { parseSettings } = await import('../../src/vscode/settings.js');
const { LoopbackPortInUseError } = await import('../../src/node/loopback-listener.js');
// The Node entry's words for what only the loopback listener meets (src/extension.ts hands them in).
const { explainLoopbackError } = await import('../../src/vscode/loopback-errors.js');

const EDITOR_CALLBACK = 'https://editor.example/callback';
const PARAMETERS = { audience: 'https://api.example.com', ui_locales: 'fr-CA fr' };
const logChannel = { error: () => undefined, show: () => undefined } as unknown as import('vscode').LogOutputChannel;

describe('provider settings against the local identity provider', () => {
  let idp: Idp;
  before(async () => {
    idp = await startIdp({ devicePollInterval: 1 });
  });
  after(() => idp.close());
  beforeEach(() => stub.reset());

  /** A provider from one `msalSignIn.oidcProviders` entry, as the README writes it, over the real flows. */
  function providerFrom(entry: Record<string, unknown>) {
    const settings = parseSettings((key) => ({ allowLoopbackHttp: true, oidcProviders: [{ id: 'idp', label: 'Local IdP', issuer: idp.urls.oidcIssuer, clientId: PUBLIC_CLIENT_ID, ...entry }] })[key]);
    assert.deepEqual(settings.problems, []);
    const config = settings.providers[1]!;
    const httpClient = recordingHttpClient({ timeout: 5_000 });
    const callbacks = new PendingCallbacks();
    const jar = new CookieJar();
    const opened: string[] = [];
    const provider = new MsalAuthenticationProvider(
      config,
      providerDependencies(config.id, {
        httpClient,
        // A person at the browser: signs in, and the browser follows the redirect (to the loopback
        // listener, or to the editor's callback, which the URI handler hands over).
        ui: {
          async openUri(url) {
            opened.push(url);
            const redirect = await completeAuthorization(url, { account: 'alice', jar });
            if (redirect.href.startsWith(EDITOR_CALLBACK)) return callbacks.deliver(redirect.search.slice(1));
            await (await fetch(redirect, { redirect: 'manual' })).text();
            return true;
          },
          async showDeviceCode(flow) {
            await completeDeviceAuthorization(flow.verificationUri, flow.userCode, 'alice');
            return true;
          },
        },
        signIn: { callbacks, externalCallbackUri: async () => EDITOR_CALLBACK, timeoutMs: 30_000 },
      }),
    );
    return { provider, config, opened, httpClient };
  }

  /** The authorization requests the IdP received since `from`, as URLs. */
  const authorizationRequests = (from: number) =>
    idp.requests
      .slice(from)
      .filter((entry) => entry.method === 'GET' && entry.path === new URL(`${idp.urls.oidcIssuer}/auth`).pathname)
      .map((entry) => new URL(entry.url, idp.urls.origin));

  it('loopback on a fixed port: redirect_uri with that port and path, and the extra parameters, arrive at the authorization endpoint', async () => {
    const port = await findClosedPort();
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const { provider } = providerFrom({ redirectUri, authorizationParameters: PARAMETERS });
    const from = idp.requests.length;
    const session = await provider.signIn([DEMO_API_SCOPES.read], { flow: 'loopback' });
    assert.equal(session.account.label, ACCOUNTS.alice.email);
    const [request] = authorizationRequests(from);
    assert.ok(request, 'the IdP saw the authorization request');
    assert.equal(request.searchParams.get('redirect_uri'), redirectUri);
    assert.equal(request.searchParams.get('audience'), PARAMETERS.audience);
    assert.equal(request.searchParams.get('ui_locales'), PARAMETERS.ui_locales);
    assert.equal(request.searchParams.getAll('state').length, 1, 'the library’s own parameters once');
  });

  it('localhost as written: the redirect URI is sent as the user wrote it, the listener still answers', async () => {
    const port = await findClosedPort();
    const redirectUri = `http://localhost:${port}/`;
    const { provider } = providerFrom({ redirectUri });
    const from = idp.requests.length;
    const session = await provider.signIn([DEMO_API_SCOPES.read], { flow: 'loopback' });
    assert.equal(session.account.label, ACCOUNTS.alice.email);
    assert.equal(authorizationRequests(from)[0]?.searchParams.get('redirect_uri'), redirectUri);
  });

  it('URI handler: the extra parameters arrive too', async () => {
    const { provider } = providerFrom({ authorizationParameters: PARAMETERS });
    const from = idp.requests.length;
    await provider.signIn([DEMO_API_SCOPES.read], { flow: 'uriHandler' });
    const [request] = authorizationRequests(from);
    assert.equal(request?.searchParams.get('redirect_uri'), EDITOR_CALLBACK);
    assert.equal(request?.searchParams.get('audience'), PARAMETERS.audience);
  });

  it('device code: the extra parameters are sent in the device authorization request', async () => {
    const { provider, httpClient } = providerFrom({ authorizationParameters: PARAMETERS });
    const session = await provider.signIn([DEMO_API_SCOPES.read], { flow: 'deviceCode' });
    assert.equal(session.account.label, ACCOUNTS.alice.email);
    const device = httpClient.sent.find((request) => request.url.endsWith('/device/auth'));
    assert.ok(device, 'a device authorization request was sent');
    assert.equal(device.form.get('audience'), PARAMETERS.audience);
    assert.equal(device.form.get('client_id'), PUBLIC_CLIENT_ID);
  });

  it('a fixed port another program holds: one message naming the port and the setting, and no request to the IdP', async () => {
    const blocker = net.createServer();
    const port = await listen(blocker);
    try {
      const { provider, opened } = providerFrom({ redirectUri: `http://127.0.0.1:${port}/` });
      const from = idp.requests.length;
      const err = await provider.signIn([DEMO_API_SCOPES.read], { flow: 'loopback' }).then(
        () => assert.fail('expected the port to be refused'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof LoopbackPortInUseError, String(err));
      assert.equal(err.port, port);
      assert.deepEqual(opened, [], 'no browser was opened');
      assert.deepEqual(authorizationRequests(from), []);
      await reportSignInError(err, logChannel, provider.config, explainLoopbackError);
      assert.deepEqual(
        stub.messages.map((message) => [message.severity, message.message]),
        [
          [
            'error',
            `Port ${port} on 127.0.0.1 is in use by another program, so the browser sign-in to Local IdP cannot receive its redirect. Close that program, or choose another port in "redirectUri" of "idp" in msalSignIn.oidcProviders (and register that redirect URI at the identity provider).`,
          ],
        ],
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
