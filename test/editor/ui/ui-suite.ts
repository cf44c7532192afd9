/**
 * The editor every UI suite (ui, readme-provider, challenges, llng) drives, set up one way: a
 * scratch folder, the sign-in extension's .vsix and the consumer fixture's installed into it,
 * code-server started on them with the suite's user settings and environment, and a headless
 * browser on its workbench. The suites differ only in their settings, their identity provider and
 * what they ask; this module keeps the setup and the teardown in one place so that a fix to either
 * reaches them all.
 *
 * The consumer fixture writes what each of its commands got into `<results>/<name>.json`
 * (CONSUMER_FIXTURE_RESULTS); `consumerCommand()` runs a command and reads that answer, and
 * `assertConsumerSessionFromIdp()` checks the session its "Get Session" got at the local IdP.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Idp } from '../../idp/server.js';
import { ensureEditorInstalled, installVsix, startCodeServer, type CodeServer, type EditorBrowser, type LaunchBrowserOptions } from '../harness.js';
import { packageExtension, VSIX } from '../sign-in-fixture.js';
import { packageConsumerFixture } from './consumer-fixture.js';
import { openEditorWorkbench, poll, runCommand } from './workbench.js';

export interface UiSuiteOptions {
  /** Names the scratch folder: <tmp>/msal-signin-<name>-XXXXXX. */
  name: string;
  /** The editor's user settings (over the harness's defaults). */
  settings: Record<string, unknown>;
  /** Added to code-server's environment, which the remote extension host inherits. */
  env?: Record<string, string>;
  /** How the browser is launched (further Chromium flags). */
  browser?: LaunchBrowserOptions;
}

export interface UiSuite {
  /** Removed by close(). */
  scratch: string;
  /** Where the consumer fixture writes what its commands got (<name>.json). */
  results: string;
  server: CodeServer;
  browser: EditorBrowser;
  workbench: Page;
  /** The workbench's console errors, for failure reports. */
  consoleErrors: string[];
  /**
   * Runs a consumer fixture command (`run`, by default the command from the palette) and returns
   * what it wrote to <results>/<name>.json, polling until it is there (`timeoutMs`, default 30 s).
   */
  consumerCommand<T>(title: string, name: string, options?: { run?: () => Promise<void>; timeoutMs?: number }): Promise<T>;
  /** Closes the browser, stops the editor and removes the scratch folder. */
  close(): Promise<void>;
}

/** Starts the editor with both extensions installed and opens its workbench; see the header. */
export async function startUiSuite(options: UiSuiteOptions): Promise<UiSuite> {
  ensureEditorInstalled();
  packageExtension();
  const scratch = await mkdtemp(join(tmpdir(), `msal-signin-${options.name}-`));
  let server: CodeServer | undefined;
  let browser: EditorBrowser | undefined;
  const close = async () => {
    await browser?.close();
    await server?.stop();
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    const results = join(scratch, 'results');
    const workspace = join(scratch, 'workspace');
    const extensionsDir = join(scratch, 'extensions');
    await mkdir(results);
    await mkdir(workspace);
    await installVsix(VSIX, extensionsDir);
    // Installed as msal-signin-tests.consumer-fixture-0.0.1, next to the extension.
    await installVsix(packageConsumerFixture(scratch), extensionsDir);
    server = await startCodeServer({
      workspaceFolder: workspace,
      extensionsDir,
      userDataDir: join(scratch, 'user-data'),
      settings: {
        ...options.settings,
        // The empty secondary side bar (chat is off) only takes room in the screenshots.
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
      },
      env: { CONSUMER_FIXTURE_RESULTS: results, ...options.env },
    });
    const consoleErrors: string[] = [];
    const opened = await openEditorWorkbench(server.url, workspace, consoleErrors, options.browser);
    browser = opened.browser;
    const { workbench } = opened;
    return {
      scratch,
      results,
      server,
      browser,
      workbench,
      consoleErrors,
      async consumerCommand<T>(title: string, name: string, { run = () => runCommand(workbench, title), timeoutMs = 30_000 } = {}): Promise<T> {
        const file = join(results, `${name}.json`);
        await rm(file, { force: true });
        await run();
        return poll(`"${title}" to write ${name}.json`, async () => {
          try {
            return JSON.parse(await readFile(file, 'utf8')) as T;
          } catch {
            return undefined; // not written yet, or half written
          }
        }, timeoutMs);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Asserts that the consumer fixture's last "Get Session" got a session for `account` whose access
 * token the local IdP issued for api://demo and still holds active (asked by introspection).
 */
export async function assertConsumerSessionFromIdp(ui: UiSuite, idp: Idp, account: string): Promise<void> {
  const got = JSON.parse(await readFile(join(ui.results, 'get-session.json'), 'utf8')) as { account: string; accessToken: string };
  assert.equal(got.account, account);
  const introspection = await idp.introspect(got.accessToken);
  assert.equal(introspection.active, true);
  assert.equal(introspection.iss, idp.urls.oidcIssuer);
  assert.ok([introspection.aud].flat().includes('api://demo'), `aud ${JSON.stringify(introspection.aud)}`);
}

/**
 * Resolves once the remote extension host has activated the consumer fixture (it activates on
 * startup; the host logs each activation in the server's user-data folder), so that its commands
 * are in the palette.
 */
export async function waitForConsumerFixture(server: CodeServer, timeoutMs = 60_000): Promise<void> {
  const logs = join(server.userDataDir, 'logs');
  await poll('the consumer fixture to activate', async () => {
    const files = (await readdir(logs, { recursive: true }).catch(() => [] as string[])).map(String).filter((file) => file.endsWith('remoteexthost.log'));
    for (const file of files) {
      if ((await readFile(join(logs, file), 'utf8')).includes('ExtensionService#_doActivateExtension msal-signin-tests.consumer-fixture')) return true;
    }
    return undefined;
  }, timeoutMs);
}
