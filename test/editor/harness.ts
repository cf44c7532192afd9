// Runs tests inside a real VS Code on machines without internet: code-server (a full VS Code
// build from npm, run on Node 24) and its workbench opened in headless Chromium by
// playwright-core. scripts/editor/install.sh installs both; this module starts them, runs an
// extension-test module in the real remote extension host and always cleans up.
//
// What matters (see /work/shared/EDITOR-TESTING.md):
// - code-server does not take --extensionDevelopmentPath / --extensionTestsPath; the workbench
//   takes them from its URL's `payload` parameter, but only when the server runs with
//   `--vscode-option enable-smoke-test-driver`. When the test module's run() settles, the page
//   calls window.codeAutomationExit(code).
// - code-server spawns children: it runs in its own process group and stop() ends the group.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

/** The line the extension-host test module prints when mocha is done (see ext-host/index.ts). */
export const RESULT_LINE_PREFIX = 'EDITOR-TESTS ';

/** Counts carried by the result line. */
export interface EditorTestCounts {
  passed: number;
  failed: number;
  pending: number;
  /** Each test's full title and outcome, when the suite reported them (see mocha-suite.ts). */
  tests?: { title: string; state: 'passed' | 'failed' | 'pending'; error?: string }[];
}

/** Where install.sh put things; read from <cache>/paths.json. */
export interface EditorPaths {
  /** Node 24 binary that runs code-server. */
  node: string;
  /** code-server's out/node/entry.js. */
  codeServerEntry: string;
  codeServerVersion: string;
  /** The version of that Node (install.sh records it), without the `v`. */
  nodeVersion?: string;
  /** Chromium binary for playwright-core. */
  chromium: string;
}

/** Repository root: this file compiles to <repo>/out/test/editor/harness.js. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const installScript = join(repoRoot, 'scripts', 'editor', 'install.sh');

/** True when the module with this import.meta.url is the script node was started with. */
export function isMainModule(importMetaUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(importMetaUrl));
  } catch {
    return false;
  }
}

function cacheDir(): string {
  return process.env.EDITOR_CACHE ?? join(repoRoot, '.cache', 'editor');
}

/** Reads the paths install.sh recorded; throws with the fix when it has not run. */
export function readEditorPaths(): EditorPaths {
  const file = join(cacheDir(), 'paths.json');
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run scripts/editor/install.sh first`);
  }
  const paths = JSON.parse(readFileSync(file, 'utf8')) as EditorPaths;
  for (const path of [paths.node, paths.codeServerEntry, paths.chromium]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/editor/install.sh`);
  }
  return paths;
}

/**
 * Runs scripts/editor/install.sh (a no-op under a second when everything is in place; several
 * minutes on a fresh machine) and returns the installed paths. Its output goes to stderr.
 */
export function ensureEditorInstalled(): EditorPaths {
  const result = spawnSync('bash', [installScript], { stdio: ['ignore', 2, 2] });
  if (result.status !== 0) {
    throw new Error(`${installScript} failed (exit ${result.status ?? result.signal})`);
  }
  return readEditorPaths();
}

// ---------------------------------------------------------------------------------------------
// code-server

/**
 * Settings written under every user's settings: quiet, offline, no welcome pages. The caller's
 * `settings` win.
 */
export const defaultEditorSettings: Readonly<Record<string, unknown>> = Object.freeze({
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
});

export interface CodeServerOptions {
  /** Folder the workbench opens. */
  workspaceFolder: string;
  /** Default: a fresh temporary folder, removed by stop(). */
  extensionsDir?: string;
  /** Default: a fresh temporary folder, removed by stop(). */
  userDataDir?: string;
  /**
   * User settings, merged over defaultEditorSettings and over a settings.json already in
   * userDataDir; written to <userDataDir>/User/settings.json before the start.
   */
  settings?: Record<string, unknown>;
  /** Added to the server's environment; the remote extension host inherits it. */
  env?: Record<string, string | undefined>;
  /** Pass `--vscode-option enable-smoke-test-driver` (needed for extension test payloads). */
  smokeTestDriver?: boolean;
  /**
   * A fixed port. A restarted editor must keep its port to keep its origin: the browser keeps
   * SecretStorage per origin. Default: a free one.
   */
  port?: number;
  /** Further code-server arguments, before the folder. */
  extraArgs?: string[];
  /** Bound for /healthz to answer. Default 30 s. */
  startTimeoutMs?: number;
  /** Receives each line code-server prints. Default: kept for output() only. */
  onOutput?: (line: string) => void;
}

