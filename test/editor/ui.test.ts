/**
 * The sign-in extension as a user meets it: a real workbench (code-server) in headless Chromium,
 * without any test payload or test hooks, so the editor shows its own consent dialog, its
 * "open the external website?" question and the extension's device-code modal. The extension is
 * installed from the .vsix `npm run package` builds, next to the consumer fixture (packaged the
 * same way), and signs in at the local identity provider, whose pages are filled in a real tab.
 *
 * Flow: code-server's extension host is remote, so getFlows() offers the URI-handler flow first,
 * then the device code (the loopback flow needs the browser on the extension host's machine).
 * The URI handler works here, so no `msalSignIn.preferredFlow` is set: the IdP redirects the tab
 * to the editor's /callback, which hands code and state to the extension's UriHandler.
 *
 * The IdP is addressed as http://[::ffff:7f00:1]:<port> (IPv4-mapped 127.0.0.1, the same
 * socket). Under 127.0.0.1 code-server opens the authorization URL through its /proxy/<port>/
 * path, which splits the redirect_uri's own query into separate parameters and collapses the
 * `//` of `api://demo/read` (the IdP then answers invalid_target). Under the mapped address the
 * editor asks whether to open the external website, and opens the URL as it is.
 *
 * The tests share one editor and one browser and run in order. Screenshots go to
 * <tmp>/msal-signin-ui-screenshots, or with UPDATE_SCREENSHOTS=1 to docs/screenshots/ (the README
 * shows them; a plain test run leaves the checkout as it was); failure screenshots to
 * <tmp>/msal-signin-ui-failures.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { completeDeviceAuthorization } from '../idp/headless-login.js';
import { startIdp, type Idp } from '../idp/server.js';
import { repoRoot, type CodeServer, type EditorBrowser } from './harness.js';
import { signInSettings } from './sign-in-fixture.js';
import { signInOnLoginPage, waitForLoginPage } from './ui/idp-pages.js';
import { assertConsumerSessionFromIdp, startUiSuite, waitForConsumerFixture, type UiSuite } from './ui/ui-suite.js';
import {
  bounded,
  clearToasts,
  closeTab,
  clickDialogButton,
  openAccountsMenu,
  openExternalPage,
  pickQuickItem,
  readDeviceCodeDialog,
  runCommand,
  screenshot,
  signOutFromAccountsMenu,
  STEP_MS,
  waitForDialog,
  waitForToast,
  diagnosedBy,
} from './ui/workbench.js';

const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(repoRoot, 'docs', 'screenshots') : join(tmpdir(), 'msal-signin-ui-screenshots');
/** Failure screenshots stay here after the run (the scratch folder is removed). */
const FAILURES = join(tmpdir(), 'msal-signin-ui-failures');
const TEST_MS = 90_000;

