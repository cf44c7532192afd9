/**
 * Issue 15 §1 in a real workbench (code-server + Chromium, no test hooks, as ui.test.ts drives
 * it): an extension calls `api.fetch(url, { extensionId })` for a resource whose issuer no setting
 * names. The editor has only the defaults plus the one setting a user writes for a local http
 * issuer (`msalSignIn.allowLoopbackHttp`); the identity provider (open dynamic client
 * registration) and the protected resource (test/idp/resource-server.ts) run in this process on
 * 127.0.0.1, and both count what reaches them.
 *
 *   api.fetch → the resource's 401 → "register at <issuer>?" (Register and Sign In) → one
 *   registration request at the IdP → "<consumer> wants to call <resource>" (Allow) → the IdP's
 *   login page in a browser tab (the URI-handler flow of a remote extension host) → the resource
 *   answers 200 and the consumer reads the body → a second api.fetch sends no token request → the
 *   Accounts menu lists alice under the registered provider (the issuer's host) → signed out
 *   there, the next api.fetch signs in through the browser again: the editor's new callback URI
 *   (a new vscode-reqid) was first added to the registration with one RFC 7592 update, no second
 *   registration → a reload of the window keeps the registration: the provider is back at
 *   activation and the next api.fetch gets its 200 with no registration, no question and no token
 *   request.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { registeredProviderId } from '../../src/vscode/registered-clients.js';
import { type ResourceServer, startResourceServer } from '../idp/resource-server.js';
import { startIdp, type Idp } from '../idp/server.js';
import type { EditorBrowser } from './harness.js';
import { signInOnLoginPage } from './ui/idp-pages.js';
import { startUiSuite, waitForConsumerFixture, type UiSuite } from './ui/ui-suite.js';
import { clearToasts, clickDialogButton, closeMenus, closeTab, diagnosedBy, openAccountsMenu, openExternalPage, poll, runCommand, signOutFromAccountsMenu, waitForDialog } from './ui/workbench.js';

const TEST_MS = 60_000;
const FAILURES = join(tmpdir(), 'msal-signin-ui-failures');
const ALICE = 'alice@example.com';
const SIGN_IN_EXTENSION = 'msal-tools.msal-signin';
/** How the consent dialogs name the consumer fixture: its display name and id, as installed. */
const CONSUMER = 'Sign-in consumer (test fixture) (msal-signin-tests.consumer-fixture)';

/** What the consumer fixture's "Authenticated Fetch" wrote (fetch.json). */
interface FetchAnswer {
  status?: number;
  body?: string;
  error?: string;
  code?: string;
}

/** The body of the resource's 200. */
interface ResourceBody {
  sub: string;
  scope: string;
  client_id: string;
  token_type: string;
  path: string;
}

/**
 * The sign-in extension's "activated with providers …" line of each extension host that activated
 * it, by log file (each window load starts a host, logged under `exthost<N>/<extension id>/`).
 */
async function activationLines(logs: string): Promise<Map<string, string>> {
  const files = (await readdir(logs, { recursive: true }).catch(() => [] as string[])).map(String);
  const lines = new Map<string, string>();
  for (const file of files.filter((name) => name.includes(`/${SIGN_IN_EXTENSION}/`) && name.endsWith('.log'))) {
    const line = (await readFile(join(logs, file), 'utf8')).split('\n').find((candidate) => candidate.includes('activated with providers'));
    if (line) lines.set(file, line);
  }
  return lines;
}

