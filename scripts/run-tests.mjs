// Runs the compiled tests under out/test with node's test runner: the spec report for people,
// then one closing line "N passed, N failed" for CI. An optional argument narrows the run to a
// folder of test/ (unit, integration, ...).
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..', 'out', 'test');
const only = process.argv[2];

function listTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listTests(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const files = listTests(only ? join(root, only) : root).sort();
if (files.length === 0) {
  console.error(`no compiled tests found under ${relative(process.cwd(), root)}: run npm run build`);
  process.exit(1);
}
const args = [
  '--test',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(import.meta.dirname, 'summary-reporter.mjs')}`, '--test-reporter-destination=stdout',
  ...files,
];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1));
