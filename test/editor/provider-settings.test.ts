/**
 * The settings real identity providers need, proven in a real editor (code-server, the extension
 * installed from its .vsix, the real identity provider on 127.0.0.1): a provider entry with a
 * fixed loopback `redirectUri` and `authorizationParameters`, configured as the README writes it,
 * signs in through the loopback flow, and the identity provider's own request log shows the
 * redirect_uri with that port and path and the extra parameter at its authorization endpoint. A
 * second entry names a port this test holds: its sign-in fails with the typed error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startIdp, type Idp } from '../idp/server.js';
import { findClosedPort, listen } from '../support/servers.js';
import { ensureEditorInstalled, installVsix, repoRoot } from './harness.js';
import { runEditorSuite } from './run-test-electron.js';
import { CONSUMER_FIXTURE, packageExtension, reportExtensionTests, signInSettings, testHookEnv, VSIX, writeUserSettings } from './sign-in-fixture.js';

const SUITE = join(repoRoot, 'out', 'test', 'editor', 'provider-settings', 'index.js');
const AUDIENCE = 'https://api.example.com';

describe('provider settings in a real editor', () => {
  let idp: Idp;
  const blocker = net.createServer();
  let busyPort = 0;
  const scratch = mkdtempSync(join(tmpdir(), 'msal-signin-provider-settings-'));

  before(async () => {
    ensureEditorInstalled();
    packageExtension();
    idp = await startIdp();
    busyPort = await listen(blocker);
  });

  after(async () => {
    await idp?.close();
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    rmSync(scratch, { recursive: true, force: true });
  });

  test('redirectUri on a fixed port and authorizationParameters, through the loopback flow', { timeout: 180_000 }, async (t) => {
    const redirectUri = `http://127.0.0.1:${await findClosedPort()}/callback`;
    const base = signInSettings(idp);
    const entry = { issuer: idp.urls.oidcIssuer, clientId: 'public-client', scopes: ['api://demo/read'] };
    const settings = {
      ...base,
      'msalSignIn.oidcProviders': [
        ...(base['msalSignIn.oidcProviders'] as object[]),
        { id: 'fixed-port', label: 'Fixed port', ...entry, redirectUri, authorizationParameters: { audience: AUDIENCE } },
        { id: 'busy-port', label: 'Busy port', ...entry, redirectUri: `http://127.0.0.1:${busyPort}/` },
      ],
    };
    const extensionsDir = join(scratch, 'extensions');
    const userDataDir = join(scratch, 'user-data');
    await installVsix(VSIX, extensionsDir);
    writeUserSettings(userDataDir, settings);
    const from = idp.requests.length;
    const { exitCode, counts } = await runEditorSuite({
      extensionDevelopmentPath: CONSUMER_FIXTURE,
      extensionTestsPath: SUITE,
      workspaceFolder: repoRoot,
      userDataDir,
      extensionsDir,
      disableExtensions: false,
      extensionTestsEnv: {
        ...testHookEnv(idp),
        PROVIDER_SETTINGS_FIXTURE: JSON.stringify({ redirectUri, audience: AUDIENCE, busyPort }),
        EDITOR_TESTS_TIMEOUT_MS: '150000',
      },
    });
    assert.ok(counts, 'the extension-host suite wrote no result');
    await reportExtensionTests(t, { ...counts, reported: true, output: '', exitCode, tests: counts.tests ?? [] });
    assert.equal(exitCode, 0);

    // What arrived at the identity provider, not what the extension meant to send.
    const authorizePath = new URL(`${idp.urls.oidcIssuer}/auth`).pathname;
    const authorizations = idp.requests
      .slice(from)
      .filter((entry) => entry.method === 'GET' && entry.path === authorizePath)
      .map((entry) => new URL(entry.url, idp.urls.origin));
    assert.equal(authorizations.length, 1, 'one authorization request: the busy port sent none');
    assert.equal(authorizations[0]!.searchParams.get('redirect_uri'), redirectUri);
    assert.equal(authorizations[0]!.searchParams.get('audience'), AUDIENCE);
    // The code was redeemed with the same redirect URI (the IdP compares them), and a token came back.
    const tokens = idp.requests.slice(from).filter((entry) => entry.method === 'POST' && entry.path.endsWith('/token'));
    assert.ok(tokens.some((entry) => entry.status === 200), 'the code was redeemed');
  });
});
