/**
 * What ships: builds the bundle with scripts/bundle.mjs and the .vsix with vsce exactly as
 * `npm run package` does (its arguments are read from package.json's "package" script), once, and
 * then reads the .vsix itself, as a user's editor and the registries do:
 * - the package stays small: the Node bundle at most 200 KB, the browser bundle at most 150 KB,
 *   the .vsix at most 200 KB, and undici (the Node client for programs outside the editor) never
 *   in a bundle; package.json names both bundles (`main`, `browser`);
 * - every npm package whose files went into a bundle (esbuild's metafile) is in the
 *   ThirdPartyNotices.txt shipped next to it with the full text of its licence file;
 * - the .vsix holds nothing outside an allow-list;
 * - every image the packaged README (EXTENSION.md) shows is a file of the package, and it has no
 *   relative link that would point nowhere, nor contributor material;
 * - the browser build (web worker extension host) refuses Node built-ins.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const BUNDLE_BUDGET = 200 * 1024;
/**
 * The web worker fetches and parses the whole file before the extension activates. Issue 14's
 * budget; met since public applications stopped carrying confidential-client code and DPoP moved
 * to WebCrypto (scripts/bundle-report.mjs shows what each module costs).
 */
const WEB_BUNDLE_BUDGET = 150 * 1024;
/** Two bundles since the browser build (each about 50 KB compressed), the screenshots, the READMEs. */
const VSIX_BUDGET = 200 * 1024;

/** Files the .vsix must hold. */
const REQUIRED = [
  'extension/package.json',
  'extension/readme.md',
  'extension/changelog.md',
  'extension/LICENSE.txt',
  'extension/dist/extension.cjs',
  'extension/dist/ThirdPartyNotices.txt',
  'extension/dist/web/extension.cjs',
  'extension/dist/web/ThirdPartyNotices.txt',
  'extension/media/icon.png',
];
/** Every file the .vsix may hold; anything else fails. */
const ALLOWED: (string | RegExp)[] = [
  ...REQUIRED,
  'extension.vsixmanifest',
  '[Content_Types].xml',
  'extension/package.nls.json',
  'extension/media/signed-in.html',
  /^extension\/media\/screenshots\/[a-z0-9-]+\.png$/,
];
/** The two bundles: where they are built, their budget, and the package.json field that names them. */
const BUNDLES = [
  { file: 'dist/extension.cjs', budget: BUNDLE_BUDGET, field: 'main' },
  { file: 'dist/web/extension.cjs', budget: WEB_BUNDLE_BUDGET, field: 'browser' },
] as const;

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'scripts', 'bundle.mjs'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no scripts/bundle.mjs above this file');
    dir = parent;
  }
  return dir;
}

