/**
 * The extension's README (EXTENSION.md, packaged as the .vsix's README.md) has a troubleshooting
 * table, and it is a promise: each row's failure shows a message that begins
 * as the row says, names the settings the row names, and offers the row's next step (Open
 * Settings opens the setting). This walks EVERY row of the table as the README has it, through the
 * registered provider over the `vscode` stand-in, twice: a palette sign-in (as the commands report
 * it) and a consumer extension's request (as VS Code calls the registered provider). A row without
 * a case here fails: add the failure that causes it to CASES.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { beforeEach, describe, test } from 'node:test';
import type * as vscodeTypes from 'vscode';
import '../../support/vscode/register.js';
import { AuthError, ServerError } from '../../../src/core/errors.js';
import { FakeSecrets } from '../../support/fake-secrets.js';
import { stub, type RecordedMessage } from '../../support/vscode/stub.js';
import { FakeFetch, jsonResponse } from '../core/fakes.js';

const { ProviderRegistry } = await import('../../../src/vscode/provider-registry.js');
const { parseSettings } = await import('../../../src/vscode/settings.js');
const { reportSignInError } = await import('../../../src/vscode/report-errors.js');
const { editorUi } = await import('../../../src/vscode/ui.js');
const { editorPlatform } = await import('../../../src/vscode/platform.js');
const { LoopbackPortInUseError } = await import('../../../src/node/loopback-listener.js');
const { FlowUnavailableError } = await import('../../../src/vscode/flows.js');
const { BrowserFetchError } = await import('../../../src/vscode/browser-http.js');
const { explainBrowserError } = await import('../../../src/vscode/browser-errors.js');
const { explainLoopbackError } = await import('../../../src/vscode/loopback-errors.js');
const vscode = await import('vscode');
type Flow = import('../../../src/vscode/flows.js').SignInFlow;
type HostErrorExplainer = import('../../../src/vscode/user-errors.js').HostErrorExplainer;

/** The table spans both builds: the Node entry's words (the loopback listener) and the browser entry's. */
const explainEitherHost: HostErrorExplainer = (err, context, t) => explainLoopbackError(err, context, t) ?? explainBrowserError(err, context, t);

const ISSUER = 'https://keycloak.example/realms/dev';
const KEYCLOAK = { id: 'keycloak', label: 'Keycloak', issuer: ISSUER, clientId: 'vscode' };

interface Case {
  /** Settings (`msalSignIn.` omitted); default: a Keycloak entry that works. */
  settings?: Record<string, unknown>;
  /** The provider asked; default `keycloak`. */
  providerId?: string;
  /** What the identity provider or the network did, thrown by the sign-in flow. */
  error?: unknown;
  /** The button the message offers. */
  action: 'Open Settings' | 'Show Log' | undefined;
  /** With Open Settings: the setting it opens. */
  opens?: string;
}

/** One failure per row of the README table, keyed by the row's "message begins" cell. */
const CASES: Record<string, Case> = {
  '… has no client id': { settings: { 'entra.clientId': '' }, providerId: 'entra', action: 'Open Settings', opens: 'msalSignIn.entra.clientId' },
  '… does not accept the client id': { error: new ServerError({ error: 'invalid_client' }), action: 'Open Settings', opens: 'msalSignIn.oidcProviders' },
  '… refused the redirect URI': { error: new ServerError({ error: 'redirect_uri_mismatch' }), action: 'Show Log' },
  '… was declined': { error: new ServerError({ error: 'consent_required' }), action: undefined },
  '… does not allow this sign-in for a public client': { error: new ServerError({ error: 'invalid_client', errorCodes: [7000218] }), action: undefined },
  'Could not reach …': { error: new AuthError('network_error', 'connect ECONNREFUSED'), action: 'Open Settings', opens: 'msalSignIn.oidcProviders' },
  '… does not answer as an OpenID Connect issuer': { error: new AuthError('discovery_failed', 'HTTP 404'), action: 'Open Settings', opens: 'msalSignIn.oidcProviders' },
  'Port … is in use by another program': {
    settings: { oidcProviders: [{ ...KEYCLOAK, redirectUri: 'http://127.0.0.1:8400/' }] },
    error: new LoopbackPortInUseError(8400, '127.0.0.1'),
    action: 'Open Settings',
    opens: 'msalSignIn.oidcProviders',
  },
  'The redirect URI … cannot be used': {
    settings: { oidcProviders: [{ ...KEYCLOAK, redirectUri: 'https://keycloak.example/callback' }] },
    action: 'Open Settings',
    opens: 'msalSignIn.oidcProviders',
  },
  '… sets …, which the extension sets itself': {
    settings: { oidcProviders: [{ ...KEYCLOAK, authorizationParameters: { audience: 'a', state: 'fixed' } }] },
    action: 'Open Settings',
    opens: 'msalSignIn.oidcProviders',
  },
  '… does not offer sign-in with a device code': { error: new FlowUnavailableError('deviceCode', 'noDeviceAuthorizationEndpoint'), action: undefined },
  'Sign-in to … with a device code cannot run in the browser': { error: new FlowUnavailableError('deviceCode', 'deviceEndpointRefusesBrowsers'), action: undefined },
  'The loopback sign-in to … cannot run in an editor in the browser': { error: new FlowUnavailableError('loopback', 'noSocketsInWebWorker'), action: undefined },
  'The browser could not send the sign-in request to …': {
    error: new AuthError('network_error', 'the request to https://keycloak.example failed', {
      cause: new BrowserFetchError('https://keycloak.example', 'https://vscode.dev', { cause: new TypeError('Failed to fetch') }),
    }),
    action: 'Show Log',
  },
  'The issuer URL … cannot be used': {
    settings: { oidcProviders: [{ ...KEYCLOAK, issuer: 'http://127.0.0.1:8080/realms/dev' }], allowLoopbackHttp: false },
    action: 'Open Settings',
    opens: 'msalSignIn.oidcProviders',
  },
};

