/**
 * LemonLDAP::NG 2.16 (test/llng, portal `https://localhost:19443/`) in a real workbench, the
 * provider configured through user settings only, exactly as README's LemonLDAP::NG recipe writes
 * the entry — `id`, `label`, `issuer` (the root issuer, trailing slash), `clientId`,
 * `flow: "loopback"`, `redirectUri: "http://127.0.0.1:8400/"` — and nothing else of the
 * extension's settings:
 *
 *   a consumer extension's getSession(createIfNone) → the editor's consent → the loopback flow
 *   opens the portal's login page in a browser tab → dwho signs in on it → the portal redirects the
 *   tab to the extension's listener on the fixed port 8400 → the consumer has a session for dwho,
 *   whose access token the portal's userinfo endpoint accepts → the Accounts menu names dwho (from
 *   userinfo: the ID tokens carry `sub` only) → a silent getSession sends nothing to the portal
 *   (counted in its access log) → the Accounts menu signs dwho out, and the account is gone.
 *
 * What only the test environment forces, none of it a setting of the extension:
 * - The portal's certificate is a throw-away one (.cache/llng/tls/portal.crt). The extension runs
 *   in code-server's Node extension host, which inherits the server's environment, and sends its
 *   requests with the host's global `fetch`. VS Code patches that `fetch`
 *   (`http.fetchAdditionalSupport`, on by default) to verify servers against Node's bundled roots
 *   plus the operating system's store, read through Node's `tls.getCACertificates('system')`
 *   (`http.systemCertificatesNode`): `NODE_EXTRA_CA_CERTS` is dropped on that path (tried: the
 *   discovery request then fails), and a user adds a private CA to the system store. The test does
 *   not touch the machine's store: `SSL_CERT_FILE=<that file>` makes it Node's system store for
 *   code-server and its extension host (OpenSSL's default directory is still read too).
 *   Chromium accepts exactly that key:
 *   `--ignore-certificate-errors-spki-list=<base64 SHA-256 of its public key>`.
 * - The portal answers at `localhost`. code-server rewrites every `http(s)://localhost:<port>` an
 *   extension opens to its own port-forwarding path, `/proxy/<port>/`, which forwards plain http
 *   to `0.0.0.0:<port>` (code-server's out/node/routes/pathProxy.js): no way to a TLS port. The server's `VSCODE_PROXY_URI` (code-server's template of
 *   those forwarded URLs) is set to the portal's origin, `https://localhost:19443/`, so the
 *   authorization URL opens as it is. (`https://localhost:{{port}}/` would be the general form, but
 *   the workbench parses the template with `new URL()` before filling it in, and `{{port}}` is no
 *   port: the extension host then never starts.) Only the portal's URL is opened here. A real
 *   portal (`https://auth.example.com/`) is never rewritten.
 *
 * The loopback flow needs the browser on the extension host's machine: here both run on
 * 127.0.0.1, so the tab's redirect to http://127.0.0.1:8400/ reaches the extension's listener.
 * That port must be free (the relying party has exactly that redirect URI): the suite fails at
 * once, saying so, when it is not.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { isListening, type Llng, LLNG_USERS, llngPaths, startLlng } from '../llng/server.js';
import type { CodeServer, EditorBrowser } from './harness.js';
import { startUiSuite, waitForConsumerFixture, type UiSuite } from './ui/ui-suite.js';
import {
  bounded,
  clearToasts,
  clickDialogButton,
  closeMenus,
  closeTab,
  diagnosedBy,
  openAccountsMenu,
  poll,
  runCommand,
  selectors,
  signOutFromAccountsMenu,
  STEP_MS,
  waitForDialog,
  waitForToast,
} from './ui/workbench.js';

const TEST_MS = 90_000;
const FAILURES = join(tmpdir(), 'msal-signin-ui-failures');
const PROVIDER_ID = 'lemonldap';
const PROVIDER_LABEL = 'LemonLDAP::NG';
/** The relying party's only redirect URI (scripts/llng/install.sh), as the README's entry names it. */
const REDIRECT_URI = 'http://127.0.0.1:8400/';
const LOOPBACK_PORT = Number(new URL(REDIRECT_URI).port);
const USER = LLNG_USERS.dwho;
/** What a consumer of an OpenID Connect provider asks for. */
const CONSUMER_SCOPES = ['openid', 'profile'];