/** The entries of a zip file, by name: its central directory, each entry stored or deflated. */
function readZip(file: string): Map<string, Buffer> {
  const zip = readFileSync(file);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, `${file} has no zip end record`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    assert.ok(method === 0 || method === 8, `${name}: zip method ${method}`);
    entries.set(name, method === 0 ? Buffer.from(data) : inflateRawSync(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** vsce's arguments in package.json's "package" script, writing the .vsix to `out` instead. */
function vsceArguments(root: string, out: string): string[] {
  const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['package']!;
  const args = script.slice(script.indexOf('vsce ') + 'vsce '.length).trim().split(/\s+/);
  assert.equal(args[0], 'package', `the "package" script runs vsce package: ${script}`);
  const outAt = args.indexOf('--out');
  assert.ok(outAt > 0, 'the "package" script names its output with --out');
  args[outAt + 1] = out;
  return args;
}

/** The npm packages whose files esbuild put into the bundle, by package directory. */
function bundledPackageDirs(meta: { inputs: Record<string, unknown> }): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const input of Object.keys(meta.inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input.replaceAll('\\', '/'));
    if (match) dirs.set(match[1]!, match[2]!);
  }
  return dirs;
}

/** Images (markdown and <img>) and other relative links of a markdown text. */
function references(markdown: string): { images: string[]; relativeLinks: string[] } {
  const images: string[] = [];
  const relativeLinks: string[] = [];
  for (const match of markdown.matchAll(/(!?)\[(?:[^\]\[]|!\[[^\]\[]*\]\([^)]+\))*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (match[1]) images.push(match[2]!);
    else if (!/^(?:[a-z][a-z0-9+.-]*:|#)/i.test(match[2]!)) relativeLinks.push(match[2]!);
  }
  for (const match of markdown.matchAll(/<img\b[^>]*\bsrc=["']([^"']+)["']/gi)) images.push(match[1]!);
  return { images, relativeLinks };
}

describe('the packaged extension', () => {
  const root = findRepoRoot();
  let tmp: string;
  let vsix: string;
  let entries: Map<string, Buffer>;
  let vsceOutput: string;

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'msal-signin-package-'));
    // vsce packages dist/extension.cjs (see .vscodeignore), so the bundle goes there.
    execFileSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], { cwd: root, stdio: 'pipe' });
    vsix = join(tmp, 'msal-signin.vsix');
    const vsce = spawnSync(process.execPath, [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), ...vsceArguments(root, vsix)], { cwd: root, encoding: 'utf8' });
    assert.equal(vsce.status, 0, vsce.stderr);
    vsceOutput = vsce.stdout + vsce.stderr;
    entries = readZip(vsix);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('each bundle and the .vsix stay within their size budgets, without undici; package.json names both bundles', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    const sizes: string[] = [];
    for (const { file, budget, field } of BUNDLES) {
      assert.equal(manifest[field], `./${file}`, `package.json "${field}"`);
      const bundle = join(root, file);
      const bundleSize = statSync(bundle).size;
      assert.ok(bundleSize <= budget, `${file} is ${bundleSize} bytes, budget ${budget}`);
      sizes.push(`${file} ${bundleSize} bytes`);

      const meta = JSON.parse(readFileSync(`${bundle}.meta.json`, 'utf8')) as { inputs: Record<string, { imports: { path: string }[] }> };
      const inputs = Object.keys(meta.inputs);
      assert.deepEqual(inputs.filter((path) => /node_modules[\\/]undici[\\/]/.test(path)), [], `no undici source is bundled in ${file}`);
      const externalImports = Object.values(meta.inputs).flatMap((input) => input.imports.map((imported) => imported.path));
      assert.ok(!externalImports.some((path) => path === 'undici' || path.startsWith('undici/')), `nothing in ${file} imports undici`);
    }

    assert.doesNotMatch(vsceOutput, /WARNING/i, 'vsce packages without warnings');
    const vsixSize = statSync(vsix).size;
    assert.ok(vsixSize <= VSIX_BUDGET, `.vsix is ${vsixSize} bytes, budget ${VSIX_BUDGET}`);
    console.log(`${sizes.join(', ')}, .vsix ${vsixSize} bytes`);
  });

  for (const { file } of BUNDLES) {
    test(`the ThirdPartyNotices.txt next to ${file} ships every package bundled there with its licence text`, () => {
      const meta = JSON.parse(readFileSync(join(root, `${file}.meta.json`), 'utf8')) as { inputs: Record<string, unknown> };
      const packages = bundledPackageDirs(meta);
      assert.ok([...packages.values()].includes('jose'), 'the bundle holds jose (the metafile is read right)');
      const shipped = entries.get(`extension/${dirname(file)}/ThirdPartyNotices.txt`);
      assert.ok(shipped, `the .vsix holds ${dirname(file)}/ThirdPartyNotices.txt`);
      const notices = shipped.toString('utf8');
      for (const [dir, name] of packages) {
        const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { version: string };
        assert.ok(notices.includes(`\n${name} ${manifest.version}\n`), `${name} ${manifest.version} (${dir}) is bundled but not in the notices`);
        const licenseFile = readdirSync(join(root, dir)).find((candidate) => /^(licen[cs]e|copying)(\.|-|$)/i.test(candidate));
        assert.ok(licenseFile, `${name} has a licence file`);
        const text = readFileSync(join(root, dir, licenseFile), 'utf8').replace(/\r\n/g, '\n').trim();
        assert.ok(notices.includes(text), `the notices hold ${name}'s licence text (${licenseFile}) in full`);
      }
      assert.match(entries.get(`extension/${file}`)!.toString('utf8', 0, 200), /^\/\*! .*ThirdPartyNotices\.txt \*\//, 'the bundle names the notices file');
    });
  }

  test('the .vsix holds only allowed files, and the ones it needs', () => {
    const names = [...entries.keys()];
    const outside = names.filter((name) => !ALLOWED.some((allowed) => (typeof allowed === 'string' ? allowed === name : allowed.test(name))));
    assert.deepEqual(outside, [], 'files outside the allow-list (add them to ALLOWED only if users need them)');
    for (const name of REQUIRED) assert.ok(entries.has(name), `the .vsix holds ${name}`);
  });

  test('the packaged README shows only images in the package, links nowhere relative, and is for users', () => {
    const readme = entries.get('extension/readme.md')!.toString('utf8');
    assert.equal(readme, readFileSync(join(root, 'EXTENSION.md'), 'utf8'), 'the packaged README is EXTENSION.md, unchanged');
    const { images, relativeLinks } = references(readme);
    assert.ok(images.length >= 2, 'the README shows its screenshots');
    for (const image of images) {
      // A relative path names a file of the package; a release packaged with --baseImagesUrl has
      // https URLs ending in that path (CONTRIBUTING.md), which cannot be fetched from here.
      const https = /^https:\/\/[^/]+\/(?:.*\/)?(media\/.+)$/.exec(image);
      const path = https ? https[1]! : image.replace(/^\.\//, '');
      assert.doesNotMatch(path, /^[a-z][a-z0-9+.-]*:/i, `${image}: an image of the README is a file of the package, by relative path or an https URL ending in it`);
      assert.ok(entries.has(`extension/${path}`), `${image} is in the .vsix`);
    }
    assert.deepEqual(relativeLinks, [], 'relative links of the packaged README point nowhere on the registries');
    assert.doesNotMatch(readme, /\bnpm (?:start|test|run)\b|\b(?:src|test|scripts)\/[\w.-]/, 'the packaged README has no contributor material');
    const changelog = entries.get('extension/changelog.md')!.toString('utf8');
    assert.deepEqual(references(changelog).images, [], 'the changelog shows no images');
    assert.deepEqual(references(changelog).relativeLinks, [], 'the changelog has no relative links');
  });
});

