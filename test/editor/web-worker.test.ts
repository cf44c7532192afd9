/**
 * The browser build in a real workbench: code-server with the user setting
 * `remote.extensionKind: { "msal-tools.msal-signin": ["ui"] }`, which makes it run the package's
 * `browser` entry (dist/web/extension.cjs) in the browser's web worker extension host — the host of
 * vscode.dev and github.dev — while the consumer fixture stays in the server's Node host. The
 * extension reports, from inside, where it runs (the hidden user setting `msalSignIn.testReport`
 * makes it write one line to the worker's console, which the workbench forwards to the page's
 * console as `[Extension Host] …`, where this test's browser reads it).
 *
 * The identity providers are addressed as http://127.0.0.1:<port>: the worker's Content-Security-Policy
 * (code-server's webWorkerExtensionHostIframe.html) lets it connect to `https:`, `http://localhost:*`
 * and `http://127.0.0.1:*` only, so the `[::ffff:7f00:1]` name the other UI suites use is blocked
 * there. code-server rewrites the 127.0.0.1 URLs an extension opens to its `/proxy/<port>/` path; the
 * server's `VSCODE_PROXY_URI` (its template of those URLs) is the IdP's origin, as in llng.test.ts,
 * so the IdP's pages open as they are (without the "open the external website?" question, which the
 * editor does not ask for 127.0.0.1). Only that IdP's pages are opened (the refusing one is only
 * fetched from).
 *
 * The local identity provider answers CORS as a browser-friendly provider does
 * (`cors: 'registered-origins'`: the token and device endpoints answer only the origins of the
 * client's redirect URIs, the editor's among them); a second one sends no CORS header at all
 * (`cors: 'refused'`), as a provider that does not serve browsers.
 *
 * Two windows of one browser are open from the start, so a sign-in in the first must reach the
 * second over the BroadcastChannel link, and the editor may hand the URI handler's callback to
 * either window (code-server does), which the windows pass on to the one whose sign-in waits.
 * The tests share the editor and run in order.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConsoleMessage, Page } from 'playwright-core';
import { completeDeviceAuthorization } from '../idp/headless-login.js';
import { startIdp, type Idp } from '../idp/server.js';
import type { CodeServer, EditorBrowser } from './harness.js';
import { signInSettings } from './sign-in-fixture.js';
import { signInOnLoginPage, waitForLoginPage } from './ui/idp-pages.js';
import { assertConsumerSessionFromIdp, startUiSuite, waitForConsumerFixture, type UiSuite } from './ui/ui-suite.js';
import {
  clearToasts,
  clickDialogButton,
  closeTab,
  diagnosedBy,
  openAccountsMenu,
  openExternalPage,
  openWorkbench,
  pickQuickItem,
  poll,
  readDeviceCodeDialog,
  runCommand,
  signOutFromAccountsMenu,
  STEP_MS,
  waitForDialog,
  waitForToast,
} from './ui/workbench.js';

const FAILURES = join(tmpdir(), 'msal-signin-ui-failures');
const TEST_MS = 90_000;
const EXTENSION_ID = 'msal-tools.msal-signin';

/** What the extension reports from inside (src/web-extension.ts). */
interface HostReport {
  extensionHost: string;
  node: boolean;
  typeofProcess: string;
  webLocks: boolean;
  broadcastChannel: boolean;
  origin: string;
}

