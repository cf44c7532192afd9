// The @vscode/test-electron entry point for the extension-host suites.
//
// runTests() starts a VS Code executable with --extensionDevelopmentPath, --extensionTestsPath,
// --extensions-dir, --user-data-dir and a folder, and resolves or rejects on its exit code.
// Which executable:
//   - VSCODE_EXECUTABLE=<path to a desktop VS Code>: that one;
//   - VSCODE_EXECUTABLE=download: none given, runTests() downloads VS Code (needs internet);
//   - otherwise scripts/editor/code-server-as-vscode, which runs the same tests in code-server
//     and headless Chromium (no internet needed; scripts/editor/install.sh first).
//
// Run directly (`node out/test/editor/run-test-electron.js`) it runs the harness's smoke suite
// (out/test/editor/ext-host) against the fixture extension and exits with its code.
import { runTests, TestRunFailedError } from '@vscode/test-electron';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainModule, repoRoot, type EditorTestCounts } from './harness.js';

/** The stand-in executable for runTests(). */
export const codeServerAsVscode = join(repoRoot, 'scripts', 'editor', 'code-server-as-vscode');

export interface EditorSuiteOptions {
  /** Default: test/editor/fixtures/hello-extension. */
  extensionDevelopmentPath?: string | string[];
  /** Default: out/test/editor/ext-host (its index.js). */
  extensionTestsPath?: string;
  /** Default: a fresh empty folder. */
  workspaceFolder?: string;
  /** Environment for the editor and so for the tests (runTests' extensionTestsEnv). */
  extensionTestsEnv?: Record<string, string | undefined>;
  /** Default: from VSCODE_EXECUTABLE as described above. */
  vscodeExecutablePath?: string;
  /** The editor's user data folder (settings in User/settings.json). Default: a fresh one. */
  userDataDir?: string;
  /** Installed extensions. Default: a fresh, empty folder. */
  extensionsDir?: string;
  /** Start the editor with --disable-extensions (only the extensions under development run). Default true. */
  disableExtensions?: boolean;
}

export interface EditorSuiteResult {
  /** The editor's exit code: 0 when the test module's run() resolved. */
  exitCode: number;
  /** Counts the test module wrote (EDITOR_TESTS_RESULT_FILE); undefined when it wrote none. */
  counts: EditorTestCounts | undefined;
}

function pickExecutable(): string | undefined {
  const fromEnv = process.env.VSCODE_EXECUTABLE;
  if (fromEnv === 'download') return undefined;
  return fromEnv || codeServerAsVscode;
}

/** Runs an extension-test module through @vscode/test-electron's runTests(). */
export async function runEditorSuite(options: EditorSuiteOptions = {}): Promise<EditorSuiteResult> {
  const scratch = await mkdtemp(join(tmpdir(), 'editor-suite-'));
  const resultFile = join(scratch, 'result.json');
  try {
    let workspaceFolder = options.workspaceFolder;
    if (workspaceFolder === undefined) {
      workspaceFolder = join(scratch, 'workspace');
      await mkdir(workspaceFolder, { recursive: true });
      await writeFile(join(workspaceFolder, 'README.md'), '# editor test workspace\n');
    }
    const vscodeExecutablePath = options.vscodeExecutablePath ?? pickExecutable();
    let exitCode = 0;
    try {
      await runTests({
        // Given: runTests() starts it. Not given: it downloads VS Code into cachePath (kept under
        // the git-ignored .cache/ rather than its default <cwd>/.vscode-test).
        ...(vscodeExecutablePath !== undefined
          ? { vscodeExecutablePath }
          : { cachePath: join(repoRoot, '.cache', 'editor', 'vscode-test') }),
        extensionDevelopmentPath:
          options.extensionDevelopmentPath ?? join(repoRoot, 'test', 'editor', 'fixtures', 'hello-extension'),
        extensionTestsPath: options.extensionTestsPath ?? join(repoRoot, 'out', 'test', 'editor', 'ext-host', 'index.js'),
        // Without these two, runTests() points the editor at <cwd>/.vscode-test/.
        launchArgs: [
          workspaceFolder,
          `--user-data-dir=${options.userDataDir ?? join(scratch, 'user-data')}`,
          `--extensions-dir=${options.extensionsDir ?? join(scratch, 'extensions')}`,
          ...(options.disableExtensions === false ? [] : ['--disable-extensions']),
        ],
        extensionTestsEnv: {
          ...options.extensionTestsEnv,
          EDITOR_TESTS_RESULT_FILE: resultFile,
          // The stand-in runs the harness on this same Node.
          EDITOR_HARNESS_NODE: process.execPath,
        },
      });
    } catch (error) {
      if (!(error instanceof TestRunFailedError)) throw error;
      exitCode = error.code ?? 1;
    }
    const counts = existsSync(resultFile)
      ? (JSON.parse(readFileSync(resultFile, 'utf8')) as EditorTestCounts)
      : undefined;
    return { exitCode, counts };
  } finally {
    await rm(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
}

if (isMainModule(import.meta.url)) {
  const { exitCode, counts } = await runEditorSuite();
  console.log(`editor suite: exit ${exitCode}, ${JSON.stringify(counts ?? 'no counts')}`);
  process.exit(exitCode);
}
