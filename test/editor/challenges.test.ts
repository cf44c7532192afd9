/**
 * What another extension asks of the providers through VS Code's own API, in a real workbench
 * (code-server 4.139 = VS Code 1.139) without test hooks, as ui.test.ts drives it: the consumer
 * fixture asks, the editor shows its own consent and "incorrect account" dialogs, and the person
 * signs in on the identity provider's page in a browser tab (URI-handler flow, the first one of a
 * remote extension host). Everything is asked of the Entra face of the local IdP, whose token
 * requests the IdP logs with their `claims` (test/idp/server.ts, `tokenForm`).
 *
 *   getSession(createIfNone) as alice → a challenge request (stable since VS Code 1.105)
 *   `Bearer error="insufficient_claims", claims="<base64 {"access_token":{"acrs":…}}>"`: the
 *   refresh token is redeemed with the claims (seen at the IdP), never the cached token → a
 *   challenge with only `scope`, and one with only `fallbackScopes`: the ordinary session, from
 *   the cache → `forceNewSession` with the claims challenge: createSessionFromChallenges signs in
 *   with the claims on the authorization and token requests → getSession({ account: bob }):
 *   login_hint=bob, the person signs in as alice, is told so, and VS Code's "Login with bob"
 *   signs bob in → getSession({ account }) serves each account its own session → with an http
 *   issuer and msalSignIn.allowLoopbackHttp off, a consumer's getSession shows the
 *   troubleshooting message with Open Settings, and the consumer is told the same.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startIdp, type Idp } from '../idp/server.js';
import type { EditorBrowser } from './harness.js';
import { signInSettings } from './sign-in-fixture.js';
import { signInOnLoginPage } from './ui/idp-pages.js';
import { startUiSuite, waitForConsumerFixture, type UiSuite } from './ui/ui-suite.js';
import { clearToasts, clickDialogButton, closeTab, diagnosedBy, openExternalPage, poll, runCommand, waitForDialog, waitForToast } from './ui/workbench.js';

const TEST_MS = 120_000;
const FAILURES = join(tmpdir(), 'msal-signin-ui-failures');
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const READ = ['api://demo/read'];
/** The claims an `acrs` step-up asks for, and the header a resource sends them in (base64). */
const ACRS = { access_token: { acrs: { essential: true, value: 'c1' } } };
const CLAIMS_CHALLENGE = `Bearer realm="", authorization_uri="https://login.example/authorize", error="insufficient_claims", claims="${Buffer.from(JSON.stringify(ACRS)).toString('base64')}"`;

interface ConsumerSession {
  account: string | null;
  accountId?: string;
  id?: string;
  scopes?: string[];
  accessToken?: string;
  error?: string;
}

