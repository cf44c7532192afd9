// Where the bytes of a bundle come from, read from the esbuild metafile that scripts/bundle.mjs
// writes next to each bundle: the bundle's size against its budget, then every input module by
// the bytes it put into the output, largest first. Run `npm run bundle` first.
//
// Usage: node scripts/bundle-report.mjs [node|browser] [--top=N]
import { readFileSync, statSync } from 'node:fs';

const BUNDLES = {
  node: 'dist/extension.cjs',
  browser: 'dist/web/extension.cjs',
};

const args = process.argv.slice(2);
const which = args.find((arg) => !arg.startsWith('--')) ?? 'browser';
const top = Number(/^--top=(\d+)$/.exec(args.find((arg) => arg.startsWith('--top=')) ?? '')?.[1] ?? 40);
const file = BUNDLES[which];
if (!file) throw new Error(`bundle-report.mjs: no bundle named ${which} (node or browser)`);

const meta = JSON.parse(readFileSync(`${file}.meta.json`, 'utf8'));
const inputs = Object.entries(Object.values(meta.outputs)[0].inputs).map(([path, { bytesInOutput }]) => ({ path, bytes: bytesInOutput }));
inputs.sort((a, b) => b.bytes - a.bytes);

/** src/core/cache/x.ts → src/core; node_modules/jose/... → jose. */
function groupOf(path) {
  const parts = path.split('/');
  return parts[0] === 'node_modules' ? parts[1] : parts.slice(0, 2).join('/');
}
const groups = new Map();
for (const { path, bytes } of inputs) groups.set(groupOf(path), (groups.get(groupOf(path)) ?? 0) + bytes);

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(`${file}: ${statSync(file).size} bytes (${kb(statSync(file).size)})`);
for (const [group, bytes] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`  ${kb(bytes).padStart(9)}  ${group}`);
console.log(`largest ${Math.min(top, inputs.length)} of ${inputs.length} modules:`);
for (const { path, bytes } of inputs.slice(0, top)) console.log(`  ${String(bytes).padStart(6)}  ${path}`);
