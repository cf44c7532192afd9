/**
 * What the editor suites of the sign-in extension share: the packaged extension, the local
 * identity provider and a scratch folder for a suite, the settings and environment that point the
 * extension at that provider, and the reporting of extension-host tests as tests of their own.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { startIdp, type Idp } from '../idp/server.js';
import { ensureEditorInstalled, repoRoot, startCodeServer, type CodeServer, type ExtensionTestResult } from './harness.js';

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

/**
 * Sets up, for the describe() it is called in, what the extension-host suites start from: the
 * editor installed, the extension packaged, the local identity provider on 127.0.0.1 (started in
 * before(), closed in after()) and a scratch folder <tmp>/msal-signin-<name>-XXXXXX, removed in
 * after(). `idp` can be read once before() has run.
 */
export function useIdpAndScratch(name: string): { readonly idp: Idp; readonly scratch: string } {
  const scratch = mkdtempSync(join(tmpdir(), `msal-signin-${name}-`));
  let idp: Idp | undefined;
  before(async () => {
    ensureEditorInstalled();
    packageExtension();
    idp = await startIdp({ devicePollInterval: 1 });
  });
  after(async () => {
    await idp?.close();
    rmSync(scratch, { recursive: true, force: true });
  });
  return {
    scratch,
    get idp(): Idp {
      if (!idp) throw new Error('the identity provider starts in before()');
      return idp;
    },
  };
}

/** The settings that point the extension at the local identity provider. */
export function signInSettings(idp: Idp, { oidcLabel = 'Local OpenID Connect' }: { oidcLabel?: string } = {}): Record<string, unknown> {
  return {
    'msalSignIn.entra.clientId': 'public-client',
    'msalSignIn.entra.authority': idp.urls.entraAuthority(),
    'msalSignIn.entra.defaultScopes': ['api://demo/read'],
    'msalSignIn.allowLoopbackHttp': true,
    'msalSignIn.oidcProviders': [
      { id: 'local-oidc', label: oidcLabel, issuer: idp.urls.oidcIssuer, clientId: 'public-client', scopes: ['api://demo/read'] },
    ],
  };
}

/** The environment that turns the extension's test hooks on and tells the tests where the IdP is. */
export function testHookEnv(idp: Idp, scenario: { phase?: string; coordinator?: string } = {}): Record<string, string> {
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
export async function startEditorWithExtension(
  idp: Idp,
  options: { phase?: string; coordinator?: string; extensionsDir: string; userDataDir: string; settings?: Record<string, unknown>; port?: number },
): Promise<CodeServer> {
  const server = await startCodeServer({
    port: options.port,
    workspaceFolder: repoRoot,
    smokeTestDriver: true,
    extensionsDir: options.extensionsDir,
    userDataDir: options.userDataDir,
    settings: { ...signInSettings(idp), ...options.settings },
    env: testHookEnv(idp, { phase: options.phase, coordinator: options.coordinator }),
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

