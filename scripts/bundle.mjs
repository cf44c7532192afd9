// Bundles the extension for the extension hosts that load it, each build one CommonJS file:
// - node: src/extension.ts → dist/extension.cjs (package.json `main`), for the Node extension host;
// - browser: src/web-extension.ts → dist/web/extension.cjs (package.json `browser`), for the web
//   worker extension host (vscode.dev, github.dev, code-server with the extension moved there).
//   That host fetches the file and runs it as CommonJS with a `require` that knows only `vscode`
//   (tried in code-server 4.139.1: /work/shared/EDITOR-TESTING.md), so the bundle must hold
//   everything else and nothing of Node: an import of a Node built-in stops the build. The file
//   ends in .cjs because package.json says "type": "module", and the web worker host refuses an
//   entry it takes for ESM (a .js file of such a package) instead of loading it.
// A build whose entry does not exist is left out (the browser entry arrives after the Node one).
// Each build writes esbuild's metafile next to its output (<outfile>.meta.json, left out of the
// .vsix) so a test can check which modules went in, and the third-party notices of the packages
// that went in (ThirdPartyNotices.txt in the same folder, shipped in the .vsix).
//
// Usage: node scripts/bundle.mjs [<node outfile>] [--web-entry=<file>] [--web-outfile=<file>]
import { existsSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { renderNotices } from './third-party-notices.mjs';

const BANNER = '/*! MSAL Sign-In, MIT License. Bundled third-party packages and their licences: ThirdPartyNotices.txt */';

function parseArguments(args) {
  const options = { nodeOutfile: 'dist/extension.cjs', webEntry: 'src/web-extension.ts', webOutfile: 'dist/web/extension.cjs' };
  for (const arg of args) {
    const [, name, value] = /^--([a-z-]+)=(.+)$/.exec(arg) ?? [];
    if (name === 'web-entry') options.webEntry = value;
    else if (name === 'web-outfile') options.webOutfile = value;
    else if (!arg.startsWith('--')) options.nodeOutfile = arg;
    else throw new Error(`bundle.mjs: unknown argument ${arg}`);
  }
  return options;
}

const NODE_BUILTINS = new Set(builtinModules.filter((name) => !name.startsWith('_')));

/** Fails the browser build at the first import of a Node built-in (`node:*` or a bare name). */
const refuseNodeBuiltins = {
  name: 'refuse-node-builtins',
  setup(builder) {
    builder.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!args.path.startsWith('node:') && !NODE_BUILTINS.has(name.split('/')[0])) return undefined;
      return { errors: [{ text: `the browser bundle cannot use the Node built-in "${args.path}" (imported by ${args.importer})` }] };
    });
  },
};

const options = parseArguments(process.argv.slice(2));
const targets = [
  {
    name: 'node',
    entry: 'src/extension.ts',
    outfile: options.nodeOutfile,
    settings: { platform: 'node', target: 'node20' },
  },
  {
    name: 'browser',
    entry: options.webEntry,
    outfile: options.webOutfile,
    // jose's `browser` export condition: its WebCrypto build, no node:crypto.
    settings: { platform: 'browser', target: 'es2022', plugins: [refuseNodeBuiltins] },
  },
];

for (const target of targets) {
  if (!existsSync(target.entry)) {
    console.log(`bundle.mjs: no ${target.entry}, ${target.name} bundle left out`);
    continue;
  }
  const result = await build({
    entryPoints: [target.entry],
    outfile: target.outfile,
    bundle: true,
    format: 'cjs',
    external: ['vscode'],
    minify: true,
    // The minified bundle keeps no licence comments (jose has none to keep): every bundled
    // package's licence text is in ThirdPartyNotices.txt, and this banner says so in the bundle.
    legalComments: 'none',
    banner: { js: BANNER },
    logLevel: 'warning',
    metafile: true,
    ...target.settings,
  });
  writeFileSync(`${target.outfile}.meta.json`, JSON.stringify(result.metafile));
  writeFileSync(join(dirname(target.outfile), 'ThirdPartyNotices.txt'), renderNotices(result.metafile, process.cwd(), 'MSAL Sign-In'));
}
