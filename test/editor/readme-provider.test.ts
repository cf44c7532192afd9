/**
 * A provider configured exactly as the README's generic examples are — `id`, `label`, `issuer`,
 * `clientId`, `flow`, no `scopes` — at an issuer at a host root: the README's Auth0 example
 * (`https://<tenant>.auth0.com/`, trailing slash, `flow: deviceCode`), pointed at the local IdP
 * started with `oidcPath: '/'`, plus the one setting the README asks for a local http issuer
 * (`msalSignIn.allowLoopbackHttp`). A real workbench without test hooks, as ui.test.ts drives it:
 *
 *   a consumer extension's getSession(createIfNone) for an API's scope (consent, device code,
 *   alice) → vscode.authentication.getAccounts lists alice → so does the Accounts menu, neither
 *   asking the IdP for anything → a silent getSession reaches the IdP not at all (requests
 *   counted at the server) → one for OpenID scopes only gets a session too, from the cache after
 *   its first → the Accounts menu signs alice out → getAccounts is empty.
 *
 * It also measures, and never asserts on, what the extension costs inside the editor: a
 * consumer's silent getSession through VS Code (the consumer fixture times N calls one after the
 * other) and the extension's activation (from the extension host's "activating" log line to the
 * extension's own "activated" line, over N window loads). The numbers go to
 * <tmp>/msal-signin-editor-bench.json, or with UPDATE_BENCH=1 to bench/editor-results.json
 * (a plain test run leaves the checkout as it was, as with UPDATE_SCREENSHOTS).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { median } from '../../bench/stats.js';
import { completeDeviceAuthorization } from '../idp/headless-login.js';
import { startIdp, type Idp } from '../idp/server.js';
import { readEditorPaths, repoRoot, type CodeServer, type EditorBrowser } from './harness.js';
import { assertConsumerSessionFromIdp, startUiSuite, waitForConsumerFixture, type UiSuite } from './ui/ui-suite.js';
import {
  clearToasts,
  clickDialogButton,
  closeMenus,
  closeTab,
  openAccountsMenu,
  openExternalPage,
  poll,
  readDeviceCodeDialog,
  runCommand,
  signOutFromAccountsMenu,
  STEP_MS,
  waitForDialog,
  waitForToast,
  diagnosedBy,
} from './ui/workbench.js';

const TEST_MS = 90_000;
const ALICE = 'alice@example.com';
/** How many silent getSession calls the consumer times, and how many window loads are timed. */
const TIMED_CALLS = positiveInteger(process.env.EDITOR_BENCH_CALLS, 50);
const TIMED_ACTIVATIONS = positiveInteger(process.env.EDITOR_BENCH_ACTIVATIONS, 5);
const BENCH_FILE = process.env.UPDATE_BENCH === '1' ? join(repoRoot, 'bench', 'editor-results.json') : join(tmpdir(), 'msal-signin-editor-bench.json');
const FAILURES = join(tmpdir(), 'msal-signin-ui-failures');
const EXTENSION_ID = 'msal-tools.msal-signin';
/** What the consumer fixture asks for: a scope of the local IdP's API. */
const CONSUMER_SCOPES = ['api://demo/read'];

