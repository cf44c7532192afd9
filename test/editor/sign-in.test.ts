/**
 * Runs the sign-in extension's extension-host suite (test/editor/auth) in a real editor:
 * code-server with the extension installed from the .vsix that `npm run package` builds, the
 * consumer fixture as the extension under development, and the real identity provider on
 * 127.0.0.1. Each extension-host test is reported here as a test of its own.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startIdp, type Idp } from '../idp/server.js';
import { ensureEditorInstalled, installVsix, repoRoot, startCodeServer, type CodeServer, type ExtensionTestResult } from './harness.js';
import { runEditorSuite } from './run-test-electron.js';

export const VSIX = join(repoRoot, 'dist', 'msal-signin.vsix');
export const CONSUMER_FIXTURE = join(repoRoot, 'test', 'editor', 'fixtures', 'consumer-extension');
export const AUTH_SUITE = join(repoRoot, 'out', 'test', 'editor', 'auth', 'index.js');

/** Builds the extension package once per test process. */
let packaged = false;
export function packageExtension(): string {
  if (!packaged) {
    execFileSync('npm', ['run', '--silent', 'package'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    packaged = true;
  }
  return VSIX;
}

/** The settings that point the extension at the local identity provider. */
export function signInSettings(idp: Idp): Record<string, unknown> {
  return {
    'msalSignIn.entra.clientId': 'public-client',
    'msalSignIn.entra.authority': idp.urls.entraAuthority(),
    'msalSignIn.entra.defaultScopes': ['api://demo/read'],
    'msalSignIn.allowLoopbackHttp': true,
    'msalSignIn.oidcProviders': [
      { id: 'local-oidc', label: 'Local OpenID Connect', issuer: idp.urls.oidcIssuer, clientId: 'public-client', scopes: ['api://demo/read'] },
    ],
  };
}

/** The environment that turns the extension's test hooks on and tells the tests where the IdP is. */
export function testHookEnv(idp: Idp, scenario: { phase?: string; exchangeDir?: string } = {}): Record<string, string> {
  return {
    MSAL_SIGNIN_TEST_HOOKS: '1',
    MSAL_TEST_ENV: JSON.stringify({ idpOrigin: idp.urls.origin, oidcIssuer: idp.urls.oidcIssuer, entraAuthority: idp.urls.entraAuthority(), ...scenario }),
  };
}

/** Writes the user settings an editor starts with. */
export function writeUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

/** Starts code-server with the packaged extension installed and the test hooks on. */
export async function startEditorWithExtension(idp: Idp, options: { phase?: string; exchangeDir?: string; extensionsDir: string; userDataDir: string; settings?: Record<string, unknown> }): Promise<CodeServer> {
  const server = await startCodeServer({
    workspaceFolder: repoRoot,
    smokeTestDriver: true,
    extensionsDir: options.extensionsDir,
    userDataDir: options.userDataDir,
    settings: { ...signInSettings(idp), ...options.settings },
    env: testHookEnv(idp, { phase: options.phase, exchangeDir: options.exchangeDir }),
  });
  // The editor's callback URL is known only now; the IdP's public client accepts it.
  idp.allowRedirectUriPrefix(server.url);
  return server;
}

/** Reports each extension-host test as a subtest; the run itself must have exited cleanly. */
export async function reportExtensionTests(t: import('node:test').TestContext, result: Omit<ExtensionTestResult, 'durationMs'>): Promise<void> {
  assert.ok(result.reported, `the extension-host suite reported nothing:\n${result.output.split('\n').slice(-40).join('\n')}`);
  for (const outcome of result.tests) {
    await t.test(outcome.title, { skip: outcome.state === 'pending' }, () => {
      if (outcome.state === 'failed') throw new Error(outcome.error ?? 'failed in the extension host');
    });
  }
  assert.ok(result.passed > 0, 'no extension-host test passed');
}

describe('sign-in extension in a real editor', () => {
  let idp: Idp;
  const scratch = mkdtempSync(join(tmpdir(), 'msal-signin-editor-'));

  before(async () => {
    ensureEditorInstalled();
    packageExtension();
    idp = await startIdp({ devicePollInterval: 1 });
    // The stand-in editor picks its own port: accept a callback on any loopback port.
    idp.allowRedirectUriPrefix('http://127.0.0.1:');
  });

  after(async () => {
    await idp?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('extension-host suite, through the @vscode/test-electron entry point', { timeout: 180_000 }, async (t) => {
    const extensionsDir = join(scratch, 'extensions');
    const userDataDir = join(scratch, 'user-data');
    await installVsix(VSIX, extensionsDir);
    writeUserSettings(userDataDir, signInSettings(idp));
    const { exitCode, counts } = await runEditorSuite({
      extensionDevelopmentPath: CONSUMER_FIXTURE,
      extensionTestsPath: AUTH_SUITE,
      workspaceFolder: repoRoot,
      userDataDir,
      extensionsDir,
      disableExtensions: false,
      extensionTestsEnv: { ...testHookEnv(idp), EDITOR_TESTS_TIMEOUT_MS: '150000' },
    });
    assert.ok(counts, 'the extension-host suite wrote no result');
    await reportExtensionTests(t, { ...counts, reported: true, output: '', exitCode, tests: counts.tests ?? [] });
    assert.equal(exitCode, 0);
  });
});