export interface CodeServer {
  /** http://127.0.0.1:<port>/ */
  url: string;
  port: number;
  /** 127.0.0.1:<port>, the authority of vscode-remote:// URIs. */
  authority: string;
  userDataDir: string;
  extensionsDir: string;
  /** The server process; its pid is also its process group id. */
  process: ChildProcess;
  /** Resolves with the exit code or signal when the server process exits. */
  exited: Promise<number | string>;
  /** What code-server printed so far (last 200 lines). */
  output(): string;
  /** Ends the whole process group, waits for it to be gone, removes temporary folders. */
  stop(): Promise<void>;
}

/** Asks the kernel for a free port on 127.0.0.1. */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  if (address === null || typeof address === 'string') throw new Error('no port from listen(0)');
  return address.port;
}

/** Environment variables a parent VS Code or test runner sets that must not leak into the editor. */
function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE' || key === 'NODE_TEST_CONTEXT') {
      continue;
    }
    env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

async function writeUserSettings(userDataDir: string, settings: Record<string, unknown> | undefined) {
  const file = join(userDataDir, 'User', 'settings.json');
  let existing: Record<string, unknown> = {};
  if (existsSync(file)) {
    const text = await readFile(file, 'utf8');
    try {
      existing = JSON.parse(text.trim() === '' ? '{}' : text) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${file} is not plain JSON (comments are not supported here): ${String(error)}`);
    }
  }
  await mkdir(join(userDataDir, 'User'), { recursive: true });
  const merged = { ...defaultEditorSettings, ...existing, ...settings };
  await writeFile(file, `${JSON.stringify(merged, null, 2)}\n`);
}

/** Kills a process group; false when it is already gone. */
function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Resolves when no process of the group is left, or rejects after timeoutMs. */
async function waitForGroupGone(pgid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; killGroup(pgid, 0); delay = Math.min(delay * 2, 200)) {
    if (Date.now() > deadline) throw new Error(`process group ${pgid} still alive after ${timeoutMs} ms`);
    await new Promise((ok) => setTimeout(ok, delay));
  }
}

/** Polls GET url until it answers 200, the server exits, or the time is up. */
async function waitForHealthz(url: string, exited: Promise<number | string>, timeoutMs: number) {
  let exit: number | string | undefined;
  void exited.then((code) => (exit = code));
  const deadline = Date.now() + timeoutMs;
  for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
    if (exit !== undefined) throw new Error(`code-server exited (${exit}) before ${url} answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((ok) => setTimeout(ok, delay));
  }
}

/** Starts code-server on 127.0.0.1 with a free port and waits for /healthz. */
/**
 * Where a code-server process keeps what it would otherwise write into the home folder and /tmp:
 * a scratch folder its caller removes.
 */
function codeServerScratchEnv(scratch: string): Record<string, string> {
  return {
    XDG_CONFIG_HOME: join(scratch, 'xdg-config'),
    XDG_DATA_HOME: join(scratch, 'xdg-data'),
    XDG_CACHE_HOME: join(scratch, 'xdg-cache'),
    // The server's IPC sockets (vscode-ipc-*.sock) and other temporary files.
    TMPDIR: join(scratch, 'tmp'),
    // No extension gallery (open-vsx.org by default): offline, its queries only log errors.
    EXTENSIONS_GALLERY: '{}',
  };
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const paths = readEditorPaths();
  const scratch = await mkdtemp(join(tmpdir(), 'editor-cs-'));
  const userDataDir = options.userDataDir ?? join(scratch, 'user-data');
  const extensionsDir = options.extensionsDir ?? join(scratch, 'extensions');
  await mkdir(userDataDir, { recursive: true });
  await mkdir(extensionsDir, { recursive: true });
  await mkdir(join(scratch, 'tmp'));
  await writeUserSettings(userDataDir, options.settings);
  // An empty config file is rejected; without one code-server writes ~/.config/code-server.
  const config = join(scratch, 'config.yaml');
  await writeFile(config, 'cert: false\n');

  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > 200) lines.shift();
    options.onOutput?.(line);
  };

  // A free port can be taken between findFreePort() and the server's listen(): try again then.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort());
    const authority = `127.0.0.1:${port}`;
    const args = [
      paths.codeServerEntry,
      '--config', config,
      '--bind-addr', authority,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--user-data-dir', userDataDir,
      '--extensions-dir', extensionsDir,
      ...(options.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
      ...(options.extraArgs ?? []),
      resolve(options.workspaceFolder),
    ];
    const child = spawn(paths.node, args, {
      detached: true, // setsid: its own process group, ended as a whole by stop()
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv({ ...codeServerScratchEnv(scratch), ...options.env }),
    });
    const pgid = child.pid;
    if (pgid === undefined) {
      await rm(scratch, { recursive: true, force: true });
      throw new Error(`could not start ${paths.node}`);
    }
    // If this process exits without stop() (an uncaught error), do not leave the server behind.
    const killOnExit = () => killGroup(pgid, 'SIGKILL');
    process.on('exit', killOnExit);
    const exited = new Promise<number | string>((ok) =>
      child.once('exit', (code, signal) => ok(code ?? signal ?? 'unknown')),
    );
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        parts.forEach(keep);
      });
      stream.on('end', () => rest && keep(rest));
    }

    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= (async () => {
        killGroup(pgid, 'SIGTERM');
        try {
          await waitForGroupGone(pgid, 5_000);
        } catch {
          killGroup(pgid, 'SIGKILL');
          await waitForGroupGone(pgid, 5_000);
        }
        await exited;
        process.off('exit', killOnExit);
        await rm(scratch, { recursive: true, force: true, maxRetries: 3 });
      })());

    try {
      await waitForHealthz(`http://${authority}/healthz`, exited, options.startTimeoutMs ?? 30_000);
    } catch (error) {
      const inUse = lines.some((line) => line.includes('EADDRINUSE'));
      // Keep the scratch folder for the next attempt: stop() of this attempt must not remove it.
      killGroup(pgid, 'SIGKILL');
      await waitForGroupGone(pgid, 5_000).catch(() => undefined);
      process.off('exit', killOnExit);
      if (inUse && attempt < 3) continue;
      await rm(scratch, { recursive: true, force: true });
      throw new Error(`${(error as Error).message}\n--- code-server output ---\n${lines.join('\n')}`);
    }
    return {
      url: `http://${authority}/`,
      port,
      authority,
      userDataDir,
      extensionsDir,
      process: child,
      exited,
      output: () => lines.join('\n'),
      stop,
    };
  }
}

