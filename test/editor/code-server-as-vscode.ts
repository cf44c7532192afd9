// Stands in for a desktop VS Code executable where none can be downloaded: accepts the
// arguments @vscode/test-electron's runTests() passes and runs the same extension tests in
// code-server through runExtensionTests(), exiting with their code. Started by
// scripts/editor/code-server-as-vscode (the executable handed to runTests).
//
// Understood: --extensionDevelopmentPath (repeatable), --extensionTestsPath, --extensions-dir,
// --user-data-dir (each as --flag=value or --flag value) and a folder (the first non-flag
// argument). Every other flag (--no-sandbox, --disable-updates, --skip-welcome, ...) is ignored.
// Environment: EDITOR_TESTS_TIMEOUT_MS bounds the run (default 120000); the rest of the
// environment reaches the extension host, as extensionTestsEnv does with desktop VS Code.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isMainModule, runExtensionTests } from './harness.js';

const VALUE_FLAGS = ['extensionDevelopmentPath', 'extensionTestsPath', 'extensions-dir', 'user-data-dir'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

export interface VscodeArguments {
  extensionDevelopmentPath: string[];
  extensionTestsPath?: string;
  extensionsDir?: string;
  userDataDir?: string;
  folder?: string;
  ignored: string[];
}

/** Parses a desktop VS Code command line as runTests() builds it. */
export function parseVscodeArguments(argv: readonly string[]): VscodeArguments {
  const parsed: VscodeArguments = { extensionDevelopmentPath: [], ignored: [] };
  const set = (flag: ValueFlag, value: string) => {
    switch (flag) {
      case 'extensionDevelopmentPath':
        parsed.extensionDevelopmentPath.push(resolve(value));
        break;
      case 'extensionTestsPath':
        parsed.extensionTestsPath = resolve(value);
        break;
      case 'extensions-dir':
        parsed.extensionsDir = resolve(value);
        break;
      case 'user-data-dir':
        parsed.userDataDir = resolve(value);
        break;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) {
      if (parsed.folder === undefined) parsed.folder = resolve(arg);
      else parsed.ignored.push(arg);
      continue;
    }
    const [name, value] = arg.replace(/^--?/, '').split(/=(.*)/s, 2) as [string, string | undefined];
    const flag = VALUE_FLAGS.find((f) => f === name);
    if (flag === undefined) {
      parsed.ignored.push(arg);
    } else if (value !== undefined) {
      set(flag, value);
    } else if (i + 1 < argv.length) {
      set(flag, argv[++i]!);
    } else {
      throw new Error(`${arg} needs a value`);
    }
  }
  return parsed;
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseVscodeArguments(argv);
  if (args.extensionTestsPath === undefined || args.extensionDevelopmentPath.length === 0) {
    console.error('code-server-as-vscode: needs --extensionDevelopmentPath=… and --extensionTestsPath=…');
    return 2;
  }
  const timeoutMs = Number(process.env.EDITOR_TESTS_TIMEOUT_MS ?? 120_000);
  const scratch = args.folder === undefined ? await mkdtemp(join(tmpdir(), 'editor-workspace-')) : undefined;
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`code-server-as-vscode: ${signal}, stopping`);
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await runExtensionTests({
      extensionDevelopmentPath: args.extensionDevelopmentPath,
      extensionTestsPath: args.extensionTestsPath,
      workspaceFolder: args.folder ?? scratch!,
      timeoutMs,
      signal: abort.signal,
      ...(args.extensionsDir !== undefined && { extensionsDir: args.extensionsDir }),
      ...(args.userDataDir !== undefined && { userDataDir: args.userDataDir }),
    });
    const counts = result.reported
      ? `${result.passed} passing, ${result.failed} failing, ${result.pending} pending`
      : 'no result line from the test module';
    console.log(`code-server-as-vscode: exit ${result.exitCode} (${counts}) in ${result.durationMs} ms`);
    if (result.exitCode !== 0) return result.exitCode;
    return result.reported && result.failed === 0 ? 0 : 1;
  } catch (error) {
    console.error(`code-server-as-vscode: ${(error as Error).message}`);
    return abort.signal.aborted ? 130 : 1;
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

// Exit at once: nothing may keep the process (and so runTests()) waiting. Writes to pipes are
// synchronous on Linux, so no output is lost.
if (isMainModule(import.meta.url)) {
  process.exit(await main(process.argv.slice(2)));
}