describe('consumers of the providers through VS Code: challenges, accounts, configuration errors', () => {
  let idp: Idp;
  let ui: UiSuite;
  let browser: EditorBrowser;
  let workbench: Page;
  /** What the tests learn and the next ones use. */
  const seen: { aliceToken?: string; challengeToken?: string; aliceId?: string; bobId?: string } = {};

  const diagnosed = diagnosedBy(FAILURES, 'challenges-', () => ({ workbench, browser, requests: idp.requests, consoleErrors: ui?.consoleErrors ?? [] }));

  /**
   * Leaves `request` for a consumer fixture command, runs the command (from the palette unless
   * `run` does), returns what it wrote.
   */
  async function consumerCommand<T>(title: string, name: string, request?: { file: string; body: unknown }, run?: () => Promise<void>): Promise<T> {
    if (request) await writeFile(join(ui.results, `${request.file}.json`), JSON.stringify(request.body));
    const written = await ui.consumerCommand<T>(title, name, { run, timeoutMs: 60_000 });
    // The IdP's tabs stay open until the editor's callback page has handed the code over.
    for (const tab of browser.context.pages()) if (tab !== workbench) await closeTab(tab, workbench);
    return written;
  }

  /** Token requests that reached the Entra face since `from`, with what the IdP recorded of their form. */
  const tokenRequests = (from: number) => idp.requests.slice(from).filter((request) => request.method === 'POST' && request.path.endsWith('/oauth2/v2.0/token'));
  const authorizationRequests = (from: number) =>
    idp.requests.slice(from).filter((request) => request.method === 'GET' && request.path.endsWith('/oauth2/v2.0/authorize')).map((request) => new URL(request.url, idp.urls.origin).searchParams);

  /** Nobody is signed in at the IdP in this browser: the next sign-in shows the login page. */
  async function forgetIdpSession(): Promise<void> {
    for (const cookie of await browser.context.cookies(idp.urls.origin)) await browser.context.clearCookies({ name: cookie.name, domain: cookie.domain });
  }

  /**
   * After `action` made the editor open the IdP: signs in there as `account`. The tab, now on the
   * editor's callback page, is left open (consumerCommand closes it once the consumer has its answer).
   */
  async function signInInBrowser(account: 'alice' | 'bob', action: () => Promise<void>): Promise<void> {
    const tab = await openExternalPage(workbench, browser.context, action);
    await signInOnLoginPage(tab, account, idp.urls.origin);
    await tab.waitForLoadState('load', { timeout: 20_000 });
    await workbench.bringToFront();
  }

  before(async () => {
    idp = await startIdp({ devicePollInterval: 1, host: '[::ffff:7f00:1]' });
    ui = await startUiSuite({
      name: 'challenges',
      settings: { ...signInSettings(idp), 'consumerFixture.providerId': 'entra', 'consumerFixture.scopes': READ },
    });
    ({ browser, workbench } = ui);
    idp.allowRedirectUriPrefix(ui.server.url);
    await waitForConsumerFixture(ui.server);
  });

  after(async () => {
    await ui?.close();
    await idp?.close();
  });

  test("a consumer's getSession(createIfNone): consent, alice signs in on the IdP's page", { timeout: TEST_MS }, diagnosed('sign-in', async () => {
    const got = await consumerCommand<{ account: string; accessToken: string }>('Consumer Fixture: Get Session', 'get-session', undefined, async () => {
      await runCommand(workbench, 'Consumer Fixture: Get Session');
      const consent = await waitForDialog(workbench, /wants to sign in using/);
      await signInInBrowser('alice', () => clickDialogButton(consent, 'Allow'));
    });
    assert.equal(got.account, ALICE);
    seen.aliceToken = got.accessToken;
    await clearToasts(workbench);
  }));

  test('an insufficient_claims challenge: the refresh token is redeemed with the claims, the cached token is not handed out', { timeout: TEST_MS }, diagnosed('claims', async () => {
    const from = idp.requests.length;
    const got = await consumerCommand<ConsumerSession>('Consumer Fixture: Get Session for a Challenge', 'challenge-session', {
      file: 'challenge-request',
      body: { wwwAuthenticate: CLAIMS_CHALLENGE, fallbackScopes: READ, options: { silent: true } },
    });
    assert.equal(got.error, undefined, got.error);
    assert.equal(got.account, ALICE);
    assert.deepEqual(got.scopes, READ);
    assert.notEqual(got.accessToken, seen.aliceToken, 'a new token, not the cached one');
    const sent = tokenRequests(from);
    console.log(`token requests for the challenge: ${JSON.stringify(sent.map((request) => request.tokenForm))}`);
    assert.equal(sent.length, 1, 'one refresh');
    assert.ok(sent[0]!.tokenForm?.names.includes('refresh_token'));
    assert.deepEqual(JSON.parse(sent[0]!.tokenForm?.claims ?? 'null'), ACRS, 'the IdP received the claims challenge');
    assert.equal((await idp.introspect(got.accessToken!)).active, true);
    seen.challengeToken = got.accessToken;
    await clearToasts(workbench);
  }));

  test('a challenge with only `scope`, and one with only fallbackScopes, get the ordinary session from the cache', { timeout: TEST_MS }, diagnosed('scope', async () => {
    const from = idp.requests.length;
    const byScope = await consumerCommand<ConsumerSession>('Consumer Fixture: Get Session for a Challenge', 'challenge-session', {
      file: 'challenge-request',
      body: { wwwAuthenticate: 'Bearer realm="", scope="api://demo/read"', options: { silent: true } },
    });
    assert.equal(byScope.error, undefined, byScope.error);
    assert.equal(byScope.account, ALICE);
    assert.deepEqual(byScope.scopes, READ);
    assert.equal(byScope.accessToken, seen.challengeToken, 'the cached token');
    const byFallback = await consumerCommand<ConsumerSession>('Consumer Fixture: Get Session for a Challenge', 'challenge-session', {
      file: 'challenge-request',
      body: { wwwAuthenticate: 'Bearer realm="api"', fallbackScopes: READ, options: { silent: true } },
    });
    assert.equal(byFallback.account, ALICE);
    assert.equal(byFallback.id, byScope.id, 'the same session');
    assert.deepEqual(idp.requests.slice(from).map((request) => `${request.method} ${request.path}`), [], 'served from the cache');
    await clearToasts(workbench);
  }));

  test('forceNewSession with a claims challenge: createSessionFromChallenges signs in with the claims', { timeout: TEST_MS }, diagnosed('create-from-challenge', async () => {
    await forgetIdpSession();
    const from = idp.requests.length;
    const got = await consumerCommand<ConsumerSession>('Consumer Fixture: Get Session for a Challenge', 'challenge-session', {
      file: 'challenge-request',
      body: { wwwAuthenticate: CLAIMS_CHALLENGE, fallbackScopes: READ, options: { forceNewSession: true } },
    }, async () => {
      await runCommand(workbench, 'Consumer Fixture: Get Session for a Challenge');
      const consent = await waitForDialog(workbench, /wants you to sign in again using/);
      await signInInBrowser('alice', () => clickDialogButton(consent, 'Allow'));
    });
    assert.equal(got.error, undefined, got.error);
    assert.equal(got.account, ALICE);
    const [authorization] = authorizationRequests(from);
    assert.ok(authorization, 'no authorization request reached the IdP');
    assert.deepEqual(JSON.parse(authorization.get('claims') ?? 'null'), ACRS, 'the authorization request carries the claims');
    const codeRedemption = tokenRequests(from).find((request) => request.tokenForm?.names.includes('code'));
    assert.deepEqual(JSON.parse(codeRedemption?.tokenForm?.claims ?? 'null'), ACRS, 'so does the code redemption');
    await clearToasts(workbench);
  }));

  test('getSession({ account: bob }): login_hint=bob; signed in as alice the person is told, and "Login with bob" signs bob in', { timeout: TEST_MS }, diagnosed('account', async () => {
    await forgetIdpSession();
    const from = idp.requests.length;
    const got = await consumerCommand<ConsumerSession>('Consumer Fixture: Get Session for an Account', 'account-session', {
      file: 'account-request',
      body: { account: { id: BOB, label: BOB }, options: { createIfNone: true } },
    }, async () => {
      await runCommand(workbench, 'Consumer Fixture: Get Session for an Account');
      const consent = await waitForDialog(workbench, /wants to sign in using/);
      await signInInBrowser('alice', () => clickDialogButton(consent, 'Allow'));
      await waitForToast(workbench, `You signed in to Microsoft Entra ID as ${ALICE}, not as ${BOB}, the account that was asked for.`);
      const incorrect = await waitForDialog(workbench, /does not match the requested account/);
      await forgetIdpSession();
      await signInInBrowser('bob', () => clickDialogButton(incorrect, `Login with ${BOB}`));
    });
    assert.equal(got.error, undefined, got.error);
    assert.equal(got.account, BOB);
    const hints = authorizationRequests(from).map((query) => query.get('login_hint'));
    assert.deepEqual(hints, [BOB, BOB], 'both sign-ins asked for bob');
    seen.bobId = got.accountId;
    await clearToasts(workbench);
  }));

  test("getSession({ account }) serves each account its own session, from the cache", { timeout: TEST_MS }, diagnosed('per-account', async () => {
    const { accounts } = await consumerCommand<{ accounts: string[] }>('Consumer Fixture: List Accounts', 'accounts');
    assert.deepEqual([...accounts].sort(), [ALICE, BOB]);
    const from = idp.requests.length;
    const bob = await consumerCommand<ConsumerSession>('Consumer Fixture: Get Session for an Account', 'account-session', {
      file: 'account-request',
      body: { account: { id: seen.bobId, label: BOB }, options: { silent: true } },
    });
    assert.equal(bob.account, BOB);
    const alice = await consumerCommand<ConsumerSession>('Consumer Fixture: Get Session for an Account', 'account-session', {
      file: 'account-request',
      body: { account: { id: 'by-name-only', label: ALICE }, options: { silent: true } },
    });
    assert.equal(alice.account, ALICE, 'an account named by its user name');
    assert.notEqual(alice.accessToken, bob.accessToken);
    assert.deepEqual(idp.requests.slice(from).map((request) => `${request.method} ${request.path}`), []);
    await clearToasts(workbench);
  }));

  test('an http issuer with msalSignIn.allowLoopbackHttp off: the consumer and the person are told which setting to fix', { timeout: TEST_MS }, diagnosed('http-issuer', async () => {
    const updated = await consumerCommand<{ value: unknown }>('Consumer Fixture: Update a Setting', 'setting-updated', {
      file: 'setting-request',
      body: { key: 'msalSignIn.allowLoopbackHttp', value: false },
    });
    assert.equal(updated.value, false);
    // The extension applies the change when the editor reports it: ask until it has.
    const failed = await poll('a consumer request to fail on the http issuer', async () => {
      const got = await consumerCommand<ConsumerSession>('Consumer Fixture: Get Session for an Account', 'account-session', {
        file: 'account-request',
        body: { options: { silent: true } },
      });
      return got.error ? got : undefined;
    }, 60_000);
    console.log(`the consumer was told: ${failed.error}`);
    assert.match(failed.error!, /The issuer URL http:\/\/\S+ cannot be used: .*msalSignIn\.allowLoopbackHttp.*Check msalSignIn\.entra\.authority/);
    assert.doesNotMatch(failed.error!, /allowInsecureLoopbackAuthority/);
    // The extension's own message, not the consumer fixture's toast that repeats what it was told.
    const toast = workbench.locator('.notifications-toasts .notification-toast').filter({ hasText: /The issuer URL http:\/\/\S+ cannot be used/ }).filter({ hasNotText: /Consumer got/ }).first();
    await toast.waitFor({ state: 'visible', timeout: 20_000 });
    assert.doesNotMatch(await toast.innerText(), /allowInsecureLoopbackAuthority/);
    await toast.getByRole('button', { name: 'Open Settings' }).click();
    await workbench.locator('.settings-editor').waitFor({ state: 'visible', timeout: 20_000 });
    await clearToasts(workbench);
  }));
});
