// Proves the harness runs tests inside a real editor's extension host, with the fixture
// extension test/editor/fixtures/hello-extension under development.
//
// EDITOR_HARNESS_DELIBERATE_FAILURE=1 adds one test that fails on purpose: harness.test.ts sets
// it to check that a failing extension-host test reaches the caller as a failure. Nothing else
// sets it.
/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const FIXTURE_ID = 'editor-harness.hello-fixture';

/** Resolves when the condition holds; rejects after timeoutMs. */
async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; !condition(); delay = Math.min(delay * 2, 200)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, delay));
  }
}

suite('editor harness smoke', () => {
  test('runs in a real extension host', () => {
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
    assert.ok(vscode.env.appName.length > 0);
    // code-server serves a web workbench; a desktop VS Code (VSCODE_EXECUTABLE) is not web.
    if (vscode.env.uiKind === vscode.UIKind.Web) {
      assert.match(vscode.env.appName, /code-server/i);
      // User settings the harness writes (defaultEditorSettings) reach the editor.
      assert.equal(vscode.workspace.getConfiguration('workbench').get('startupEditor'), 'none');
    }
    console.log(`EDITOR-SMOKE appName=${vscode.env.appName} version=${vscode.version} node=${process.version}`);
  });

  test('the fixture extension activates on startup and its command answers', async () => {
    const extension = vscode.extensions.getExtension(FIXTURE_ID);
    assert.ok(extension, `${FIXTURE_ID} is not loaded`);
    // activationEvents: onStartupFinished; the tests can start a little before that.
    await waitFor(() => extension.isActive, 15_000, `${FIXTURE_ID} to activate`);
    const answer = await vscode.commands.executeCommand<{ greeting: string; appName: string }>(
      'helloFixture.hello',
      'harness',
    );
    assert.deepEqual(answer, { greeting: 'hello, harness', appName: vscode.env.appName });
  });

  if (process.env.EDITOR_HARNESS_DELIBERATE_FAILURE === '1') {
    test('deliberate failure (EDITOR_HARNESS_DELIBERATE_FAILURE=1)', () => {
      assert.fail('this test fails on purpose to prove failures are reported');
    });
  }
});