/** README's LemonLDAP::NG entry, with the test portal's issuer. */
function readmeEntry(llng: Llng): Record<string, unknown> {
  return { id: PROVIDER_ID, label: PROVIDER_LABEL, issuer: llng.issuer, clientId: llng.clientId, flow: 'loopback', redirectUri: REDIRECT_URI };
}

/** Throws, naming the port, when something listens on 127.0.0.1:port (or it cannot be bound). */
async function assertPortFree(port: number): Promise<void> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`127.0.0.1:${port} is not free (${err.code ?? err.message}): the LemonLDAP::NG relying party's only redirect URI is ${REDIRECT_URI}, and the extension must listen there; stop what holds the port (another LemonLDAP::NG test run?)`)),
    );
    probe.listen(port, '127.0.0.1', () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/** Chromium's `--ignore-certificate-errors-spki-list` value of a certificate: base64 SHA-256 of its SubjectPublicKeyInfo. */
function spkiHash(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** GET <issuer>oauth2/userinfo with a bearer token, trusting the portal's certificate. */
async function userinfo(llng: Llng, accessToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(new URL('oauth2/userinfo', llng.issuer), { ca: llng.ca, agent: false, timeout: 10_000, headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('userinfo timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('LemonLDAP::NG configured as the README shows, in a real workbench', () => {
  let llng: Llng;
  let ui: UiSuite;
  let server: CodeServer;
  let browser: EditorBrowser;
  let workbench: Page;
  /** The portal's requests, read when a test fails (for the report). */
  let portalRequests: { method: string; url: string }[] = [];
  /** Authorization requests the browser sent to the portal, exactly as sent. */
  const authorizeUrls: string[] = [];

  const report = diagnosedBy(FAILURES, 'llng-', () => ({ workbench, browser, requests: portalRequests, consoleErrors: ui?.consoleErrors ?? [] }));
  /** Runs a test body; on failure keeps a screenshot, the portal's requests and the workbench's errors. */
  const diagnosed = (name: string, body: () => Promise<void>) =>
    report(name, async () => {
      try {
        await body();
      } catch (err) {
        const all = (await llng?.requestsSince(0).catch(() => [] as string[])) ?? [];
        portalRequests = all.map((line) => {
          const [method = '', url = ''] = line.split(' ');
          return { method, url };
        });
        throw err;
      }
    });

  before(async () => {
    // Fail before starting anything when the fixed port is taken.
    await assertPortFree(LOOPBACK_PORT);
    const { caFile } = llngPaths();
    llng = await startLlng();
    assert.deepEqual(llng.redirectUris, [REDIRECT_URI], "the relying party's redirect URIs (scripts/llng/install.sh)");
    ui = await startUiSuite({
      name: 'llng',
      settings: {
        // README's LemonLDAP::NG entry, and nothing else of the extension's settings.
        'msalSignIn.oidcProviders': [readmeEntry(llng)],
        'consumerFixture.providerId': PROVIDER_ID,
        'consumerFixture.scopes': CONSUMER_SCOPES,
      },
      env: {
        // The extension host trusts the throw-away certificate as if it were in the system store.
        SSL_CERT_FILE: caFile,
        // The portal's localhost URLs the extension opens go to the portal, not to /proxy/<port>/.
        VSCODE_PROXY_URI: `${new URL(llng.issuer).origin}/`,
      },
      // Chromium trusts the portal's throw-away certificate, and nothing else of the kind.
      browser: { args: [`--ignore-certificate-errors-spki-list=${spkiHash(llng.ca)}`] },
    });
    ({ server, browser, workbench } = ui);
    // Nothing has asked the portal yet: the first authorization request comes with the first test.
    browser.context.on('request', (request) => {
      if (request.method() === 'GET' && request.url().startsWith(new URL('oauth2/authorize', llng.issuer).href)) authorizeUrls.push(request.url());
    });
    await waitForConsumerFixture(server);
  }, { timeout: 240_000 });

  after(async () => {
    await ui?.close();
    await llng?.close();
  });

  test("a consumer's getSession(createIfNone): consent, the portal's login page in a tab, dwho, the redirect to port 8400", { timeout: TEST_MS }, diagnosed('sign-in', async () => {
    const mark = await llng.mark();
    await runCommand(workbench, 'Consumer Fixture: Get Session');
    const consent = await waitForDialog(workbench, /wants to sign in using|Timed out waiting for authentication provider/);
    const consentText = (await consent.innerText()).replace(/\s+/g, ' ');
    assert.match(consentText, /wants to sign in using LemonLDAP::NG/, 'the consent names the configured label');

    // Allow: the extension opens the authorization URL. The editor may ask first whether to open
    // an external website (it does not for localhost, which it trusts); then the tab opens.
    const opened = browser.context.waitForEvent('page', { timeout: 2 * STEP_MS });
    opened.catch(() => undefined);
    await clickDialogButton(consent, 'Allow');
    const ask = workbench.locator(selectors.dialog).filter({ hasText: /open the external website/i }).first();
    const tab = await bounded('the portal tab to open', Promise.race([
      opened,
      ask.waitFor({ state: 'visible', timeout: 2 * STEP_MS }).then(async () => {
        await clickDialogButton(ask, 'Open');
        return opened;
      }),
    ]), 2 * STEP_MS);

    // LemonLDAP::NG's own login form, in the browser, over TLS.
    const form = tab.locator('#lform');
    await form.waitFor({ state: 'visible', timeout: STEP_MS });
    assert.equal(new URL(tab.url()).origin, new URL(llng.issuer).origin, `the tab shows ${tab.url()}`);
    const [authorizeUrl] = authorizeUrls;
    assert.ok(authorizeUrl, 'no authorization request left the browser');
    const query = new URL(authorizeUrl).searchParams;
    console.log(`authorization request as the browser sent it: ${new URL(authorizeUrl).pathname}?${[...query.keys()].join('&')}`);
    assert.deepEqual(
      { client_id: query.get('client_id'), redirect_uri: query.get('redirect_uri'), response_type: query.get('response_type'), code_challenge_method: query.get('code_challenge_method') },
      { client_id: llng.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', code_challenge_method: 'S256' },
      'the authorization request names the exact registered redirect URI, with PKCE',
    );
    assert.ok((query.get('scope') ?? '').split(' ').includes('openid'), `scope ${query.get('scope')}`);

    await form.locator('input[name="user"]').fill(USER.login);
    await form.locator('input[name="password"]').fill(USER.password);
    await form.locator('[type="submit"]').first().click();
    // The portal redirects the tab to the extension's listener, which answers with its page.
    await tab.waitForURL((url) => url.href.startsWith(REDIRECT_URI), { timeout: STEP_MS, waitUntil: 'load' });
    console.log(`the tab went on to ${new URL(tab.url()).origin}${new URL(tab.url()).pathname}: ${(await tab.locator('body').innerText({ timeout: STEP_MS })).replace(/\s+/g, ' ').slice(0, 120)}`);

    await waitForToast(workbench, `Consumer got a session for ${USER.login}`, 30_000);
    await closeTab(tab, workbench);
    const got = JSON.parse(await readFile(join(ui.results, 'get-session.json'), 'utf8')) as { account: string; accessToken: string };
    assert.equal(got.account, USER.login);
    const requests = await llng.requestsSince(mark);
    console.log(`requests at the portal during the sign-in: ${JSON.stringify(requests)}`);
    // The portal's pages load their own scripts and styles; the extension's requests are these.
    const oauth = requests.filter((request) => / \/(oauth2\/|\.well-known\/)/.test(request));
    const discovery = oauth.filter((request) => request.startsWith('GET /.well-known/'));
    assert.ok(discovery.length <= 1, `discovery requests: ${JSON.stringify(discovery)}`);
    assert.deepEqual(
      oauth.filter((request) => !discovery.includes(request)),
      ['GET /oauth2/authorize', 'POST /oauth2/authorize', 'POST /oauth2/token', 'GET /oauth2/jwks', 'GET /oauth2/userinfo'],
      'the login form and its post, one token request, the keys, and userinfo once (the ID token names nobody)',
    );
    // The listener on 8400 is one-shot: closed once the redirect arrived.
    await poll(`the loopback listener on ${LOOPBACK_PORT} to close`, async () => ((await isListening(LOOPBACK_PORT)) ? undefined : true), 10_000);

    // The consumer's token is the portal's: its userinfo endpoint names Doctor Who.
    const info = await userinfo(llng, got.accessToken);
    assert.equal(info.status, 200);
    assert.equal(info.body.sub, USER.login);
    assert.equal(info.body.name, USER.name);
    await clearToasts(workbench);
  }));

  test('the Accounts menu names dwho (from userinfo), and listing accounts sends nothing to the portal', { timeout: TEST_MS }, diagnosed('accounts', async () => {
    const mark = await llng.mark();
    const { accounts } = await ui.consumerCommand<{ accounts: string[] }>('Consumer Fixture: List Accounts', 'accounts');
    assert.deepEqual(accounts, [USER.login]);
    const labels = await openAccountsMenu(workbench);
    await closeMenus(workbench);
    console.log(`Accounts menu: ${JSON.stringify(labels)}`);
    // The provider shows username || name || homeAccountId: the username userinfo gave (the
    // ID token has no naming claim; the sign-in above counted its one userinfo request). The
    // Demo backend's `sub` is the login too, so the label alone cannot tell the two apart.
    assert.deepEqual(labels.filter((label) => label.includes(PROVIDER_LABEL)), [`${USER.login} (${PROVIDER_LABEL})`]);
    assert.deepEqual(await llng.requestsSince(mark), [], 'listing accounts sent requests');
    await clearToasts(workbench);
  }));

  test("a consumer's silent getSession is served from the cache: no request reaches the portal", { timeout: TEST_MS }, diagnosed('silent', async () => {
    const mark = await llng.mark();
    const silent = await ui.consumerCommand<{ account: string | null }>('Consumer Fixture: Get Session Silently', 'get-session-silently');
    assert.equal(silent.account, USER.login);
    assert.deepEqual(await llng.requestsSince(mark), [], 'the silent getSession sent requests');
    await clearToasts(workbench);
  }));

  test('the Accounts menu signs dwho out; the account is gone', { timeout: TEST_MS }, diagnosed('sign-out', async () => {
    const mark = await llng.mark();
    await signOutFromAccountsMenu(workbench, USER.login, new RegExp(`\\b${USER.login}\\b`), (label) => label.includes(PROVIDER_LABEL));
    const { accounts } = await ui.consumerCommand<{ accounts: string[] }>('Consumer Fixture: List Accounts', 'accounts');
    assert.deepEqual(accounts, []);
    const silent = await ui.consumerCommand<{ account: string | null }>('Consumer Fixture: Get Session Silently', 'get-session-silently');
    assert.equal(silent.account, null);
    // LemonLDAP::NG 2.16 has no revocation endpoint: signing out is local.
    console.log(`requests at the portal during the sign-out: ${JSON.stringify(await llng.requestsSince(mark))}`);
    await clearToasts(workbench);
  }));
});