interface Row {
  begins: string;
  cause: string;
  next: string;
}

/** The rows of the README's troubleshooting table, as written. */
function troubleshootingRows(): Row[] {
  const readme = readFileSync(new URL('../../../../EXTENSION.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Troubleshooting'));
  const lines = section.split('\n');
  const header = lines.findIndex((line) => line.startsWith('| message begins |'));
  assert.ok(header >= 0, 'the README has a troubleshooting table');
  const rows: Row[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [begins = '', cause = '', next = ''] = line.slice(1, -1).split(' | ').map((cell) => cell.trim());
    rows.push({ begins: begins.replace(/^"|"$/g, ''), cause, next });
  }
  return rows;
}

/** "… has no client id" → /^.* has no client id/ */
function beginning(cell: string): RegExp {
  return new RegExp(`^${cell.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}`, 's');
}

/** The settings a row names (`msalSignIn.entra.clientId`, `http.proxy`): the message must name them too. */
function settingsNamed(row: Row): string[] {
  return [...`${row.cause} ${row.next}`.matchAll(/`([A-Za-z]+(?:\.[A-Za-z]+)+)`/g)].map((match) => match[1]!);
}

const failingFlow = (failure: { error: unknown }): Flow => ({
  id: 'loopback',
  label: 'test flow',
  supportsRemoteExtensionHost: true,
  supportsWebWorkerExtensionHost: true,
  trigger: async () => {
    throw failure.error;
  },
});

