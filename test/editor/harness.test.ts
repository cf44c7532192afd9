// End-to-end check of the real-editor harness: the extension-host smoke suite
// (ext-host/smoke.ext-test.ts, with the fixture extension) runs through the @vscode/test-electron
// entry point, which here starts code-server + headless Chromium via
// scripts/editor/code-server-as-vscode. The second case turns on the suite's one deliberately
// failing test (EDITOR_HARNESS_DELIBERATE_FAILURE=1, read only by smoke.ext-test.ts) and checks that
// the failure reaches the caller: non-zero exit and failed = 1.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parseVscodeArguments } from './code-server-as-vscode.js';
import { ensureEditorInstalled } from './harness.js';
import { runEditorSuite } from './run-test-electron.js';

before(() => {
  // Under a second when installed; several minutes on a fresh machine.
  ensureEditorInstalled();
});

test('the stand-in executable understands the arguments runTests() passes', () => {
  const args = parseVscodeArguments([
    '/tmp/ws',
    '--user-data-dir=/tmp/ud',
    '--extensions-dir', '/tmp/ext',
    '--no-sandbox',
    '--disable-updates',
    '--extensionTestsPath=/repo/out/test/editor/ext-host/index.js',
    '--extensionDevelopmentPath=/repo/a',
    '--extensionDevelopmentPath=/repo/b',
  ]);
  assert.deepEqual(args, {
    extensionDevelopmentPath: ['/repo/a', '/repo/b'],
    extensionTestsPath: '/repo/out/test/editor/ext-host/index.js',
    extensionsDir: '/tmp/ext',
    userDataDir: '/tmp/ud',
    folder: '/tmp/ws',
    ignored: ['--no-sandbox', '--disable-updates'],
  });
});

// The stand-in's own bound, inside the test's: it then stops code-server and Chromium itself.
const EDITOR_TESTS_TIMEOUT_MS = '45000';

test('the smoke suite passes inside the editor through @vscode/test-electron', { timeout: 60_000 }, async () => {
  const { exitCode, counts } = await runEditorSuite({ extensionTestsEnv: { EDITOR_TESTS_TIMEOUT_MS } });
  assert.equal(exitCode, 0);
  assert.ok(counts, 'the test module wrote no counts');
  assert.ok(counts.passed >= 1, `passed = ${counts.passed}`);
  assert.equal(counts.failed, 0);
});

test('a failing extension-host test fails the run', { timeout: 60_000 }, async () => {
  const { exitCode, counts } = await runEditorSuite({
    extensionTestsEnv: { EDITOR_TESTS_TIMEOUT_MS, EDITOR_HARNESS_DELIBERATE_FAILURE: '1' },
  });
  assert.notEqual(exitCode, 0);
  assert.ok(counts, 'the test module wrote no counts');
  assert.equal(counts.failed, 1);
  assert.ok(counts.passed >= 1, `passed = ${counts.passed}`);
});