function positiveInteger(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

/** The README's Auth0 entry, with the local IdP's issuer and client. */
function readmeEntry(idp: Idp): Record<string, unknown> {
  return { id: 'auth0', label: 'Auth0', issuer: idp.urls.oidcIssuer, clientId: 'public-client', flow: 'deviceCode' };
}

describe('a provider configured as the README shows, at a root issuer, in a real workbench', () => {
  let idp: Idp;
  let ui: UiSuite;
  let server: CodeServer;
  let browser: EditorBrowser;
  let workbench: Page;
  const measured: { silentGetSessionMs?: number[]; activationMs?: number[] } = {};

  /** Runs a test body; on failure keeps a screenshot and the IdP's last requests for the report. */
  const diagnosed = diagnosedBy(FAILURES, 'readme-provider-', () => ({ workbench, browser, requests: idp.requests, consoleErrors: ui?.consoleErrors ?? [] }));

  before(async () => {
    // The Auth0 shape: issuer `<origin>/` at the host root. Named by the IPv4-mapped address of
    // 127.0.0.1 so that the editor opens its pages without its /proxy/ (see ui.test.ts).
    idp = await startIdp({ devicePollInterval: 1, host: '[::ffff:7f00:1]', oidcPath: '/' });
    assert.equal(idp.urls.oidcIssuer, `${idp.urls.origin}/`);
    ui = await startUiSuite({
      name: 'readme',
      settings: {
        // What the README has a user write, and nothing else of the extension's settings.
        'msalSignIn.oidcProviders': [readmeEntry(idp)],
        'msalSignIn.allowLoopbackHttp': true,
        // A consumer of an API; its "OpenID" command asks for OpenID scopes only.
        'consumerFixture.providerId': 'auth0',
        'consumerFixture.scopes': CONSUMER_SCOPES,
        'consumerFixture.timedCalls': TIMED_CALLS,
      },
    });
    ({ server, browser, workbench } = ui);
    // Its commands are in the palette once the remote extension host activated it.
    await waitForConsumerFixture(server);
  });

  after(async () => {
    await ui?.close();
    await idp?.close();
  });

  test("a consumer's getSession(createIfNone): consent, the device code, alice", { timeout: TEST_MS }, diagnosed('sign-in', async () => {
    await runCommand(workbench, 'Consumer Fixture: Get Session');
    const consent = await waitForDialog(workbench, /wants to sign in using|Timed out waiting for authentication provider/);
    assert.match((await consent.innerText()).replace(/\s+/g, ' '), /Auth0/, 'the consent names the configured label');
    await clickDialogButton(consent, 'Allow');
    const dialog = await waitForDialog(workbench, /Your code:/);
    const { text, userCode, verificationUri } = await readDeviceCodeDialog(dialog);
    assert.ok(userCode, `no code in the dialog: ${text}`);
    assert.equal(new URL(verificationUri ?? '').origin, idp.urls.origin, `verification URI ${verificationUri}`);
    const tab = await openExternalPage(workbench, browser.context, () => clickDialogButton(dialog, 'Copy & Open'));
    // The verification page submits the code from its URL itself: let it finish before closing.
    await tab.locator('main[data-idp-page="device-confirm"] [data-user-code]').waitFor({ state: 'visible', timeout: STEP_MS });
    await tab.waitForLoadState('load', { timeout: STEP_MS });
    await closeTab(tab, workbench);
    await completeDeviceAuthorization(verificationUri!, userCode, 'alice');
    await waitForToast(workbench, `Consumer got a session for ${ALICE}`, 30_000);
    await assertConsumerSessionFromIdp(ui, idp, ALICE);
    await clearToasts(workbench);
  }));

  test('vscode.authentication.getAccounts and the Accounts menu list alice, without a request to the IdP', { timeout: TEST_MS }, diagnosed('accounts', async () => {
    const from = idp.requests.length;
    const { accounts } = await ui.consumerCommand<{ accounts: string[] }>('Consumer Fixture: List Accounts', 'accounts');
    assert.deepEqual(accounts, [ALICE]);
    const labels = await openAccountsMenu(workbench);
    await closeMenus(workbench);
    console.log(`Accounts menu: ${JSON.stringify(labels)}`);
    assert.deepEqual(labels.filter((label) => label.includes('@')), [`${ALICE} (Auth0)`]);
    assert.deepEqual(idp.requests.slice(from).map((r) => `${r.method} ${r.path}`), [], 'listing accounts sent requests');
    await clearToasts(workbench);
  }));

  test("a consumer's silent getSession is served from the cache: no request reaches the IdP", { timeout: TEST_MS }, diagnosed('silent', async () => {
    const from = idp.requests.length;
    const silent = await ui.consumerCommand<{ account: string | null }>('Consumer Fixture: Get Session Silently', 'get-session-silently');
    assert.equal(silent.account, ALICE);
    assert.deepEqual(idp.requests.slice(from).map((r) => `${r.method} ${r.path}`), [], 'the silent getSession sent requests');
    await clearToasts(workbench);
  }));

  test('a silent getSession for OpenID scopes only gets a session: at most one refresh, then from the cache', { timeout: TEST_MS }, diagnosed('openid', async () => {
    const from = idp.requests.length;
    const first = await ui.consumerCommand<{ account: string | null; scopes: string[] | null }>('Consumer Fixture: Get OpenID Session Silently', 'get-openid-session-silently');
    assert.equal(first.account, ALICE);
    assert.deepEqual(first.scopes, ['openid', 'profile']);
    const firstRequests = idp.requests.slice(from).map((r) => `${r.method} ${r.path}`);
    console.log(`the first OpenID-only silent getSession sent ${JSON.stringify(firstRequests)}`);
    assert.ok(firstRequests.every((request) => request === 'POST /token') && firstRequests.length <= 1, `requests: ${JSON.stringify(firstRequests)}`);
    const next = idp.requests.length;
    const again = await ui.consumerCommand<{ account: string | null }>('Consumer Fixture: Get OpenID Session Silently', 'get-openid-session-silently');
    assert.equal(again.account, ALICE);
    assert.deepEqual(idp.requests.slice(next).map((r) => `${r.method} ${r.path}`), [], 'the second OpenID-only silent getSession sent requests');
    await clearToasts(workbench);
  }));

  test(`measures a consumer's silent getSession through VS Code (${TIMED_CALLS} calls), none reaching the IdP`, { timeout: TEST_MS }, diagnosed('silent-timing', async () => {
    const from = idp.requests.length;
    const timed = await ui.consumerCommand<{ account: string | null; durationsMs: number[] }>('Consumer Fixture: Time Silent Get Session', 'silent-timings');
    assert.equal(timed.account, ALICE);
    assert.equal(timed.durationsMs.length, TIMED_CALLS);
    assert.equal(idp.requests.length - from, 0, `${idp.requests.length - from} requests during ${TIMED_CALLS} silent calls`);
    measured.silentGetSessionMs = timed.durationsMs;
    console.log(`silent getSession through VS Code: median ${median(timed.durationsMs).toFixed(2)} ms over ${timed.durationsMs.length} calls`);
    await clearToasts(workbench);
  }));

  test('the Accounts menu signs alice out; getAccounts is then empty and a silent getSession finds nothing', { timeout: TEST_MS }, diagnosed('sign-out', async () => {
    await signOutFromAccountsMenu(workbench, ALICE, new RegExp(ALICE.replace('.', '\\.')), (label) => label.includes(ALICE));
    const { accounts } = await ui.consumerCommand<{ accounts: string[] }>('Consumer Fixture: List Accounts', 'accounts');
    assert.deepEqual(accounts, []);
    const silent = await ui.consumerCommand<{ account: string | null }>('Consumer Fixture: Get Session Silently', 'get-session-silently');
    assert.equal(silent.account, null);
    await clearToasts(workbench);
  }));

  test(`measures the extension's activation over ${TIMED_ACTIVATIONS} window loads`, { timeout: 60_000 + TIMED_ACTIVATIONS * 45_000 }, diagnosed('activation', async () => {
    const logs = join(server.userDataDir, 'logs');
    // The first load's extension host is there already; each reload starts another one.
    let samples = await poll('the first activation in the logs', async () => nonEmpty(await activationTimes(logs)), 30_000);
    while (samples.length < TIMED_ACTIVATIONS) {
      const count = samples.length;
      await workbench.reload({ waitUntil: 'domcontentloaded' });
      await workbench.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
      samples = await poll(`activation ${count + 1} in the logs`, async () => {
        const now = await activationTimes(logs);
        return now.length > count ? now : undefined;
      }, 60_000);
    }
    measured.activationMs = samples;
    console.log(`activation: ${samples.map((ms) => `${ms} ms`).join(', ')} (median ${median(samples)} ms)`);
  }));

  test(`writes the measurements to ${BENCH_FILE.startsWith(repoRoot) ? 'bench/editor-results.json' : BENCH_FILE}`, async (t) => {
    const { silentGetSessionMs, activationMs } = measured;
    if (!silentGetSessionMs || !activationMs) {
      t.skip('a measurement did not run');
      return;
    }
    const paths = readEditorPaths();
    const codeServerRoot = dirname(dirname(dirname(paths.codeServerEntry)));
    const product = JSON.parse(readFileSync(join(codeServerRoot, 'lib', 'vscode', 'product.json'), 'utf8')) as { version: string; commit?: string };
    const userAgent = await workbench.evaluate<string>('navigator.userAgent');
    const extension = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const round = (ms: number) => Math.round(ms * 100) / 100;
    const report = {
      command: 'UPDATE_BENCH=1 npm run test:editor',
      suite: 'test/editor/readme-provider.test.ts',
      generatedAt: new Date().toISOString(),
      versions: {
        extension: extension.version,
        node: process.version,
        extensionHostNode: paths.nodeVersion === undefined ? undefined : `v${paths.nodeVersion}`,
        codeServer: paths.codeServerVersion,
        vscode: product.version,
        chromium: /Chrome\/(\S+)/.exec(userAgent)?.[1],
      },
      // Durations on a shared machine: the load says how much else ran meanwhile.
      machine: { cpus: cpus().length, loadAverage: loadavg().map((load) => Math.round(load * 100) / 100) },
      silentGetSession: {
        what: `a consumer extension's vscode.authentication.getSession('auth0', [${CONSUMER_SCOPES.map((scope) => `'${scope}'`).join(', ')}], { silent: true }), one call after the other, each served from the cache (no IdP request)`,
        n: silentGetSessionMs.length,
        medianMs: round(median(silentGetSessionMs)),
        minMs: round(Math.min(...silentGetSessionMs)),
        maxMs: round(Math.max(...silentGetSessionMs)),
      },
      activation: {
        what: "per window load: the extension host's `_doActivateExtension msal-tools.msal-signin` log line to the extension's `activated with providers` line (code loading and the whole of activate()); the first is the editor's first window",
        n: activationMs.length,
        medianMs: median(activationMs),
        samplesMs: activationMs,
      },
    };
    await writeFile(BENCH_FILE, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`editor measurements written to ${BENCH_FILE}: silent getSession median ${report.silentGetSession.medianMs} ms (n=${report.silentGetSession.n}), activation median ${report.activation.medianMs} ms (n=${report.activation.n})`);
  });
});

function nonEmpty<T>(values: T[]): T[] | undefined {
  return values.length > 0 ? values : undefined;
}

/** A log line's time (`2026-12-04 20:33:35.429 [info] …`) in ms; both logs use the same clock and zone. */
function logTime(line: string): number | undefined {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})/.exec(line);
  return match ? Date.parse(`${match[1]}T${match[2]}`) : undefined;
}