describe('the browser build in the web worker extension host', () => {
  let idp: Idp;
  let refusing: Idp;
  let ui: UiSuite;
  let server: CodeServer;
  let browser: EditorBrowser;
  let workbench: Page;
  let second: Page;
  const reports = new Map<Page, HostReport>();

  const diagnosed = diagnosedBy(FAILURES, 'web-worker-', () => ({ workbench, browser, requests: idp.requests, consoleErrors: ui?.consoleErrors ?? [] }));

  /** Records the extension's report from `page`'s web worker. */
  const listen = (page: Page) =>
    page.on('console', (message: ConsoleMessage) => {
      // The workbench prefixes the worker's lines (`%c[Extension Host] %c…` and the styles after).
      const match = /MSAL-SIGNIN-TEST (\{[^{}]*\})/.exec(message.text());
      if (match) reports.set(page, JSON.parse(match[1]!) as HostReport);
    });
  const reportOf = (page: Page) => poll('the extension to report from the web worker', async () => reports.get(page), 60_000);

  before(async () => {
    idp = await startIdp({ devicePollInterval: 1, host: '127.0.0.1', cors: 'registered-origins' });
    refusing = await startIdp({ devicePollInterval: 1, host: '127.0.0.1', cors: 'refused' });
    const settings = signInSettings(idp);
    ui = await startUiSuite({
      name: 'web-worker',
      settings: {
        ...settings,
        'msalSignIn.oidcProviders': [
          ...(settings['msalSignIn.oidcProviders'] as unknown[]),
          { id: 'refusing-oidc', label: 'Refusing OpenID Connect', issuer: refusing.urls.oidcIssuer, clientId: 'public-client', scopes: ['api://demo/read'] },
        ],
        'consumerFixture.providerId': 'local-oidc',
        // What puts an extension with `main` and `browser` into the web worker host (code-server 4.139).
        'remote.extensionKind': { [EXTENSION_ID]: ['ui'] },
        'msalSignIn.testReport': true,
      },
      // The IdP's 127.0.0.1 URLs the extension opens go to the IdP, not to /proxy/<port>/.
      env: { VSCODE_PROXY_URI: `${idp.urls.origin}/` },
    });
    ({ server, browser, workbench } = ui);
    // The editor's callback URL, and with it the editor's origin, is known only now.
    idp.allowRedirectUriPrefix(server.url);
    refusing.allowRedirectUriPrefix(server.url);
    // The first window activated the extension before anyone listened: open it again, listening.
    listen(workbench);
    await workbench.reload({ waitUntil: 'domcontentloaded' });
    await waitForConsumerFixture(server);
  });

  after(async () => {
    await ui?.close();
    await idp?.close();
    await refusing?.close();
  });

  test('the extension runs in the web worker, without Node', { timeout: TEST_MS }, diagnosed('host', async () => {
    const report = await reportOf(workbench);
    console.log(`report from the web worker: ${JSON.stringify(report)}`);
    assert.equal(report.extensionHost, 'webWorker');
    assert.equal(report.node, false);
    assert.equal(report.typeofProcess, 'undefined');
    assert.equal(report.broadcastChannel, true);
    assert.equal(report.webLocks, true, 'the Web Locks API is the cross-window lock');
    assert.equal(report.origin, new URL(server.url).origin, "the worker sends the editor's origin");
  }));

  test('a second window of the same browser opens beside the first', { timeout: TEST_MS }, diagnosed('second-window', async () => {
    second = await browser.context.newPage();
    listen(second);
    await openWorkbench(second, workbench.url());
    assert.equal((await reportOf(second)).extensionHost, 'webWorker');
    await workbench.bringToFront();
  }));

  test("a consumer's getSession: consent, the URI handler's redirect, a session from the IdP", { timeout: TEST_MS }, diagnosed('consumer', async () => {
    const from = idp.requests.length;
    await runCommand(workbench, 'Consumer Fixture: Get Session');
    const consent = await waitForDialog(workbench, /wants to sign in using/);
    const tab = await openExternalPage(workbench, browser.context, () => clickDialogButton(consent, 'Allow'), { asks: false });
    await waitForLoginPage(tab);
    const authorization = idp.requests.slice(from).find((request) => request.method === 'GET' && /\/auth$/.test(request.path));
    assert.ok(authorization, 'no authorization request reached the IdP');
    const redirect = new URL(new URL(authorization.url, idp.urls.origin).searchParams.get('redirect_uri') ?? '');
    assert.equal(redirect.origin, new URL(server.url).origin);
    assert.equal(redirect.searchParams.get('vscode-authority'), EXTENSION_ID);
    await signInOnLoginPage(tab, 'alice', idp.urls.origin);
    await waitForToast(workbench, 'Consumer got a session for alice@example.com', 30_000);
    await closeTab(tab, workbench);
    await assertConsumerSessionFromIdp(ui, idp, 'alice@example.com');
    // The token request came from the worker, across origins, and the IdP allowed its origin.
    const token = idp.requests.slice(from).find((request) => request.method === 'POST' && /\/token$/.test(request.path));
    assert.equal(token?.status, 200);
    await clearToasts(workbench);
  }));

  test('the second window follows: its provider has the account without signing in', { timeout: TEST_MS }, diagnosed('follows', async () => {
    const got = await ui.consumerCommand<{ account: string | null }>('Consumer Fixture: Get Session Silently', 'get-session-silently', {
      run: () => runCommand(second, 'Consumer Fixture: Get Session Silently'),
    });
    assert.equal(got.account, 'alice@example.com');
    await workbench.bringToFront();
  }));

  test('"Sign In with a Device Code" to the OpenID Connect provider: the code, Copy & Open, sign in elsewhere', { timeout: TEST_MS }, diagnosed('device-code', async () => {
    await runCommand(workbench, 'MSAL Sign-In: Sign In with a Device Code');
    await pickQuickItem(workbench, 'Local OpenID Connect');
    const dialog = await waitForDialog(workbench, /Your code:/);
    const { text, userCode, verificationUri } = await readDeviceCodeDialog(dialog);
    assert.ok(userCode !== undefined && verificationUri !== undefined && verificationUri.startsWith(idp.urls.origin), `dialog: ${text}`);
    const tab = await openExternalPage(workbench, browser.context, () => clickDialogButton(dialog, 'Copy & Open'), { asks: false });
    const shownCode = tab.locator('main[data-idp-page="device-confirm"] [data-user-code]');
    await shownCode.waitFor({ state: 'visible', timeout: STEP_MS });
    await tab.waitForLoadState('load', { timeout: STEP_MS });
    await closeTab(tab, workbench);
    await completeDeviceAuthorization(verificationUri, userCode, 'bob');
    await waitForToast(workbench, 'Signed in to Local OpenID Connect as bob@example.com', 30_000);
    await clearToasts(workbench);
  }));

  test("the device code with Microsoft Entra ID is not offered in the browser, and the message says why", { timeout: TEST_MS }, diagnosed('entra-device-code', async () => {
    const from = idp.requests.length;
    await runCommand(workbench, 'MSAL Sign-In: Sign In with a Device Code');
    await pickQuickItem(workbench, 'Microsoft Entra ID');
    await waitForToast(workbench, /Sign-in to Microsoft Entra ID with a device code cannot run in the browser/);
    assert.deepEqual(idp.requests.slice(from).filter((request) => /devicecode|device\/auth/.test(request.path)), [], 'no device authorization request was sent');
    await clearToasts(workbench);
  }));

  test('a provider that refuses cross-origin requests: the message names the cause and the origin to allow', { timeout: TEST_MS }, diagnosed('cors-refused', async () => {
    const from = refusing.requests.length;
    await runCommand(workbench, 'MSAL Sign-In: Sign In with a Device Code');
    await pickQuickItem(workbench, 'Refusing OpenID Connect');
    const toast = await waitForToast(workbench, /The browser could not send the sign-in request to Refusing OpenID Connect/);
    const text = (await toast.innerText()).replace(/\s+/g, ' ');
    console.log(`message: ${text}`);
    assert.ok(text.includes(refusing.urls.origin), 'names the provider origin');
    assert.ok(text.includes(new URL(server.url).origin), "names the editor's origin");
    assert.match(text, /Web Origins/);
    assert.doesNotMatch(text, /Failed to fetch/);
    // The request did arrive: the browser refused to hand the answer to the extension.
    assert.ok(refusing.requests.slice(from).some((request) => request.path.endsWith('/.well-known/openid-configuration')), 'discovery reached the refusing IdP');
    await clearToasts(workbench);
  }));

  test('the Accounts menu signs bob out; the second window follows', { timeout: TEST_MS }, diagnosed('accounts', async () => {
    const labels = await openAccountsMenu(workbench);
    const accounts = labels.filter((label) => label.includes('@')).sort();
    assert.deepEqual(accounts, ['alice@example.com (Local OpenID Connect)', 'bob@example.com (Local OpenID Connect)']);
    const left = await signOutFromAccountsMenu(workbench, 'bob@example.com', /bob@example\.com/, (label) => label.includes('bob@example.com'));
    assert.deepEqual(left.filter((label) => label.includes('@')), ['alice@example.com (Local OpenID Connect)']);
    const seen = await ui.consumerCommand<{ accounts: string[] }>('Consumer Fixture: List Accounts', 'accounts', { run: () => runCommand(second, 'Consumer Fixture: List Accounts') });
    assert.deepEqual(seen.accounts, ['alice@example.com']);
  }));
});
