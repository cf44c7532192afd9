// Bundles the extension into one CommonJS file for the extension host (dist/extension.cjs), and
// writes esbuild's metafile next to it (<outfile>.meta.json, left out of the .vsix) so a test can
// check which modules went in. An optional argument names another output file.
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const outfile = process.argv[2] ?? 'dist/extension.cjs';
const result = await build({
  entryPoints: ['src/extension.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
writeFileSync(`${outfile}.meta.json`, JSON.stringify(result.metafile));
