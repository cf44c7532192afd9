// Bundles the extension into one CommonJS file for the extension host (dist/extension.cjs), and
// writes esbuild's metafile next to it (<outfile>.meta.json, left out of the .vsix) so a test can
// check which modules went in, and the third-party notices of the packages that went in
// (ThirdPartyNotices.txt in the same folder, shipped in the .vsix). An optional argument names
// another output file.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { renderNotices } from './third-party-notices.mjs';

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
  // The minified bundle keeps no licence comments (jose has none to keep): every bundled package's
  // licence text is in ThirdPartyNotices.txt, and this banner says so in the bundle itself.
  legalComments: 'none',
  banner: { js: '/*! MSAL Sign-In, MIT License. Bundled third-party packages and their licences: ThirdPartyNotices.txt */' },
  logLevel: 'warning',
  metafile: true,
});
writeFileSync(`${outfile}.meta.json`, JSON.stringify(result.metafile));
writeFileSync(join(dirname(outfile), 'ThirdPartyNotices.txt'), renderNotices(result.metafile, process.cwd(), 'MSAL Sign-In'));