describe('the README troubleshooting table, row by row', () => {
  const failure: { error: unknown } = { error: undefined };
  const log = vscode.window.createOutputChannel('test', { log: true });
  let registry: InstanceType<typeof ProviderRegistry>;
  const fetch = new FakeFetch().on(`${ISSUER}/.well-known/openid-configuration`, jsonResponse({
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}/auth`,
    token_endpoint: `${ISSUER}/token`,
    device_authorization_endpoint: `${ISSUER}/device`,
    jwks_uri: `${ISSUER}/certs`,
  }));

  beforeEach(() => {
    stub.reset();
    // The user clicks the message's button: Open Settings must open the setting.
    stub.answer = (message) => message.actions[0];
    registry = new ProviderRegistry({
      secrets: new FakeSecrets(),
      log,
      explainHostError: explainEitherHost,
      shared: {
        core: {
          httpClient: fetch.fetch,
          platform: editorPlatform,
          logger: { error: () => undefined, warning: () => undefined, info: () => undefined, verbose: () => undefined, trace: () => undefined },
        },
        ui: editorUi,
        signIn: {
          callbacks: {} as never,
          extensionHost: 'local',
          externalCallbackUri: async () => 'vscode://msal-tools.msal-signin/signin-callback',
          flows: [failingFlow(failure)],
        },
      },
    });
  });

  /** The one message the failure showed, once it has been shown (reports are not awaited by VS Code's path). */
  async function shown(): Promise<RecordedMessage> {
    for (let turn = 0; turn < 20 && stub.messages.length === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stub.messages.length, 1, `messages: ${JSON.stringify(stub.messages)}`);
    return stub.messages[0]!;
  }

  function check(row: Row, expected: Case, message: RecordedMessage): void {
    assert.equal(message.severity, 'error');
    assert.match(message.message, beginning(row.begins));
    for (const setting of settingsNamed(row)) assert.ok(message.message.includes(setting), `"${message.message}" does not name ${setting}`);
    assert.doesNotMatch(message.message, /allowInsecureLoopbackAuthority|oidcAuthority/, 'no option of the library underneath');
    assert.deepEqual(message.actions, expected.action ? [expected.action] : []);
    if (expected.action === 'Open Settings') assert.deepEqual(stub.executed, [['workbench.action.openSettings', expected.opens]]);
    else assert.deepEqual(stub.executed, []);
  }

  const rows = troubleshootingRows();
  test('the table has rows, and every case here is a row of it', () => {
    assert.ok(rows.length >= 8, `${rows.length} rows`);
    const begins = rows.map((row) => row.begins);
    for (const key of Object.keys(CASES)) assert.ok(begins.includes(key), `no README row "${key}"`);
  });

  for (const row of rows) {
    describe(`"${row.begins}"`, () => {
      const expected = CASES[row.begins];
      const setUp = async () => {
        assert.ok(expected, `README row "${row.begins}" has no case in test/unit/vscode/troubleshooting.test.ts: add the failure that causes it`);
        failure.error = expected.error;
        await registry.apply(parseSettings((key) => ({ 'entra.clientId': 'app', oidcProviders: [KEYCLOAK], ...expected.settings })[key]));
        return registry.providers.find((provider) => provider.config.id === (expected.providerId ?? 'keycloak'))!;
      };

      test('a sign-in from the palette', async () => {
        const provider = await setUp();
        const err = await provider.signIn(undefined).then(() => assert.fail('signed in'), (caught: unknown) => caught);
        await reportSignInError(err, log, provider.config, explainEitherHost);
        check(row, expected!, await shown());
      });

      test("a consumer's request", async () => {
        const provider = await setUp();
        const registered = stub.providers.get(provider.config.id) as vscodeTypes.AuthenticationProvider;
        const rejected = await Promise.resolve(registered.createSession(['api://demo/read'], {})).then(() => assert.fail('signed in'), (caught: unknown) => caught);
        const message = await shown();
        check(row, expected!, message);
        // A setting to fix: the consumer is told what the person is told.
        if (expected!.error === undefined) assert.equal((rejected as Error).message, message.message);
      });
    });
  }

  test("an unusable issuer: a consumer's silent request is told why, the person is told once", async () => {
    await registry.apply(parseSettings((key) => ({ oidcProviders: [{ ...KEYCLOAK, issuer: 'http://127.0.0.1:8080/realms/dev' }] })[key]));
    const registered = stub.providers.get('keycloak') as vscodeTypes.AuthenticationProvider;
    for (let attempt = 0; attempt < 3; attempt++) {
      await assert.rejects(Promise.resolve(registered.getSessions(['api://demo/read'], {})), (err: unknown) => (err as Error).message.startsWith('The issuer URL http://127.0.0.1:8080/realms/dev cannot be used'));
    }
    await assert.rejects(Promise.resolve(registered.getSessionsFromChallenges!({ challenges: [], fallbackScopes: ['x'] }, {})), /cannot be used/);
    const message = await shown();
    assert.match(message.message, /msalSignIn\.allowLoopbackHttp/);
    assert.deepEqual(message.actions, ['Open Settings']);
    assert.deepEqual(await registered.getSessions(undefined, {}), [], 'listing accounts is no request for a token');
  });

  test('no client id: a silent request gets no session and says nothing; registered with challenge support', async () => {
    await registry.apply(parseSettings(() => undefined));
    const registered = stub.providers.get('entra') as vscodeTypes.AuthenticationProvider;
    assert.deepEqual(await registered.getSessions(['api://demo/read'], {}), []);
    assert.deepEqual(await registered.getSessionsFromChallenges!({ challenges: [], fallbackScopes: ['x'] }, {}), []);
    assert.deepEqual(stub.messages, []);
    assert.deepEqual(stub.registrationOptions.get('entra'), { supportsMultipleAccounts: true, supportsChallenges: true });
  });
});
