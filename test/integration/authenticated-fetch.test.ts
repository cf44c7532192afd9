/**
 * `api.fetch` of the activated extension (test/support/vscode stands in for `vscode`; the person's
 * answers are scripted on its modal messages, the browser is the headless one) against the real
 * oidc-provider and the test resource server: a configured provider is found from the resource's
 * 401, the second call sends no token request, insufficient_scope steps up; at an issuer no setting
 * names, a client is registered once, with consent, and kept in SecretStorage; refusals and
 * hostile metadata are typed errors that store nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuthError } from '../../src/core/errors.js';
import type { ExtensionExports } from '../../src/extension.js';
import { type ResourceServer, type ResourceServerOptions, startResourceServer } from '../idp/resource-server.js';
import { type Idp, PUBLIC_CLIENT_ID, startIdp } from '../idp/server.js';
import { FakeSecrets } from '../support/fake-secrets.js';
import { headlessSignInUi } from '../support/headless-sign-in-ui.js';
import '../support/vscode/register.js';
import { activateWithStub } from '../support/activate-extension.js';
import { stub } from '../support/vscode/stub.js';
import { tokenRequestCount } from './fixture.js';

const REGISTERED_KEY = 'msalSignIn.registeredClients';
const CALLER = 'acme.api-client';

/** Every consent dialog shown, and the answer the person gives to each kind. */
const answers = { access: true, registration: true };
const asked = { access: 0, registration: 0 };

