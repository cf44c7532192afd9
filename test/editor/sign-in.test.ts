/**
 * Runs the sign-in extension's extension-host suite (test/editor/auth) in a real editor through
 * the @vscode/test-electron entry point: code-server with the extension installed from the .vsix
 * that `npm run package` builds, the consumer fixture as the extension under development, and the
 * real identity provider on 127.0.0.1. Each extension-host test is reported as a test of its own.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { installVsix, repoRoot } from './harness.js';
import { runEditorSuite } from './run-test-electron.js';
import { AUTH_SUITE, CONSUMER_FIXTURE, reportExtensionTests, signInSettings, testHookEnv, useIdpAndScratch, VSIX, writeUserSettings } from './sign-in-fixture.js';

describe('sign-in extension in a real editor', () => {
  const suite = useIdpAndScratch('editor');

  before(() => {
    // The stand-in editor picks its own port: accept a callback on any loopback port.
    suite.idp.allowRedirectUriPrefix('http://127.0.0.1:');
  });

  test('extension-host suite, through the @vscode/test-electron entry point', { timeout: 180_000 }, async (t) => {
    const { idp, scratch } = suite;
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
