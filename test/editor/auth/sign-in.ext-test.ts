/// <reference types="mocha" />
/**
 * The sign-in extension inside a real editor (code-server's extension host), against the real
 * identity provider: provider registration, each sign-in flow, sessions, sign-out, and the
 * token cache in SecretStorage.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ACCOUNTS } from '../../idp/accounts.js';
import { startForwardProxy } from '../../support/servers.js';
import { idpRequests, introspect, nextSessionChange, scriptedUser, signInApi, testEnvironment, tokenRequestCount } from './context.js';

const READ = ['api://demo/read'];
const READ_WRITE = ['api://demo/read', 'api://demo/write'];
const env = testEnvironment();

suite('sign-in extension in the editor', function () {
  if (env.phase !== undefined) return; // multi-run scenarios have suites of their own

  test('registers the Entra ID provider and the configured OpenID Connect provider', async () => {
    const api = await signInApi();
    assert.deepEqual([...api.providerIds], ['entra', 'local-oidc']);
    assert.equal(api.testing.extensionHost, 'remote', 'code-server runs the extension host apart from the browser');
    // Registered with VS Code: asking silently answers (nothing signed in yet) instead of failing.
    assert.equal(await vscode.authentication.getSession('local-oidc', READ, { silent: true }), undefined);
    assert.deepEqual(await vscode.authentication.getAccounts('entra'), []);
  });

  test('signs in through the loopback flow', async () => {
    const api = await signInApi();
    const user = scriptedUser(api, 'alice');
    const changed = nextSessionChange('local-oidc');
    const session = await api.getSession({ providerId: 'local-oidc', scopes: READ, interactive: true, forceNewSession: true, flow: 'loopback' });
    await changed;
    assert.equal(session?.account.label, ACCOUNTS.alice.email);
    assert.match(new URL(user.opened[0]).searchParams.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal((await introspect(env, session!.accessToken)).active, true);
    const accounts = await vscode.authentication.getAccounts('local-oidc');
    assert.deepEqual(accounts.map((account) => account.label), [ACCOUNTS.alice.email]);
  });

  test('signs in through the editor URI handler', async () => {
    const api = await signInApi();
    const user = scriptedUser(api, 'bob');
    const session = await api.getSession({ providerId: 'entra', scopes: READ, interactive: true, forceNewSession: true, flow: 'uriHandler' });
    assert.equal(session?.account.label, ACCOUNTS.bob.email);
    const redirectUri = new URL(new URL(user.opened[0]).searchParams.get('redirect_uri')!);
    assert.equal(redirectUri.searchParams.get('vscode-authority'), 'msal-tools.msal-signin');
    assert.equal((await introspect(env, session!.accessToken)).active, true);
  });

  test('signs in with a device code', async () => {
    const api = await signInApi();
    const user = scriptedUser(api, 'alice');
    const session = await api.getSession({ providerId: 'entra', scopes: READ_WRITE, interactive: true, forceNewSession: true, flow: 'deviceCode' });
    assert.equal(session?.account.label, ACCOUNTS.alice.email);
    assert.deepEqual(session?.scopes, READ_WRITE);
    assert.equal(user.deviceCodes.length, 1);
    assert.equal((await introspect(env, session!.accessToken)).active, true);
  });

  test('serves sessions from the cache without a request, other scopes silently, per account', async () => {
    const api = await signInApi();
    const before = await tokenRequestCount(env);
    const accounts = await vscode.authentication.getAccounts('entra');
    assert.deepEqual(accounts.map((account) => account.label).sort(), [ACCOUNTS.alice.email, ACCOUNTS.bob.email]);
    const alice = accounts.find((account) => account.label === ACCOUNTS.alice.email)!;
    const fromCache = await api.getSession({ providerId: 'entra', scopes: READ, accountId: alice.id });
    assert.equal(fromCache?.account.label, ACCOUNTS.alice.email);
    assert.equal(await tokenRequestCount(env), before, 'a valid cached token needs no request');
    // Other scopes of the account's sign-in: served silently, from the cache or the refresh token.
    const write = await api.getSession({ providerId: 'entra', scopes: ['api://demo/write'], accountId: alice.id });
    assert.equal(write?.account.id, alice.id);
    assert.deepEqual(write?.scopes, ['api://demo/write']);
    assert.equal(await tokenRequestCount(env), before, 'the token for read and write covers write');
    const refreshed = await api.getSession({ providerId: 'entra', scopes: ['api://demo/write'], accountId: alice.id, forceRefresh: true });
    assert.equal(refreshed?.account.id, alice.id);
    assert.equal(await tokenRequestCount(env), before + 1, 'one refresh, no prompt');
  });

  test('keeps session ids stable and refreshes instead of handing out an expired token', async () => {
    const api = await signInApi();
    const first = await api.getSession({ providerId: 'entra', scopes: READ });
    const again = await api.getSession({ providerId: 'entra', scopes: [...READ, 'openid'] });
    assert.equal(again?.id, first?.id, 'OpenID scopes and order do not change the session');
    const forced = await api.getSession({ providerId: 'entra', scopes: READ, forceRefresh: true });
    assert.equal(forced?.id, first?.id);
    assert.notEqual(forced?.accessToken, first?.accessToken);
  });

  test('signs an account out: its tokens are gone and VS Code is told', async () => {
    const api = await signInApi();
    const [account] = await vscode.authentication.getAccounts('local-oidc');
    const changed = nextSessionChange('local-oidc');
    await api.signOut('local-oidc', account.id);
    await changed;
    assert.deepEqual(await vscode.authentication.getAccounts('local-oidc'), []);
    assert.equal(await api.getSession({ providerId: 'local-oidc', scopes: READ }), undefined);
  });

  test("with http.fetchAdditionalSupport off, requests go through Node's http modules and the editor's proxy rules", async () => {
    const api = await signInApi();
    const proxy = await startForwardProxy();
    const http = vscode.workspace.getConfiguration('http');
    try {
      await http.update('proxy', proxy.origin, vscode.ConfigurationTarget.Global);
      await http.update('fetchAdditionalSupport', false, vscode.ConfigurationTarget.Global);
      // The editor patches Node's http/https modules (http.proxySupport) and sends 127.0.0.1 and
      // localhost direct, as @vscode/proxy-agent does: the refresh works and the proxy sees nothing.
      assert.ok(await api.getSession({ providerId: 'entra', scopes: READ, forceRefresh: true }));
      assert.equal(proxy.relayed.length + proxy.tunnels.length, 0, 'loopback destinations bypass the proxy');
      // The same client to a name the editor does not treat as loopback ([::ffff:7f00:1] is the
      // IdP's own socket) goes through http.proxy: the extension's path follows the editor's setting.
      const idp = new URL(env.idpOrigin);
      const url = `http://[::ffff:7f00:1]:${idp.port}${new URL(env.oidcIssuer).pathname.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const response = await api.testing!.httpClient(url, { method: 'GET', headers: {} });
      assert.equal(response.status, 200);
      assert.ok(JSON.parse(await response.text()).issuer);
      // An http target is relayed as an absolute-URI request, or tunnelled with CONNECT.
      assert.deepEqual([...proxy.relayed, ...proxy.tunnels], proxy.relayed.length ? [`GET ${url}`] : [`[::ffff:7f00:1]:${idp.port}`], 'the request went through the proxy');
    } finally {
      for (const setting of ['proxy', 'fetchAdditionalSupport']) await http.update(setting, undefined, vscode.ConfigurationTarget.Global);
      await proxy.close();
    }
  });

  test('follows changes of its settings: a provider added, signed in to, removed; the others untouched', async () => {
    const api = await signInApi();
    const config = vscode.workspace.getConfiguration('msalSignIn');
    const configured = config.get<object[]>('oidcProviders') ?? [];
    const entraBefore = await vscode.authentication.getAccounts('entra');
    const providersBecome = (ids: string[]) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`providers stayed ${JSON.stringify(api.providerIds)}`)), 10_000);
        const subscription = api.onDidChangeProviders((now) => {
          if (JSON.stringify(now) !== JSON.stringify(ids)) return;
          clearTimeout(timer);
          subscription.dispose();
          resolve();
        });
      });
    const second = { id: 'second-oidc', label: 'Second OpenID Connect', issuer: env.oidcIssuer, clientId: 'public-client', scopes: READ, flow: 'deviceCode' };
    try {
      const added = providersBecome(['entra', 'local-oidc', 'second-oidc']);
      await config.update('oidcProviders', [...configured, second], vscode.ConfigurationTarget.Global);
      await added;
      scriptedUser(api, 'bob');
      const session = await api.getSession({ providerId: 'second-oidc', scopes: READ, interactive: true });
      assert.equal(session?.account.label, ACCOUNTS.bob.email);
      assert.equal((await introspect(env, session!.accessToken)).active, true);
      assert.deepEqual((await vscode.authentication.getAccounts('second-oidc')).map((account) => account.label), [ACCOUNTS.bob.email]);

      const removed = providersBecome(['entra', 'local-oidc']);
      await config.update('oidcProviders', configured, vscode.ConfigurationTarget.Global);
      await removed;
      assert.deepEqual(await vscode.authentication.getAccounts('entra'), entraBefore, 'the other providers kept their accounts');
    } finally {
      await config.update('oidcProviders', configured, vscode.ConfigurationTarget.Global);
    }
  });

  test('keeps the token cache in SecretStorage, never in settings', async () => {
    const requests = await idpRequests(env);
    assert.ok(requests.length > 0);
    const settings = JSON.stringify(vscode.workspace.getConfiguration('msalSignIn'));
    assert.ok(!settings.includes('secret'), 'no token material in settings');
  });
});