describe('api.fetch in the activated extension', () => {
  /** Signs in with the configured client. */
  let configured: Idp;
  /** Offers dynamic client registration; no setting names it. */
  let open: Idp;
  /** Neither configured nor open to registration. */
  let closed: Idp;
  let storageDir: string;
  const secrets = new FakeSecrets();
  const globalState = new Map<string, unknown>();
  const subscriptions: { dispose(): unknown }[] = [];
  const servers: ResourceServer[] = [];
  let api: ExtensionExports;
  let browserOpened = 0;

  const startResource = async (idp: Idp, options: Partial<ResourceServerOptions> = {}) => {
    const server = await startResourceServer({ issuer: idp.urls.oidcIssuer, jwksUri: `${idp.urls.oidcIssuer}/jwks`, audience: 'api://demo', ...options });
    servers.push(server);
    return server;
  };
  const registrations = (idp: Idp) => idp.requests.filter((entry) => entry.method === 'POST' && entry.path.endsWith('/reg')).length;

  before(async () => {
    [configured, open, closed] = await Promise.all([startIdp(), startIdp({ registration: true }), startIdp()]);
    storageDir = mkdtempSync(join(tmpdir(), 'msal-signin-fetch-'));
    stub.reset();
    stub.settings.set('msalSignIn.allowLoopbackHttp', true);
    stub.settings.set('msalSignIn.preferredFlow', 'loopback');
    stub.settings.set('msalSignIn.oidcProviders', [{ id: 'local', label: 'Local IdP', issuer: configured.urls.oidcIssuer, clientId: PUBLIC_CLIENT_ID }]);
    stub.installed.set(CALLER, { id: CALLER, packageJSON: { displayName: 'ACME API Client' } });
    stub.answer = (message) => {
      if (message.actions.includes('Allow')) return (asked.access += 1, answers.access ? 'Allow' : undefined);
      if (message.actions.includes('Register and Sign In')) return (asked.registration += 1, answers.registration ? 'Register and Sign In' : undefined);
      return undefined;
    };
    api = await activateWithStub({ secrets, storageDir, subscriptions, globalState });
    api.testing!.setUi(headlessSignInUi(() => (browserOpened += 1)));
  });
  after(async () => {
    for (const subscription of subscriptions) subscription.dispose();
    delete process.env.MSAL_SIGNIN_TEST_HOOKS;
    rmSync(storageDir, { recursive: true, force: true });
    await Promise.all(servers.map((server) => server.close()));
    await Promise.all([configured, open, closed].map((idp) => idp.close()));
  });

  describe('with the configured provider of the resource’s issuer', () => {
    let resource: ResourceServer;
    before(async () => {
      resource = await startResource(configured, { scopeByPathPrefix: { '/api/admin': 'api://demo/write' } });
    });

    it('no session: the 401 leads to consent, sign-in with the scope the resource names, and a 200', async () => {
      const response = await api.fetch(resource.url('/items?page=2'), { extensionId: CALLER });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { scope: string; token_type: string };
      assert.match(body.scope, /api:\/\/demo\/read/);
      assert.equal(body.token_type, 'Bearer');
      assert.deepEqual(resource.requests.filter((entry) => entry.path === '/api/items').map((entry) => entry.status), [401, 200]);
      assert.equal(asked.access, 1);
      assert.equal(browserOpened, 1);
      assert.equal(registrations(configured), 0);
      const shown = stub.messages.find((message) => message.actions.includes('Allow'));
      assert.match(shown!.message, /ACME API Client \(acme\.api-client\) wants to call .*\/api with your Local IdP account/);
    });

    it('the second call sends the cached token at once: no token request, no question, no browser', async () => {
      const tokens = tokenRequestCount(configured);
      const before = resource.requests.length;
      const response = await api.fetch(resource.url('/items'), { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' }, extensionId: CALLER });
      assert.equal(response.status, 200);
      assert.equal(tokenRequestCount(configured), tokens);
      assert.deepEqual(resource.requests.slice(before).map((entry) => `${entry.method} ${entry.status}`), ['POST 200']);
      assert.equal(asked.access, 1);
      assert.equal(browserOpened, 1);
    });

    it('insufficient_scope steps up: a sign-in for the named scope, then a 200', async () => {
      const response = await api.fetch(resource.url('/admin/users'), { extensionId: CALLER });
      assert.equal(response.status, 200);
      assert.match(((await response.json()) as { scope: string }).scope, /api:\/\/demo\/write/);
      assert.deepEqual(resource.requests.filter((entry) => entry.path === '/api/admin/users').map((entry) => entry.status), [403, 200]);
      assert.equal(asked.access, 1, 'the extension was allowed this resource already');
    });

    it('another extension is asked about on its own; refused, it gets a cancelled error and no token is sent', async () => {
      answers.access = false;
      try {
        const before = resource.requests.length;
        await assert.rejects(api.fetch(resource.url('/items')), (err: unknown) => err instanceof AuthError && err.code === 'cancelled');
        assert.equal(asked.access, 2);
        assert.deepEqual(resource.requests.slice(before).filter((entry) => entry.path.startsWith('/api')).map((entry) => entry.scheme), [undefined], 'only the unauthenticated request went out');
      } finally {
        answers.access = true;
      }
    });
  });

  describe('at an issuer no setting names', () => {
    it('refused registration: a cancelled error, nothing registered and nothing stored', async () => {
      const resource = await startResource(open);
      answers.registration = false;
      try {
        await assert.rejects(api.fetch(resource.url(), { extensionId: CALLER }), (err: unknown) => err instanceof AuthError && err.code === 'cancelled');
      } finally {
        answers.registration = true;
      }
      assert.equal(registrations(open), 0);
      assert.equal(secrets.values.get(REGISTERED_KEY), undefined);
    });

    it('registers a client once, with consent, keeps it per issuer and signs in with it; it is a provider like the others', async () => {
      const registrationsAsked = asked.registration;
      const first = await startResource(open);
      const response = await api.fetch(first.url('/items'), { extensionId: CALLER });
      assert.equal(response.status, 200);
      assert.equal(registrations(open), 1);
      assert.equal(asked.registration, registrationsAsked + 1);
      const stored = JSON.parse(secrets.values.get(REGISTERED_KEY)!) as Record<string, { client_id: string; redirect_uris: string[] }>;
      assert.deepEqual(Object.keys(stored), [open.urls.oidcIssuer]);
      assert.deepEqual(stored[open.urls.oidcIssuer]!.redirect_uris, ['http://127.0.0.1/', 'vscode://msal-tools.msal-signin/signin-callback']);
      const id = api.providerIds.find((candidate) => candidate.startsWith('dcr.'));
      assert.ok(id && stub.providers.has(id), 'registered with the editor');
      const registrationMessage = stub.messages.findLast((message) => message.actions.includes('Register and Sign In'))!;
      assert.ok(registrationMessage.message.includes(open.urls.oidcIssuer) && registrationMessage.message.includes(first.resource));

      // Another resource of the same issuer: the stored registration is reused.
      const second = await startResource(open);
      assert.equal((await api.fetch(second.url(), { extensionId: CALLER })).status, 200);
      assert.equal(registrations(open), 1);
      assert.equal(asked.registration, registrationsAsked + 1);
    });

    it('no provider and no registration endpoint: not_supported, nothing asked, nothing stored', async () => {
      const resource = await startResource(closed);
      const before = { ...asked };
      await assert.rejects(api.fetch(resource.url(), { extensionId: CALLER }), (err: unknown) => err instanceof AuthError && err.code === 'not_supported');
      assert.deepEqual(asked, before);
      assert.deepEqual(Object.keys(JSON.parse(secrets.values.get(REGISTERED_KEY)!) as object), [open.urls.oidcIssuer]);
    });
  });

  describe('hostile resources', () => {
    it('metadata naming another origin: resource_mismatch before any question or token', async () => {
      const resource = await startResource(configured, { advertisedResource: 'https://evil.example/api' });
      const before = { ...asked };
      await assert.rejects(api.fetch(resource.url(), { extensionId: CALLER }), (err: unknown) => err instanceof AuthError && err.code === 'resource_mismatch');
      assert.deepEqual(asked, before);
      assert.ok(resource.requests.every((entry) => entry.scheme === undefined), 'no token was sent');
    });

    it('an http issuer that is not loopback: invalid_authority, nothing asked or stored', async () => {
      const stored = secrets.values.get(REGISTERED_KEY);
      const resource = await startResource(configured, { advertisedAuthorizationServers: ['http://issuer.example'] });
      const before = { ...asked };
      await assert.rejects(api.fetch(resource.url(), { extensionId: CALLER }), (err: unknown) => err instanceof AuthError && err.code === 'invalid_authority');
      assert.deepEqual(asked, before);
      assert.equal(secrets.values.get(REGISTERED_KEY), stored);
    });

    it('a caller naming an extension that is not installed is refused before any request', async () => {
      const resource = await startResource(configured);
      await assert.rejects(api.fetch(resource.url(), { extensionId: 'someone.else' }), (err: unknown) => err instanceof AuthError && err.code === 'invalid_argument');
      assert.equal(resource.requests.length, 0);
    });
  });

  it('logs neither tokens nor the query of a URL', () => {
    const log = stub.logLines.join('\n');
    assert.ok(!log.includes('page=2'));
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}/.test(log), 'no JWT in the log');
  });
});