/** Runs a command in its own process group to its end; on timeout ends the whole group. */
async function runInGroup(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ code: number | string; output: string }> {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: options.env });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const pgid = child.pid;
  const killOnExit = () => pgid !== undefined && killGroup(pgid, 'SIGKILL');
  process.on('exit', killOnExit);
  const timer = setTimeout(() => {
    output += `\n(killed after ${options.timeoutMs} ms)`;
    killOnExit();
  }, options.timeoutMs);
  try {
    const code = await new Promise<number | string>((ok, fail) => {
      child.once('error', fail);
      child.once('close', (exitCode, signal) => ok(exitCode ?? signal ?? 'unknown'));
    });
    if (pgid !== undefined) killGroup(pgid, 'SIGKILL'); // anything it left behind
    return { code, output };
  } finally {
    clearTimeout(timer);
    process.off('exit', killOnExit);
  }
}

/** Installs a .vsix into extensionsDir with code-server's --install-extension. */
export async function installVsix(
  vsixPath: string,
  extensionsDir: string,
  options: { userDataDir?: string; timeoutMs?: number } = {},
): Promise<string> {
  const paths = readEditorPaths();
  const scratch = await mkdtemp(join(tmpdir(), 'editor-vsix-'));
  try {
    const config = join(scratch, 'config.yaml');
    await writeFile(config, 'cert: false\n');
    const args = [
      paths.codeServerEntry,
      '--config', config,
      '--user-data-dir', options.userDataDir ?? join(scratch, 'user-data'),
      '--extensions-dir', extensionsDir,
      '--install-extension', resolve(vsixPath),
    ];
    await mkdir(join(scratch, 'tmp'));
    const { code, output } = await runInGroup(paths.node, args, {
      timeoutMs: options.timeoutMs ?? 60_000,
      env: cleanEnv(codeServerScratchEnv(scratch)),
    });
    if (code !== 0 || !/successfully installed/i.test(output)) {
      throw new Error(`--install-extension ${vsixPath} failed (exit ${code}):\n${output}`);
    }
    return output;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Chromium

/** Flags that work as root on these machines (see EDITOR-TESTING.md). */
export const chromiumFlags: readonly string[] = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

export interface EditorBrowser {
  /** A persistent context: the browser's only context. */
  context: BrowserContext;
  /** The profile folder; pass it to a later launchBrowser() to keep localStorage (SecretStorage). */
  userDataDir: string;
  /** Closes the browser (Playwright ends its process group); removes a profile it created. */
  close(): Promise<void>;
}

export interface LaunchBrowserOptions {
  /** Reuse a profile. Default: a fresh temporary one, removed by close(). */
  userDataDir?: string;
  /** Default true. */
  headless?: boolean;
  /** Further Chromium flags. */
  args?: string[];
  /**
   * Let Playwright close the browser and exit the process on SIGINT/SIGTERM/SIGHUP (its
   * default). Pass false when the caller handles signals and cleans up itself.
   */
  handleSignals?: boolean;
}

/** Launches /usr/bin/chromium (from install.sh) with playwright-core. */
export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<EditorBrowser> {
  const paths = readEditorPaths();
  // Chromium keeps crash reports in $XDG_CONFIG_HOME/chromium whatever the profile, and
  // singleton sockets in $TMPDIR: point both at a scratch folder that close() removes.
  const scratch = await mkdtemp(join(tmpdir(), 'editor-chromium-'));
  await mkdir(join(scratch, 'tmp'));
  const userDataDir = options.userDataDir ?? join(scratch, 'profile');
  const cleanUp = () => rm(scratch, { recursive: true, force: true, maxRetries: 3 });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: paths.chromium,
      headless: options.headless ?? true,
      args: [...chromiumFlags, ...(options.args ?? [])],
      env: cleanEnv({
        XDG_CONFIG_HOME: join(scratch, 'xdg-config'),
        XDG_CACHE_HOME: join(scratch, 'xdg-cache'),
        TMPDIR: join(scratch, 'tmp'),
      }) as Record<string, string>,
      viewport: { width: 1280, height: 800 },
      timeout: 30_000,
      handleSIGINT: options.handleSignals ?? true,
      handleSIGTERM: options.handleSignals ?? true,
      handleSIGHUP: options.handleSignals ?? true,
    });
  } catch (error) {
    await cleanUp();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    context,
    userDataDir,
    close: () =>
      (closed ??= (async () => {
        await context.close();
        await cleanUp();
      })()),
  };
}

