/**
 * Figure 6, run in a fresh `node` process per sample: `node load-probe.js <specifier>` imports
 * the module and prints `{"ms": …}`, the time `import()` took (Node's own start-up is left out: it
 * is the same for both libraries). With `--bytes` it instead counts the files the import loaded —
 * ESM files through a loader hook, CommonJS files from `require.cache` — and prints their number
 * and total size.
 */
import { register, createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

const specifier = process.argv[2];
if (!specifier) throw new Error('usage: node load-probe.js <specifier> [--bytes]');

if (process.argv.includes('--bytes')) {
  const seen = new Set<string>();
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url: string) => seen.add(fileURLToPath(url)));
  register('./load-hooks.js', import.meta.url, { data: { port: port2 }, transferList: [port2] });
  await import(specifier);
  // The hook thread posts before each load completes; one turn of the event loop delivers the rest.
  await new Promise((resolve) => setTimeout(resolve, 50));
  port1.close();
  for (const file of Object.keys(createRequire(import.meta.url).cache)) seen.add(file);
  seen.delete(fileURLToPath(import.meta.url));
  let bytes = 0;
  for (const file of seen) bytes += statSync(file).size;
  process.stdout.write(JSON.stringify({ files: seen.size, bytes, list: [...seen].sort() }));
} else {
  const t0 = performance.now();
  await import(specifier);
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }));
}