describe('the browser bundle (web worker extension host)', () => {
  const root = findRepoRoot();

  // The web worker host runs the bundle as CommonJS whose `require` knows only `vscode`: an import
  // of a Node built-in, with or without `node:`, must stop the build rather than fail at load.
  test('a Node built-in stops the build; `vscode` stays the only require', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'msal-signin-web-bundle-'));
    try {
      const bundle = (entry: string, source: string) => {
        writeFileSync(join(tmp, entry), source);
        return spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs'), join(tmp, 'node', 'extension.cjs'), `--web-entry=${join(tmp, entry)}`, `--web-outfile=${join(tmp, 'web', 'extension.js')}`], { cwd: root, encoding: 'utf8' });
      };
      const peers = JSON.stringify(join(root, 'src', 'vscode', 'broadcast-peers.ts'));
      const good = bundle('good.ts', `import * as vscode from 'vscode';\nimport { BroadcastPeers } from ${peers};\nexport const activate = () => [vscode.env, BroadcastPeers];\n`);
      assert.equal(good.status, 0, good.stderr);
      const built = readFileSync(join(tmp, 'web', 'extension.js'), 'utf8');
      assert.deepEqual([...new Set(built.match(/require\("[^"]*"\)/g))], ['require("vscode")']);
      for (const source of [`import { readFile } from 'node:fs/promises';\nexport const x = readFile;\n`, `import { join } from 'path';\nexport const x = join;\n`]) {
        const bad = bundle('bad.ts', source);
        assert.notEqual(bad.status, 0, source);
        assert.match(bad.stderr, /the browser bundle cannot use the Node built-in "(node:fs\/promises|path)"/);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