// ---------------------------------------------------------------------------------------------
// Extension tests

export interface ExtensionTestOptions {
  /** Folder(s) of the extension(s) under development (absolute or relative to the cwd). */
  extensionDevelopmentPath: string | string[];
  /** The compiled test module: a file exporting run(): Promise<void>, or its folder's index.js. */
  extensionTestsPath: string;
  workspaceFolder: string;
  settings?: Record<string, unknown>;
  /** Added to the editor's environment: the extension host (and so the tests) sees it. */
  env?: Record<string, string | undefined>;
  extensionsDir?: string;
  userDataDir?: string;
  /** Bound for the whole run (server start, browser, tests). */
  timeoutMs: number;
  /**
   * Receives each line of the workbench log, which carries the extension host's console output
   * (and the workbench's own log lines). Default: printWorkbenchLine.
   */
  onOutput?: (line: string) => void;
  /** Aborting stops the run: the promise rejects after the server and browser are closed. */
  signal?: AbortSignal;
}

export interface ExtensionTestResult {
  /** The code the workbench passed to codeAutomationExit: 0 when run() resolved. */
  exitCode: number;
  passed: number;
  failed: number;
  pending: number;
  /** Each extension-host test's title and outcome. */
  tests: NonNullable<EditorTestCounts['tests']>;
  /** False when no result line arrived (the test module broke before mocha finished). */
  reported: boolean;
  /** Every workbench log line (extension-host console included), joined by newlines. */
  output: string;
  durationMs: number;
}