/**
 * The extension's activation in each extension host the server started, in ms, oldest first:
 * `logs/<session>/exthost<N>/remoteexthost.log` has the host's "activating" line,
 * `logs/<session>/exthost<N>/msal-tools.msal-signin/*.log` the extension's own log.
 */
async function activationTimes(logs: string): Promise<number[]> {
  const files = (await readdir(logs, { recursive: true }).catch(() => [] as string[])).map(String);
  const hosts = files.filter((file) => /(^|\/)exthost\d+\/remoteexthost\.log$/.test(file)).map((file) => dirname(file));
  const times: { host: number; ms: number }[] = [];
  for (const host of hosts) {
    const hostLog = await readFile(join(logs, host, 'remoteexthost.log'), 'utf8');
    const start = logTime(hostLog.split('\n').find((line) => line.includes(`ExtensionService#_doActivateExtension ${EXTENSION_ID},`)) ?? '');
    const ownLogs = files.filter((file) => file.startsWith(`${host}/${EXTENSION_ID}/`) && file.endsWith('.log'));
    let end: number | undefined;
    for (const own of ownLogs) {
      const line = (await readFile(join(logs, own), 'utf8')).split('\n').find((candidate) => candidate.includes('activated with providers'));
      end ??= logTime(line ?? '');
    }
    if (start !== undefined && end !== undefined) times.push({ host: Number(/exthost(\d+)$/.exec(host)?.[1]), ms: end - start });
  }
  return times.sort((a, b) => a.host - b.host).map((time) => time.ms);
}