describe('sign-in UI in a real workbench', () => {
  let idp: Idp;
  let ui: UiSuite;
  let server: CodeServer;
  let browser: EditorBrowser;
  let workbench: Page;

  /** Runs a test body; on failure keeps a screenshot and the IdP's last requests for the report. */
  const diagnosed = diagnosedBy(FAILURES, '', () => ({ workbench, browser, requests: idp.requests, consoleErrors: ui?.consoleErrors ?? [] }));

  /** The authorization requests that reached the IdP since `from`, exactly as sent. */
  const authorizationRequests = (from: number) =>
    idp.requests.slice(from).filter((request) => request.method === 'GET' && /\/(auth|authorize)$/.test(request.path));

  before(async () => {
    idp = await startIdp({ devicePollInterval: 1, host: '[::ffff:7f00:1]' });
    ui = await startUiSuite({ name: 'ui', settings: { ...signInSettings(idp), 'consumerFixture.providerId': 'local-oidc' } });
    ({ server, browser, workbench } = ui);
    idp.allowRedirectUriPrefix(server.url);
  });

  after(async () => {
    await ui?.close();
    await idp?.close();
  });

  test('the consumer fixture activates', { timeout: TEST_MS }, diagnosed('activation', async () => {
    // Installed from its .vsix, it activates on startup.
    await waitForConsumerFixture(server, 30_000);
  }));

  // Configured OpenID Connect providers have ids only the settings know, so no
  // onAuthenticationRequest event can name them: the extension activates on startup instead, and a
  // consumer's very first getSession('local-oidc') finds the provider registered.
  test('a consumer\'s first request for a configured OpenID Connect provider finds it registered', {
    timeout: TEST_MS,
  }, diagnosed('oidc-activation', async () => {
    await runCommand(workbench, 'Consumer Fixture: Get Session');
    const dialog = await waitForDialog(workbench, /wants to sign in using|Timed out waiting for authentication provider/);
    const text = (await dialog.innerText()).replace(/\s+/g, ' ');
    if (/Timed out waiting/.test(text)) {
      await clickDialogButton(dialog, 'OK');
      assert.fail(`the editor gave up on the provider: ${text}`);
    }
    // Declined here; the next test signs in.
    await clickDialogButton(dialog, 'Cancel');
    await clickDialogButton(await waitForDialog(workbench, /resulted in an error/), 'OK');
  }));

  test('a consumer getSession with createIfNone: consent, IdP login as alice, session', { timeout: TEST_MS }, diagnosed('consumer', async () => {
    const from = idp.requests.length;
    await runCommand(workbench, 'Consumer Fixture: Get Session');
    const consent = await waitForDialog(workbench, /wants to sign in using/);
    console.log(`consent dialog: ${(await consent.innerText()).replace(/\s+/g, ' ')}`);
    await screenshot(workbench, join(SCREENSHOTS, 'consent-dialog.png'));
    const tab = await openExternalPage(workbench, browser.context, () => clickDialogButton(consent, 'Allow'));
    await waitForLoginPage(tab);
    await screenshot(tab, join(SCREENSHOTS, 'idp-login.png'));
    const [authorization] = authorizationRequests(from);
    assert.ok(authorization, 'no authorization request reached the IdP');
    console.log(`authorization request at the IdP: ${new URL(authorization.url, idp.urls.origin).pathname}`);
    const query = new URL(authorization.url, idp.urls.origin).searchParams;
    assert.equal(query.get('client_id'), 'public-client');
    // The editor's callback (asExternalUri of code-oss://msal-tools.msal-signin/signin-callback),
    // its own query intact: it reached the IdP as one parameter.
    const redirect = new URL(query.get('redirect_uri') ?? '');
    assert.equal(redirect.origin, new URL(server.url).origin);
    assert.match(redirect.pathname, /\/callback$/);
    assert.equal(redirect.searchParams.get('vscode-authority'), 'msal-tools.msal-signin');
    assert.equal(redirect.searchParams.get('vscode-path'), '/signin-callback');
    assert.match(query.get('scope') ?? '', /(^| )api:\/\/demo\/read( |$)/);

    const { consentShown } = await signInOnLoginPage(tab, 'alice', idp.urls.origin);
    console.log(`IdP consent page shown: ${consentShown}; the tab went on to ${new URL(tab.url()).origin}${new URL(tab.url()).pathname}`);
    await waitForToast(workbench, 'Consumer got a session for alice@example.com');
    await screenshot(workbench, join(SCREENSHOTS, 'consumer-session.png'));
    await closeTab(tab, workbench);

    await assertConsumerSessionFromIdp(ui, idp, 'alice@example.com');
    await clearToasts(workbench);
  }));

  test('"MSAL Sign-In: Sign In" from the palette: pick the provider, IdP login as bob', { timeout: TEST_MS }, diagnosed('sign-in', async () => {
    // alice's IdP session from the previous test would sign her in again without a login page;
    // bob signs in on a browser where nobody is signed in at the IdP.
    const idpHost = new URL(idp.urls.origin).hostname;
    for (const cookie of await browser.context.cookies(idp.urls.origin)) {
      await browser.context.clearCookies({ name: cookie.name, domain: cookie.domain });
    }
    assert.equal((await browser.context.cookies(idp.urls.origin)).length, 0, `cookies of ${idpHost} left`);
    const from = idp.requests.length;
    await runCommand(workbench, 'MSAL Sign-In: Sign In');
    const tab = await openExternalPage(workbench, browser.context, async () => {
      const labels = await pickQuickItem(workbench, 'Local OpenID Connect', () => screenshot(workbench, join(SCREENSHOTS, 'provider-pick.png')));
      assert.deepEqual(labels, ['Microsoft Entra ID', 'Local OpenID Connect']);
    });
    const [authorization] = authorizationRequests(from);
    assert.ok(authorization, 'no authorization request reached the IdP');
    console.log(`authorization request at the IdP: ${new URL(authorization.url, idp.urls.origin).pathname}`);
    await signInOnLoginPage(tab, 'bob', idp.urls.origin);
    await waitForToast(workbench, 'Signed in to Local OpenID Connect as bob@example.com');
    await screenshot(workbench, join(SCREENSHOTS, 'sign-in-command.png'));
    await closeTab(tab, workbench);
    await clearToasts(workbench);
  }));

  test('"Sign In with a Device Code": the modal shows the code; Copy & Open; sign in elsewhere', { timeout: TEST_MS }, diagnosed('device-code', async () => {
    await runCommand(workbench, 'MSAL Sign-In: Sign In with a Device Code');
    await pickQuickItem(workbench, 'Microsoft Entra ID');
    const dialog = await waitForDialog(workbench, /Your code:/);
    await screenshot(workbench, join(SCREENSHOTS, 'device-code-dialog.png'));
    const { text, userCode, verificationUri } = await readDeviceCodeDialog(dialog);
    assert.ok(userCode, `no code in the dialog: ${text}`);
    assert.ok(verificationUri !== undefined && verificationUri.startsWith(idp.urls.origin), `verification URI ${verificationUri}`);
    const tab = await openExternalPage(workbench, browser.context, () => clickDialogButton(dialog, 'Copy & Open'));
    console.log(`Copy & Open opened ${new URL(tab.url()).pathname}`);
    // The verification page takes the code from its URL and submits it itself: wait until it
    // shows the confirmation with our code (closing the tab in mid-navigation can hang).
    const shownCode = tab.locator('main[data-idp-page="device-confirm"] [data-user-code]');
    await shownCode.waitFor({ state: 'visible', timeout: STEP_MS });
    assert.equal((await shownCode.innerText()).trim(), userCode);
    await tab.waitForLoadState('load', { timeout: STEP_MS });
    await closeTab(tab, workbench);
    const clipboard = await bounded('reading the clipboard', workbench.evaluate<string>('navigator.clipboard.readText()'));
    assert.equal(clipboard, userCode, 'the clipboard holds the code');
    await completeDeviceAuthorization(verificationUri, userCode, 'alice');
    await waitForToast(workbench, 'Signed in to Microsoft Entra ID as alice@example.com', 30_000);
    await clearToasts(workbench);
  }));

  test('the Accounts menu lists the accounts; signing bob out removes him', { timeout: TEST_MS }, diagnosed('accounts', async () => {
    const labels = await openAccountsMenu(workbench);
    console.log(`Accounts menu: ${JSON.stringify(labels)}`);
    await screenshot(workbench, join(SCREENSHOTS, 'accounts-menu.png'));
    const accounts = labels.filter((label) => label.includes('@')).sort();
    assert.deepEqual(accounts, [
      'alice@example.com (Local OpenID Connect)',
      'alice@example.com (Microsoft Entra ID)',
      'bob@example.com (Local OpenID Connect)',
    ]);
    const after = await signOutFromAccountsMenu(workbench, 'bob@example.com', /bob@example\.com/, (label) => label.includes('bob@example.com'));
    assert.deepEqual(after.filter((label) => label.includes('@')).sort(), [
      'alice@example.com (Local OpenID Connect)',
      'alice@example.com (Microsoft Entra ID)',
    ]);
  }));
});