/** Parses a result line; undefined for any other line. */
export function parseResultLine(line: string): EditorTestCounts | undefined {
  const at = line.indexOf(RESULT_LINE_PREFIX);
  if (at < 0) return undefined;
  try {
    const value = JSON.parse(line.slice(at + RESULT_LINE_PREFIX.length).trim()) as Partial<EditorTestCounts>;
    if (typeof value.passed !== 'number' || typeof value.failed !== 'number') return undefined;
    return { passed: value.passed, failed: value.failed, pending: value.pending ?? 0, ...(Array.isArray(value.tests) && { tests: value.tests }) };
  } catch {
    return undefined;
  }
}

/** Applies console-style % placeholders of `format` to `args`; leftovers are appended. */
export function formatConsoleArgs(values: readonly unknown[]): string {
  const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value) ?? String(value));
  const [format, ...args] = values;
  if (typeof format !== 'string') return values.map(show).join(' ');
  let used = 0;
  const text = format.replace(/%[sdifoOjc%]/g, (token) => {
    if (token === '%%') return '%';
    if (used >= args.length) return token;
    const value = args[used++];
    switch (token) {
      case '%c':
        return '';
      case '%d':
      case '%i':
        return String(Math.trunc(Number(value)));
      case '%f':
        return String(Number(value));
      default:
        return show(value);
    }
  });
  return [text, ...args.slice(used).map(show)].join(' ');
}

/**
 * The workbench's log lines: `console.log('%c INFO', 'color: …', message, ...args)`. In extension
 * test mode the workbench writes the extension host's console calls through this same log (not
 * with an "[Extension Host]" label), so they cannot be told apart from the workbench's own log
 * lines; both are forwarded. Returns undefined for other console messages (Chromium's own
 * "Failed to load resource" and the like).
 */
async function workbenchLogLine(message: ConsoleMessage): Promise<string | undefined> {
  const values = await Promise.all(
    message.args().map((arg) =>
      arg
        .evaluate((value: unknown) => (value instanceof Error ? (value.stack ?? String(value)) : value))
        .then((value: unknown) => value, () => arg.toString()),
    ),
  );
  const [marker, , ...rest] = values;
  const level = typeof marker === 'string' ? /^%c\s*(TRACE|DEBUG|INFO|WARN|ERR)\b/.exec(marker)?.[1] : undefined;
  if (level === undefined) return undefined;
  const text = formatConsoleArgs(rest);
  return level === 'INFO' ? text : `${level} ${text}`;
}

/** Stack frames inside the workbench's own bundle: noise for extension tests. */
const workbenchFrame = /^\s+at .*\/static\/out\/vs\/.*\.js:\d+:\d+\)?$/;

/** The default output of runExtensionTests: "[editor] " lines, workbench stack frames left out. */
export function printWorkbenchLine(line: string): void {
  if (!workbenchFrame.test(line)) process.stdout.write(`[editor] ${line}\n`);
}

function toRemoteUri(authority: string, path: string): string {
  const absolute = resolve(path);
  return `vscode-remote://${authority}${absolute.split('/').map(encodeURIComponent).join('/')}`;
}

/** The workbench URL that starts an extension-test run (needs the smoke-test driver). */
export function extensionTestUrl(
  server: Pick<CodeServer, 'url' | 'authority'>,
  workspaceFolder: string,
  extensionDevelopmentPath: string | string[],
  extensionTestsPath: string,
): string {
  const developmentPaths = Array.isArray(extensionDevelopmentPath)
    ? extensionDevelopmentPath
    : [extensionDevelopmentPath];
  const payload = [
    ...developmentPaths.map((path) => ['extensionDevelopmentPath', toRemoteUri(server.authority, path)]),
    ['extensionTestsPath', toRemoteUri(server.authority, extensionTestsPath)],
  ];
  const url = new URL(server.url);
  url.searchParams.set('folder', resolve(workspaceFolder));
  url.searchParams.set('payload', JSON.stringify(payload));
  return url.href;
}

/**
 * Runs an extension-test module in code-server's real extension host: starts the server with
 * the smoke-test driver, opens the workbench with the test payload in headless Chromium and
 * waits for window.codeAutomationExit. Always stops the server and the browser.
 */