describe('api.fetch in a real workbench: a client registered at the issuer, a browser sign-in, a 200', () => {
  let idp: Idp;
  let resource: ResourceServer;
  let ui: UiSuite;
  let browser: EditorBrowser;
  let workbench: Page;

  const diagnosed = diagnosedBy(FAILURES, 'authenticated-fetch-', () => ({ workbench, browser, requests: idp.requests, consoleErrors: ui?.consoleErrors ?? [] }));

  const registrationRequests = (from = 0) => idp.requests.slice(from).filter((entry) => entry.method === 'POST' && entry.path.endsWith('/reg'));
  const registrationUpdates = (from = 0) => idp.requests.slice(from).filter((entry) => entry.method === 'PUT' && entry.path.includes('/reg/'));
  /** The redirect_uri of each authorization request the IdP received, in order. */
  const authorizationRedirects = () =>
    idp.requests.filter((entry) => entry.method === 'GET' && entry.path.endsWith('/auth')).map((entry) => new URL(entry.url, 'http://idp').searchParams.get('redirect_uri'));
  const tokenRequests = (from = 0) => idp.requests.slice(from).filter((entry) => entry.method === 'POST' && entry.path.endsWith('/token'));
  /** The resource's requests since `from`, as `<method> <path> <status> <scheme>`. */
  const resourceLog = (from: number) => resource.requests.slice(from).map((entry) => `${entry.method} ${entry.path} ${entry.status ?? '?'} ${entry.scheme ?? '-'}`);

  /** Runs the consumer's "Authenticated Fetch" for `url` (`run` drives what the person sees) and returns what it got. */
  async function consumerFetch(url: string, run?: () => Promise<void>): Promise<FetchAnswer> {
    await writeFile(join(ui.results, 'fetch-request.json'), JSON.stringify({ url }));
    const answer = await ui.consumerCommand<FetchAnswer>('Consumer Fixture: Authenticated Fetch', 'fetch', { run, timeoutMs: 45_000 });
    for (const tab of browser.context.pages()) if (tab !== workbench) await closeTab(tab, workbench);
    assert.equal(answer.error, undefined, `api.fetch failed (${answer.code}): ${answer.error}`);
    return answer;
  }

  before(async () => {
    // Named by the IPv4-mapped 127.0.0.1 so that the editor opens its pages without its /proxy/ (see IdpOptions.host).
    idp = await startIdp({ host: '[::ffff:7f00:1]', registration: true });
    resource = await startResourceServer({ issuer: idp.urls.oidcIssuer, jwksUri: `http://127.0.0.1:${idp.port}/oidc/jwks`, audience: 'api://demo', lifetimeMs: 180_000 });
    ui = await startUiSuite({
      name: 'authenticated-fetch',
      // The defaults, and what a user writes for a local http issuer and resource: no provider names this issuer.
      settings: { 'msalSignIn.allowLoopbackHttp': true },
    });
    ({ browser, workbench } = ui);
    await waitForConsumerFixture(ui.server);
  });

  after(async () => {
    await ui?.close();
    await resource?.close();
    await idp?.close();
  });

  test('no provider for the issuer: consent to register, one registration, consent for the resource, browser sign-in, 200', { timeout: TEST_MS }, diagnosed('first-fetch', async () => {
    const got = await consumerFetch(resource.url('/items'), async () => {
      await runCommand(workbench, 'Consumer Fixture: Authenticated Fetch');
      const register = await waitForDialog(workbench, /accepts sign-ins from/);
      const registerText = (await register.innerText()).replace(/\s+/g, ' ');
      assert.ok(registerText.includes(CONSUMER) && registerText.includes(idp.urls.oidcIssuer) && registerText.includes(resource.resource), registerText);
      assert.equal(registrationRequests().length, 0, 'nothing is registered before the person agrees');
      await clickDialogButton(register, 'Register and Sign In');
      const access = await waitForDialog(workbench, /wants to call \S+ with your/);
      const accessText = (await access.innerText()).replace(/\s+/g, ' ');
      assert.ok(accessText.includes(`${CONSUMER} wants to call ${resource.resource}`), accessText);
      assert.equal(registrationRequests().length, 1, 'the registration happened once the person agreed');
      const tab = await openExternalPage(workbench, browser.context, () => clickDialogButton(access, 'Allow'));
      assert.equal(new URL(tab.url()).origin, idp.urls.origin);
      await signInOnLoginPage(tab, 'alice', idp.urls.origin);
      await tab.waitForLoadState('load', { timeout: 20_000 });
      await workbench.bringToFront();
    });
    assert.equal(got.status, 200, got.body);
    const body = JSON.parse(got.body!) as ResourceBody;
    assert.equal(body.path, '/api/items');
    assert.equal(body.token_type, 'Bearer');
    assert.match(body.scope, /(^| )api:\/\/demo\/read( |$)/, 'the scope the resource named');
    assert.deepEqual(registrationRequests().map((entry) => entry.status), [201], 'one registration, accepted');
    assert.ok(tokenRequests().length >= 1, 'the code was redeemed at the IdP');
    assert.deepEqual(resourceLog(0).filter((line) => line.startsWith('GET /api/')), ['GET /api/items 401 -', 'GET /api/items 200 bearer']);
    await clearToasts(workbench);
  }));

  test('a second api.fetch sends the cached token at once: no token request, no registration, no question', { timeout: TEST_MS }, diagnosed('second-fetch', async () => {
    const fromIdp = idp.requests.length;
    const fromResource = resource.requests.length;
    const got = await consumerFetch(resource.url('/items/2'));
    assert.equal(got.status, 200, got.body);
    assert.equal((JSON.parse(got.body!) as ResourceBody).path, '/api/items/2');
    assert.deepEqual(tokenRequests(fromIdp), [], 'no token request');
    assert.deepEqual(registrationRequests(fromIdp), [], 'no registration');
    assert.deepEqual(resourceLog(fromResource), ['GET /api/items/2 200 bearer'], 'the token went with the first request');
    await clearToasts(workbench);
  }));

  test("the Accounts menu lists alice under the registered provider (the issuer's host), without a request to the IdP", { timeout: TEST_MS }, diagnosed('accounts', async () => {
    const from = idp.requests.length;
    const label = `${ALICE} (${new URL(idp.urls.oidcIssuer).host})`;
    const labels = await poll(`"${label}" in the Accounts menu`, async () => {
      await closeMenus(workbench);
      const now = await openAccountsMenu(workbench);
      return now.includes(label) ? now : undefined;
    });
    await closeMenus(workbench);
    console.log(`Accounts menu: ${JSON.stringify(labels)}`);
    assert.deepEqual(labels.filter((entry) => entry.includes('@')), [label], 'only the registered provider has an account');
    assert.deepEqual(idp.requests.slice(from).map((entry) => `${entry.method} ${entry.path}`), []);
  }));

  test('signed out from the Accounts menu, the next api.fetch signs in through the browser again: one registration update for the new callback URI, no second registration', { timeout: TEST_MS }, diagnosed('sign-out-sign-in', async () => {
    const fromIdp = idp.requests.length;
    const fromResource = resource.requests.length;
    const left = await signOutFromAccountsMenu(workbench, ALICE, /alice@example\.com/, (label) => label.includes(ALICE));
    assert.deepEqual(left.filter((entry) => entry.includes('@')), [], 'nobody is signed in');
    const got = await consumerFetch(resource.url('/items/4'), async () => {
      // The resource's grant is remembered: no question before the browser opens.
      const tab = await openExternalPage(workbench, browser.context, () => runCommand(workbench, 'Consumer Fixture: Authenticated Fetch'));
      assert.equal(registrationUpdates(fromIdp).length, 1, 'the registration was updated before the browser opened');
      // The IdP still has alice's browser session: it sends the browser straight back to the editor's callback.
      await tab.waitForURL((url) => url.pathname.endsWith('/callback'), { timeout: 20_000 });
      await tab.waitForLoadState('load', { timeout: 20_000 });
      await workbench.bringToFront();
    });
    assert.equal(got.status, 200, got.body);
    assert.equal((JSON.parse(got.body!) as ResourceBody).path, '/api/items/4');
    assert.deepEqual(registrationUpdates(fromIdp).map((entry) => entry.status), [200], 'one update, accepted');
    const [first, again] = authorizationRedirects();
    assert.ok(first && again && first !== again && /vscode-reqid=/.test(again), `a new callback URI (${first} → ${again})`);
    assert.deepEqual(registrationRequests(fromIdp), [], 'no second registration');
    assert.ok(tokenRequests(fromIdp).length >= 1, 'the code was redeemed');
    assert.deepEqual(resourceLog(fromResource).filter((line) => line.startsWith('GET /api/')).at(-1), 'GET /api/items/4 200 bearer');
    await clearToasts(workbench);
  }));

  test('a reload keeps the registration: the provider is back at activation, api.fetch gets its 200 without registering or asking again', { timeout: TEST_MS }, diagnosed('reload', async () => {
    const logs = join(ui.server.userDataDir, 'logs');
    const before = await activationLines(logs);
    const fromIdp = idp.requests.length;
    const fromResource = resource.requests.length;
    await workbench.reload({ waitUntil: 'domcontentloaded' });
    await workbench.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 30_000 });
    // The new extension host's activation: the registered provider comes from SecretStorage.
    const activated = await poll('the extension to activate in the reloaded window', async () => {
      for (const [file, line] of await activationLines(logs)) if (!before.has(file)) return line;
      return undefined;
    }, 30_000);
    console.log(`after the reload: ${activated.replace(/^.*?(activated with)/, '$1')}`);
    const registered = registeredProviderId(idp.urls.oidcIssuer);
    assert.ok(activated.includes(registered), `the registered provider ${registered} is registered again`);
    const got = await consumerFetch(resource.url('/items/3'));
    assert.equal(got.status, 200, got.body);
    assert.deepEqual(registrationRequests(fromIdp), [], 'no second registration');
    assert.deepEqual(tokenRequests(fromIdp), [], "the token cache survived the reload");
    // The grant of a resource lives in memory: the reloaded window learns it again from the 401, silently.
    assert.deepEqual(resourceLog(fromResource).filter((line) => line.startsWith('GET /api/')), ['GET /api/items/3 401 -', 'GET /api/items/3 200 bearer']);
    await clearToasts(workbench);
  }));
});
