// Extension-test module of the harness smoke suite: VS Code (or code-server, see ../harness.ts)
// loads this file in the real extension host and calls run().
//
// Why *.ext-test.ts and not *.test.ts: scripts/run-tests.mjs runs every out/test/**/*.test.js
// under node's test runner, where `import 'vscode'` and mocha's globals do not exist.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULT_LINE_PREFIX, runMochaSuite } from '../mocha-suite.js';

export { RESULT_LINE_PREFIX };

export function run(): Promise<void> {
  return runMochaSuite(dirname(fileURLToPath(import.meta.url)));
}