export async function runExtensionTests(options: ExtensionTestOptions): Promise<ExtensionTestResult> {
  const started = Date.now();
  let failRun: (error: Error) => void = () => undefined;
  const failure = new Promise<never>((_, fail) => (failRun = fail));
  failure.catch(() => undefined);
  const timer = setTimeout(
    () => failRun(new Error(`extension tests did not finish within ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  const onAbort = () => failRun(new Error('extension test run aborted'));
  options.signal?.addEventListener('abort', onAbort, { once: true });

  let server: CodeServer | undefined;
  let browser: EditorBrowser | undefined;
  // Started but maybe not awaited yet when the time runs out: finally waits and closes them.
  let serverStarting: Promise<CodeServer> | undefined;
  let browserStarting: Promise<EditorBrowser> | undefined;
  const withBound = <T>(step: Promise<T>) => Promise.race([step, failure]);
  try {
    if (options.signal?.aborted) throw new Error('extension test run aborted');
    server = await withBound(
      (serverStarting = startCodeServer({
        workspaceFolder: options.workspaceFolder,
        smokeTestDriver: true,
        ...(options.extensionsDir !== undefined && { extensionsDir: options.extensionsDir }),
        ...(options.userDataDir !== undefined && { userDataDir: options.userDataDir }),
        ...(options.settings !== undefined && { settings: options.settings }),
        ...(options.env !== undefined && { env: options.env }),
      })),
    );
    const serverExit = server.exited;
    void serverExit.then((code) => failRun(new Error(`code-server exited (${code}) during the run`)));
    // A caller with an AbortSignal handles signals; otherwise Playwright's handlers stay on.
    browser = await withBound((browserStarting = launchBrowser({ handleSignals: options.signal === undefined })));
    const page = await withBound(runTestPage(browser, server, options));
    return { ...(await withBound(page.result)), durationMs: Date.now() - started };
  } catch (error) {
    const detail = server ? `\n--- code-server output ---\n${server.output()}` : '';
    throw new Error(`${(error as Error).message}${detail}`, { cause: error });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    browser ??= await browserStarting?.catch(() => undefined);
    await browser?.close().catch(() => undefined);
    server ??= await serverStarting?.catch(() => undefined);
    await server?.stop();
  }
}

/** One workbench window running an extension-test payload; `result` settles when its tests end. */
export interface TestPage {
  page: Page;
  result: Promise<Omit<ExtensionTestResult, 'durationMs'>>;
}

/**
 * Opens a window of `server` in `browser` that runs the extension-test payload, and follows it
 * until the test module calls codeAutomationExit. Several can run at once: each window has its
 * own extension host, which is how tests prove that windows stay in step.
 */
export async function runTestPage(
  browser: EditorBrowser,
  server: Pick<CodeServer, 'url' | 'authority'>,
  options: Pick<ExtensionTestOptions, 'extensionDevelopmentPath' | 'extensionTestsPath' | 'workspaceFolder' | 'onOutput'>,
): Promise<TestPage> {
  const onOutput = options.onOutput ?? printWorkbenchLine;
  const output: string[] = [];
  let counts: EditorTestCounts | undefined;
  let lines: Promise<void> = Promise.resolve();
  const unused = browser.context.pages().find((candidate) => candidate.url() === 'about:blank');
  const page: Page = unused ?? (await browser.context.newPage());
  let exitWith: (code: number) => void = () => undefined;
  let crashed: (error: Error) => void = () => undefined;
  const exitCode = new Promise<number>((ok, fail) => {
    exitWith = ok;
    crashed = fail;
  });
  await page.exposeFunction('codeAutomationExit', (code: unknown) => exitWith(Number(code)));
  // Messages are read one after the other so the lines keep their order.
  page.on('console', (message) => {
    lines = lines
      .then(() => workbenchLogLine(message))
      .then((text) => {
        for (const part of text?.split('\n') ?? []) {
          output.push(part);
          onOutput(part);
          counts = parseResultLine(part) ?? counts;
        }
      })
      .catch(() => undefined);
  });
  page.on('crash', () => crashed(new Error('the workbench page crashed')));
  const url = extensionTestUrl(server, options.workspaceFolder, options.extensionDevelopmentPath, options.extensionTestsPath);
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  const result = exitCode.then(async (code) => {
    // The result line was logged before run() settled, so its console event came before the
    // exit call; wait until the lines queued so far are read.
    await lines;
    return {
      exitCode: code,
      passed: counts?.passed ?? 0,
      failed: counts?.failed ?? 0,
      pending: counts?.pending ?? 0,
      tests: counts?.tests ?? [],
      reported: counts !== undefined,
      output: output.join('\n'),
    };
  });
  result.catch(() => undefined);
  return { page, result };
}
