// Runs every *.ext-test.js of one folder with mocha inside the extension host, prints the
// machine-readable result line (counts plus each test's title and state, so the host side can
// report every extension-host test as a test of its own) and rejects when a test failed.
//
// Environment (the extension host inherits the editor's):
//   EDITOR_TESTS_GREP         run only tests whose full title matches this regular expression
//   EDITOR_TESTS_RESULT_FILE  also write the result as JSON (read by run-test-electron.ts, which
//                             only sees an exit code through @vscode/test-electron)
import Mocha from 'mocha';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Same as RESULT_LINE_PREFIX in ./harness.ts (not imported: that module loads Playwright).
export const RESULT_LINE_PREFIX = 'EDITOR-TESTS ';

export interface TestOutcome {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  error?: string;
}

export async function runMochaSuite(folder: string, options: { timeoutMs?: number } = {}): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: options.timeoutMs ?? 20_000, reporter: 'spec' });
  if (process.env.EDITOR_TESTS_GREP) mocha.grep(new RegExp(process.env.EDITOR_TESTS_GREP));
  const files = readdirSync(folder).filter((name) => name.endsWith('.ext-test.js')).sort();
  for (const name of files) mocha.addFile(join(folder, name));
  // The compiled tests are ES modules: load them with import(), not require().
  await mocha.loadFilesAsync();

  const tests: TestOutcome[] = [];
  const counts = await new Promise<{ passed: number; failed: number; pending: number }>((done) => {
    const runner = mocha.run(() =>
      done({
        passed: runner.stats?.passes ?? 0,
        failed: runner.stats?.failures ?? 0,
        pending: runner.stats?.pending ?? 0,
      }),
    );
    runner.on('pass', (test) => tests.push({ title: test.fullTitle(), state: 'passed' }));
    runner.on('pending', (test) => tests.push({ title: test.fullTitle(), state: 'pending' }));
    // A failing hook is reported here too, under the hook's title.
    runner.on('fail', (test, err: Error) => tests.push({ title: test.fullTitle(), state: 'failed', error: `${err.name}: ${err.message}` }));
  });
  mocha.dispose();
  const result = { ...counts, tests };
  console.log(`${RESULT_LINE_PREFIX}${JSON.stringify(result)}`);
  if (process.env.EDITOR_TESTS_RESULT_FILE) writeFileSync(process.env.EDITOR_TESTS_RESULT_FILE, `${JSON.stringify(result)}\n`);
  if (files.length === 0 || counts.passed + counts.failed === 0) {
    throw new Error(`no extension-host tests ran (found ${files.length} files in ${folder})`);
  }
  if (counts.failed > 0) throw new Error(`${counts.failed} extension-host test(s) failed`);
}
