/**
 * `npm start`: a local identity provider and a real editor with the extension, ready to sign in.
 *
 * Starts the test identity provider (test/idp, demo users alice and bob), installs the packaged
 * extension and the consumer fixture into code-server (installed by scripts/editor/install.sh
 * into .cache/editor when missing), writes user settings that point the extension at the
 * provider, prints the editor's URL and opens it when a browser is available. Ctrl-C (SIGINT or
 * SIGTERM) stops everything it started.
 *
 * A second run reuses what is installed: the .vsix is cached by a hash of its inputs and
 * installed only when that hash changed. The editor keeps its user data in the state folder, and
 * its port, so the browser's SecretStorage (kept per origin) survives restarts; the identity
 * provider starts empty each time, so sign in again after a restart.
 *
 * Environment: MSAL_DEMO_IDP_PORT (default 5380), MSAL_DEMO_EDITOR_PORT (default 5381): when one
 * is busy, a free port is used instead. MSAL_DEMO_STATE_DIR (default .cache/demo). Argument
 * `--no-browser` (or BROWSER=none) only prints the URL.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { openBrowser } from '../../src/node/open-browser.js';
import { ensureEditorInstalled, findFreePort, installVsix, isMainModule, repoRoot, startCodeServer, type CodeServer } from '../editor/harness.js';
import { packageConsumerFixture } from '../editor/ui/consumer-fixture.js';
import { signInSettings } from '../editor/sign-in-fixture.js';
import { ACCOUNTS, startIdp, type Idp } from '../idp/server.js';

export const DEFAULT_IDP_PORT = 5380;
export const DEFAULT_EDITOR_PORT = 5381;
/** The line that says the demo is up; the test waits for it. */
export const READY_PREFIX = 'msal-signin demo ready: ';

const EXTENSION_INPUTS = ['src', 'media', 'package.json', 'package.nls.json', 'EXTENSION.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'scripts/bundle.mjs', 'scripts/third-party-notices.mjs'];
const CONSUMER_INPUTS = ['test/editor/fixtures/consumer-extension'];

function listFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => listFiles(join(path, name)));
}

/** A content hash of the files a package is built from: same inputs, same package. */
export function hashInputs(inputs: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of inputs.flatMap((input) => listFiles(join(repoRoot, input)))) {
    hash.update(relative(repoRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** The preferred port when it is free on 127.0.0.1, else any free one. */
async function choosePort(preferred: number): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
  return free ? preferred : findFreePort();
}

function portFromEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a port number, not ${value}`);
  return port;
}

/** The extension's package for the current sources, built only when no cached one matches. */
function packagedExtension(stateDir: string): { vsix: string; hash: string } {
  const hash = hashInputs(EXTENSION_INPUTS);
  const vsix = join(stateDir, 'vsix', `msal-signin-${hash}.vsix`);
  if (!existsSync(vsix)) {
    console.log('packaging the extension (npm run package)…');
    execFileSync('npm', ['run', '--silent', 'package'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    mkdirSync(join(stateDir, 'vsix'), { recursive: true });
    copyFileSync(join(repoRoot, 'dist', 'msal-signin.vsix'), vsix);
  }
  return { vsix, hash };
}

/** Installs the extension and the consumer fixture unless the same packages are installed. */
async function installExtensions(stateDir: string, extensionsDir: string, userDataDir: string): Promise<void> {
  const marker = join(stateDir, 'installed.json');
  const extension = packagedExtension(stateDir);
  const consumerHash = hashInputs(CONSUMER_INPUTS);
  const wanted = { extension: extension.hash, consumer: consumerHash };
  const installed = existsSync(marker) ? (JSON.parse(readFileSync(marker, 'utf8')) as typeof wanted) : undefined;
  if (installed?.extension === wanted.extension && installed.consumer === wanted.consumer && readdirSync(extensionsDir).length > 0) return;
  console.log('installing the extension and the consumer fixture into the editor…');
  await installVsix(extension.vsix, extensionsDir, { userDataDir });
  await installVsix(packageConsumerFixture(join(stateDir, 'vsix')), extensionsDir, { userDataDir });
  writeFileSync(marker, JSON.stringify(wanted));
}

/** User settings that point the extension, and the consumer fixture, at the local provider. */
export function demoSettings(idp: Idp): Record<string, unknown> {
  return {
    ...signInSettings(idp, { oidcLabel: 'Local OpenID Connect (demo)' }),
    'consumerFixture.providerId': 'local-oidc',
    'consumerFixture.scopes': ['api://demo/read'],
  };
}

export async function startDemo(options: { openBrowser: boolean }): Promise<{ stop(): Promise<void> }> {
  const stateDir = process.env.MSAL_DEMO_STATE_DIR || join(repoRoot, '.cache', 'demo');
  const extensionsDir = join(stateDir, 'extensions');
  const userDataDir = join(stateDir, 'user-data');
  mkdirSync(extensionsDir, { recursive: true });
  mkdirSync(userDataDir, { recursive: true });
  ensureEditorInstalled();
  await installExtensions(stateDir, extensionsDir, userDataDir);

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const close of stops.reverse()) await close().catch((err: unknown) => console.error(`stopping: ${String(err)}`));
  };
  try {
    // Addressed as [::ffff:7f00:1] (the same 127.0.0.1 socket): code-server would route a
    // localhost URL through its /proxy/<port>/ path, which rewrites authorization URLs.
    const idp = await startIdp({ host: '[::ffff:7f00:1]', port: await choosePort(portFromEnv('MSAL_DEMO_IDP_PORT', DEFAULT_IDP_PORT)) });
    stops.push(() => idp.close());
    const editor: CodeServer = await startCodeServer({
      workspaceFolder: repoRoot,
      port: await choosePort(portFromEnv('MSAL_DEMO_EDITOR_PORT', DEFAULT_EDITOR_PORT)),
      extensionsDir,
      userDataDir,
      settings: demoSettings(idp),
    });
    stops.push(() => editor.stop());
    // The editor's callback URL (the URI-handler redirect) is known only now.
    idp.allowRedirectUriPrefix(editor.url);

    const users = Object.values(ACCOUNTS).map((account) => `${account.username} / ${account.password}`).join(', ');
    console.log(`identity provider: ${idp.urls.origin} (demo users: ${users})`);
    console.log('sign in: command palette → "MSAL Sign-In: Sign In", or "Consumer Fixture: Get Session" for a consumer extension');
    console.log('stop: Ctrl-C');
    console.log(`${READY_PREFIX}${editor.url}`);
    if (options.openBrowser) {
      await openBrowser(editor.url).catch(() => console.log('no browser could be opened here: open the URL above yourself'));
    }
    return { stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

if (isMainModule(import.meta.url)) {
  const noBrowser = process.argv.includes('--no-browser') || process.env.BROWSER === 'none';
  const demo = await startDemo({ openBrowser: !noBrowser });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the editor and the identity provider…`);
    void demo.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
