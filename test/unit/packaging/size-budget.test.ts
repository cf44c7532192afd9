/**
 * The package stays small: the bundle at most 200 KB, the .vsix at most 150 KB, and undici (the
 * Node client for programs outside the editor) never in the bundle. Builds both for real with
 * scripts/bundle.mjs and vsce, as `npm run package` does.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BUNDLE_BUDGET = 200 * 1024;
const VSIX_BUDGET = 150 * 1024;

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'scripts', 'bundle.mjs'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no scripts/bundle.mjs above this file');
    dir = parent;
  }
  return dir;
}

test('the bundle and the .vsix stay within their size budgets, without undici', { timeout: 120_000 }, () => {
  const root = findRepoRoot();
  const tmp = mkdtempSync(join(tmpdir(), 'msal-signin-package-'));
  try {
    // vsce packages dist/extension.cjs (see .vscodeignore), so the bundle goes there.
    execFileSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], { cwd: root, stdio: 'pipe' });
    const bundle = join(root, 'dist', 'extension.cjs');
    const bundleSize = statSync(bundle).size;
    assert.ok(bundleSize <= BUNDLE_BUDGET, `bundle is ${bundleSize} bytes, budget ${BUNDLE_BUDGET}`);

    const meta = JSON.parse(readFileSync(`${bundle}.meta.json`, 'utf8')) as { inputs: Record<string, { imports: { path: string }[] }> };
    const inputs = Object.keys(meta.inputs);
    assert.deepEqual(inputs.filter((path) => /node_modules[\\/]undici[\\/]/.test(path)), [], 'no undici source is bundled');
    const externalImports = Object.values(meta.inputs).flatMap((input) => input.imports.map((imported) => imported.path));
    assert.ok(!externalImports.some((path) => path === 'undici' || path.startsWith('undici/')), 'nothing imports undici');

    const vsix = join(tmp, 'msal-signin.vsix');
    const vsce = spawnSync(process.execPath, [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--out', vsix], { cwd: root, encoding: 'utf8' });
    assert.equal(vsce.status, 0, vsce.stderr);
    assert.doesNotMatch(vsce.stdout + vsce.stderr, /WARNING/i, 'vsce packages without warnings');
    const vsixSize = statSync(vsix).size;
    assert.ok(vsixSize <= VSIX_BUDGET, `.vsix is ${vsixSize} bytes, budget ${VSIX_BUDGET}`);
    console.log(`bundle ${bundleSize} bytes, .vsix ${vsixSize} bytes`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
