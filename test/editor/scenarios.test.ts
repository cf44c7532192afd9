/**
 * Editor scenarios beyond one window's run: the token cache in SecretStorage survives a restart
 * of the editor (test/editor/auth/scenarios.ext-test.ts), and two windows of one editor stay in
 * step (test/editor/auth/windows.ext-test.ts).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startBarrierServer } from './barrier-server.js';
import { findFreePort, installVsix, launchBrowser, runTestPage } from './harness.js';
import { AUTH_SUITE, CONSUMER_FIXTURE, reportExtensionTests, startEditorWithExtension, useIdpAndScratch, VSIX } from './sign-in-fixture.js';
import { bounded } from './ui/workbench.js';

const RUN_BOUND_MS = 120_000;

describe('sign-in extension across editor restarts', () => {
  const suite = useIdpAndScratch('scenarios');

  test('SecretStorage keeps the sign-in across an editor restart', { timeout: 300_000 }, async (t) => {
    const dir = join(suite.scratch, 'restart');
    const extensionsDir = join(dir, 'extensions');
    await installVsix(VSIX, extensionsDir);
    // Same port (same origin) and same browser profile: what a user's restarted editor keeps.
    const port = await findFreePort();
    const browserProfile = join(dir, 'browser');
    for (const phase of ['restart-before', 'restart-after']) {
      const server = await startEditorWithExtension(suite.idp, { phase, extensionsDir, userDataDir: join(dir, 'user-data'), port });
      const browser = await launchBrowser({ userDataDir: browserProfile });
      try {
        const page = await runTestPage(browser, server, { extensionDevelopmentPath: CONSUMER_FIXTURE, extensionTestsPath: AUTH_SUITE, workspaceFolder: dir });
        const result = await bounded(phase, page.result, RUN_BOUND_MS);
        await reportExtensionTests(t, result);
        assert.equal(result.exitCode, 0, `${phase} failed`);
      } finally {
        await browser.close();
        await server.stop();
      }
    }
  });


  test('two windows stay in step: sign-in, a refresh-token rotation race, sign-out', { timeout: 300_000 }, async (t) => {
    const dir = join(suite.scratch, 'two-windows');
    const extensionsDir = join(dir, 'extensions');
    await installVsix(VSIX, extensionsDir);
    const coordinator = await startBarrierServer(2);
    const server = await startEditorWithExtension(suite.idp, { phase: 'two-windows', coordinator: coordinator.url, extensionsDir, userDataDir: join(dir, 'user-data') });
    // One browser profile, so both windows share the origin's storage, as a user's two tabs do.
    const browser = await launchBrowser({ userDataDir: join(dir, 'browser') });
    try {
      // Opened one after the other: each takes its own tab (the first reuses the blank one).
      const windows = [];
      for (const name of ['window-a', 'window-b']) {
        const workspaceFolder = join(dir, name);
        mkdirSync(workspaceFolder, { recursive: true });
        windows.push(await runTestPage(browser, server, { extensionDevelopmentPath: CONSUMER_FIXTURE, extensionTestsPath: AUTH_SUITE, workspaceFolder }));
      }
      const results = await bounded('two windows', Promise.all(windows.map((window) => window.result)), RUN_BOUND_MS);
      for (const result of results) await reportExtensionTests(t, result);
      assert.deepEqual(results.map((result) => result.exitCode), [0, 0]);
    } finally {
      await browser.close();
      await server.stop();
      await coordinator.close();
    }
  });
});
