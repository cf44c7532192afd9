// Extension-test module: VS Code (or code-server, see ../harness.ts) loads this file in the
// real extension host and calls run(). It runs every *.ext-test.js beside it with mocha (TDD
// interface: suite/test/suiteSetup/setup...), prints one machine-readable line
//   EDITOR-TESTS {"passed":N,"failed":M,"pending":P}
// and rejects when a test failed, so the editor exits with code 1.
//
// Why *.ext-test.ts and not *.test.ts: scripts/run-tests.mjs runs every out/test/**/*.test.js
// under node's test runner, where `import 'vscode'` and mocha's globals do not exist.
//
// Environment (the extension host inherits the editor's):
//   EDITOR_TESTS_GREP         run only tests whose full title matches this regular expression
//   EDITOR_TESTS_RESULT_FILE  also write the counts there as JSON (read by run-test-electron.ts,
//                             which only sees an exit code through @vscode/test-electron)
import Mocha from 'mocha';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Same as RESULT_LINE_PREFIX in ../harness.ts (not imported: that module loads Playwright).
export const RESULT_LINE_PREFIX = 'EDITOR-TESTS ';

export async function run(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 20_000, reporter: 'spec' });
  if (process.env.EDITOR_TESTS_GREP) mocha.grep(new RegExp(process.env.EDITOR_TESTS_GREP));
  const files = readdirSync(here).filter((name) => name.endsWith('.ext-test.js')).sort();
  for (const name of files) mocha.addFile(join(here, name));
  // The compiled tests are ES modules: load them with import(), not require().
  await mocha.loadFilesAsync();

  const counts = await new Promise<{ passed: number; failed: number; pending: number }>((done) => {
    const runner = mocha.run(() =>
      done({
        passed: runner.stats?.passes ?? 0,
        failed: runner.stats?.failures ?? 0,
        pending: runner.stats?.pending ?? 0,
      }),
    );
  });
  mocha.dispose();
  console.log(`${RESULT_LINE_PREFIX}${JSON.stringify(counts)}`);
  if (process.env.EDITOR_TESTS_RESULT_FILE) {
    writeFileSync(process.env.EDITOR_TESTS_RESULT_FILE, `${JSON.stringify(counts)}\n`);
  }
  if (files.length === 0 || counts.passed + counts.failed === 0) {
    throw new Error(`no extension-host tests ran (found ${files.length} files in ${here})`);
  }
  if (counts.failed > 0) throw new Error(`${counts.failed} extension-host test(s) failed`);
}
