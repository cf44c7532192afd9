/**
 * The layering rule of src/core (STYLE.md): it imports only `jose` and its own files, never
 * `vscode`, `undici`, `node:*` or any other package, and it does not reach for Node globals
 * (`Buffer`, `process`). The sources are read as text and tokenised, so comments and strings that
 * merely mention a module do not count, and type-only imports (erased from out/) do.
 *
 * The other side of the rule: code outside the core (src/node, src/vscode, src/extension.ts)
 * enters it only through `src/core/index.ts`, its hand-written public list.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file holding package.json and src/core. */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'core'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('layering test: no package.json with src/core above this file');
    dir = parent;
  }
}

function listTsFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return listTsFiles(path);
      return name.endsWith('.ts') ? [path] : [];
    })
    .sort();
}

interface Token {
  type: 'ident' | 'string' | 'template' | 'regex' | 'number' | 'punct';
  value: string;
  line: number;
}

const REGEX_AFTER_KEYWORDS = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

/**
 * A small TypeScript tokeniser: enough to tell code from comments, strings, templates and regular
 * expressions. Template literal text is one token; the code inside `${}` is tokenised as code.
 */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  /** For each open `${`, the brace depth at which its `}` closes it. */
  const templateStack: number[] = [];
  let braceDepth = 0;

  const push = (type: Token['type'], value: string) => tokens.push({ type, value, line });
  const last = () => tokens[tokens.length - 1];
  const count = (text: string) => {
    for (const ch of text) if (ch === '\n') line += 1;
  };

  /** Reads template text from `i` (just after ` or }) to the closing ` or a `${`. */
  const readTemplate = () => {
    let text = '';
    while (i < source.length) {
      const ch = source[i];
      if (ch === '\\') {
        text += source.slice(i, i + 2);
        i += 2;
      } else if (ch === '`') {
        i += 1;
        push('template', text);
        count(text);
        return;
      } else if (ch === '$' && source[i + 1] === '{') {
        i += 2;
        push('template', text);
        count(text);
        templateStack.push(braceDepth);
        braceDepth += 1;
        return;
      } else {
        text += ch;
        i += 1;
      }
    }
    throw new Error('unterminated template literal');
  };

  while (i < source.length) {
    const ch = source[i];
    const next = source[i + 1];
    if (ch === '\n') {
      line += 1;
      i += 1;
    } else if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (ch === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new Error('unterminated comment');
      count(source.slice(i, end));
      i = end + 2;
    } else if (ch === '"' || ch === "'") {
      let value = '';
      i += 1;
      while (i < source.length && source[i] !== ch) {
        if (source[i] === '\\') {
          value += source[i + 1];
          i += 2;
        } else {
          if (source[i] === '\n') throw new Error(`line ${line}: unterminated string`);
          value += source[i];
          i += 1;
        }
      }
      i += 1;
      push('string', value);
    } else if (ch === '`') {
      i += 1;
      readTemplate();
    } else if (ch === '}' && templateStack.length > 0 && templateStack[templateStack.length - 1] === braceDepth - 1) {
      templateStack.pop();
      braceDepth -= 1;
      i += 1;
      readTemplate();
    } else if (ch === '/') {
      const before = last();
      const regexAllowed =
        before === undefined ||
        (before.type === 'punct' && before.value !== ')' && before.value !== ']') ||
        (before.type === 'ident' && REGEX_AFTER_KEYWORDS.has(before.value));
      if (regexAllowed) {
        let j = i + 1;
        let inClass = false;
        while (j < source.length) {
          const c = source[j];
          if (c === '\n') throw new Error(`line ${line}: unterminated regular expression`);
          if (c === '\\') j += 2;
          else if (c === '[') (inClass = true), (j += 1);
          else if (c === ']') (inClass = false), (j += 1);
          else if (c === '/' && !inClass) break;
          else j += 1;
        }
        j += 1;
        while (j < source.length && /[a-z]/i.test(source[j])) j += 1;
        push('regex', source.slice(i, j));
        i = j;
      } else {
        push('punct', ch);
        i += 1;
      }
    } else if (/[A-Za-z_$]/.test(ch)) {
      const word = /^[A-Za-z0-9_$]+/.exec(source.slice(i, i + 200))![0];
      push('ident', word);
      i += word.length;
    } else if (/[0-9]/.test(ch)) {
      const number = /^[0-9a-fA-FxXoObBn_.eE]+/.exec(source.slice(i, i + 100))![0];
      push('number', number);
      i += number.length;
    } else {
      if (ch === '{') braceDepth += 1;
      if (ch === '}') braceDepth -= 1;
      // Optional chaining `?.` is one punctuator, so `process?.env` reads like `process.env`.
      if (ch === '?' && next === '.' && !/[0-9]/.test(source[i + 2] ?? '')) {
        push('punct', '.');
        i += 2;
      } else {
        push('punct', ch);
        i += 1;
      }
    }
  }
  return tokens;
}

interface Finding {
  line: number;
  what: string;
}

/** Module specifiers a file loads (static, type-only, re-exports, dynamic import, require). */
export function findModuleSpecifiers(tokens: Token[]): { line: number; specifier: string }[] {
  const found: { line: number; specifier: string }[] = [];
  tokens.forEach((token, index) => {
    if (token.type !== 'string' && token.type !== 'template') return;
    const prev = tokens[index - 1];
    const prevPrev = tokens[index - 2];
    const isFrom = prev?.type === 'ident' && prev.value === 'from';
    const isSideEffectImport = prev?.type === 'ident' && prev.value === 'import';
    const isCall = prev?.type === 'punct' && prev.value === '(' && prevPrev?.type === 'ident' && (prevPrev.value === 'import' || prevPrev.value === 'require');
    if (isFrom || isSideEffectImport || isCall) found.push({ line: token.line, specifier: token.value });
  });
  return found;
}

/** Uses of Node globals: any `Buffer`, and `process.` / `process?.` (also as `globalThis.process`). */
export function findNodeGlobals(tokens: Token[]): Finding[] {
  const found: Finding[] = [];
  tokens.forEach((token, index) => {
    if (token.type !== 'ident') return;
    const prev = tokens[index - 1];
    const prevPrev = tokens[index - 2];
    const isProperty = prev?.type === 'punct' && prev.value === '.' && !(prevPrev?.type === 'ident' && prevPrev.value === 'globalThis');
    if (token.value === 'Buffer' && !isProperty) found.push({ line: token.line, what: 'Buffer' });
    if (token.value === 'process' && !isProperty && tokens[index + 1]?.value === '.') found.push({ line: token.line, what: 'process.' });
  });
  return found;
}

function isAllowedSpecifier(specifier: string): boolean {
  // jose's documented subpath exports ('jose/jwt/verify', ...) are jose too: importing them
  // instead of the whole index loads a third of the files (bench/, figure 6).
  return specifier === 'jose' || specifier.startsWith('jose/') || specifier.startsWith('./') || specifier.startsWith('../');
}

/**
 * The imports of `file` (outside src/core) that reach a core module other than its index, as
 * `<path>:<line> imports '<specifier>'` relative to `root`.
 */
export function coreImportsBesideIndex(file: string, source: string, root: string): string[] {
  const coreDir = join(root, 'src', 'core');
  const index = join(coreDir, 'index');
  const violations: string[] = [];
  for (const { line, specifier } of findModuleSpecifiers(tokenize(source))) {
    if (!specifier.startsWith('.')) continue;
    // out/ holds .js files next to the same names: `./core/index.js` is src/core/index.ts.
    const target = join(dirname(file), specifier).replace(/\.[cm]?[jt]s$/, '');
    if (relative(coreDir, target).startsWith('..')) continue;
    if (target !== index) violations.push(`${relative(root, file)}:${line} imports '${specifier}'`);
  }
  return violations;
}

describe('the scanner itself', () => {
  test('finds every kind of import', () => {
    const source = [
      "import * as vscode from 'vscode';",
      'import type { Dispatcher } from "undici";',
      "import 'node:process';",
      "export { x } from 'node:path';",
      "export * from './ok.js';",
      "const fs = await import('node:fs');",
      "const req = require('left-pad');",
      "type T = typeof import('vscode');",
      "import {\n  a,\n  b,\n} from 'jose';",
    ].join('\n');
    assert.deepEqual(
      findModuleSpecifiers(tokenize(source)).map((f) => `${f.line}:${f.specifier}`),
      ['1:vscode', '2:undici', '3:node:process', '4:node:path', '5:./ok.js', '6:node:fs', '7:left-pad', '8:vscode', '12:jose'],
    );
  });

  test('ignores comments, strings, templates and regular expressions that mention modules or globals', () => {
    const source = [
      "// import x from 'vscode'; process.env.X; Buffer.from('')",
      "/* import 'node:fs'; require('undici') */",
      "const a = \"import x from 'vscode'\";",
      "const b = `from 'node:fs' ${'x'} process.exit()`;",
      "const re = /from 'vscode'|\\/\\/[`'\"]/g; const half = 1 / 2; const c = '\\'';",
      "const url = 'https://example.com/x'; // process.env",
      "const inner = `a ${`b ${'c'}`} d`; const obj = { k: `${1}` };",
      "const processed = 1; const BufferLike = 2; obj.process.x; obj.Buffer;",
      "const d = a.b / 2 / 3;",
      "import ok from './ok.js';",
    ].join('\n');
    const tokens = tokenize(source);
    assert.deepEqual(
      findModuleSpecifiers(tokens).map((f) => f.specifier),
      ['./ok.js'],
    );
    assert.deepEqual(findNodeGlobals(tokens), []);
  });

  test('finds Buffer and process in code', () => {
    const source = ["const a = Buffer.from('x');", 'const b = process.env.HOME;', 'const c = globalThis.process?.versions;', 'let d: Buffer;', 'const e = process?.argv;'].join('\n');
    assert.deepEqual(
      findNodeGlobals(tokenize(source)).map((f) => `${f.line}:${f.what}`),
      ['1:Buffer', '2:process.', '3:process.', '4:Buffer', '5:process.'],
    );
  });
});

describe('the core-entry check itself', () => {
  const root = join('/', 'repo');
  test('flags a core module other than the index, with file and line, whatever the import form', () => {
    const source = [
      "import { AuthError } from '../core/index.js';",
      "import type { Platform } from '../core/platform.js';",
      "export { x } from '../core/grants/device-code.js';",
      "const m = await import('../core/http.js');",
      "// import { y } from '../core/errors.js';",
      "import { z } from './local.js';",
      "import { w } from '../core';",
    ].join('\n');
    assert.deepEqual(coreImportsBesideIndex(join(root, 'src', 'node', 'a.ts'), source, root), [
      "src/node/a.ts:2 imports '../core/platform.js'",
      "src/node/a.ts:3 imports '../core/grants/device-code.js'",
      "src/node/a.ts:4 imports '../core/http.js'",
      "src/node/a.ts:7 imports '../core'",
    ]);
  });

  test('reads paths from src/extension.ts, one level up', () => {
    const file = join(root, 'src', 'extension.ts');
    assert.deepEqual(coreImportsBesideIndex(file, "import { a } from './core/index.js';\nimport { b } from './core/http.js';", root), [
      "src/extension.ts:2 imports './core/http.js'",
    ]);
  });
});

describe('src/core layering', () => {
  const root = findRepoRoot();
  const coreDir = join(root, 'src', 'core');
  const files = listTsFiles(coreDir);

  test('src/core has source files to check', () => {
    assert.ok(files.length >= 10, `only ${files.length} files under ${coreDir}`);
    assert.ok(files.some((file) => file.endsWith(join('core', 'authority.ts'))));
  });

  test("every file imports only 'jose' or relative paths", () => {
    const violations: string[] = [];
    for (const file of files) {
      for (const { line, specifier } of findModuleSpecifiers(tokenize(readFileSync(file, 'utf8')))) {
        if (!isAllowedSpecifier(specifier)) violations.push(`${relative(root, file)}:${line} imports '${specifier}'`);
      }
    }
    assert.deepEqual(violations, [], `src/core must import only 'jose' and itself:\n${violations.join('\n')}`);
  });

  test('relative imports stay inside src/core', () => {
    const violations: string[] = [];
    for (const file of files) {
      for (const { line, specifier } of findModuleSpecifiers(tokenize(readFileSync(file, 'utf8')))) {
        if (!specifier.startsWith('.')) continue;
        const target = join(dirname(file), specifier);
        if (relative(coreDir, target).startsWith('..')) violations.push(`${relative(root, file)}:${line} imports '${specifier}'`);
      }
    }
    assert.deepEqual(violations, [], `src/core must not reach into other folders:\n${violations.join('\n')}`);
  });

  test('no file uses Buffer or process', () => {
    const violations: string[] = [];
    for (const file of files) {
      for (const { line, what } of findNodeGlobals(tokenize(readFileSync(file, 'utf8')))) {
        violations.push(`${relative(root, file)}:${line} uses ${what}`);
      }
    }
    assert.deepEqual(violations, [], `src/core must not use Node globals:\n${violations.join('\n')}`);
  });
});

describe('the core is entered through src/core/index.ts only', () => {
  const root = findRepoRoot();
  const files = [...listTsFiles(join(root, 'src', 'node')), ...listTsFiles(join(root, 'src', 'vscode')), join(root, 'src', 'extension.ts')];

  test('there are adapter files to check', () => {
    assert.ok(files.some((file) => file.endsWith(join('node', 'applications.ts'))));
    assert.ok(files.some((file) => file.endsWith(join('vscode', 'auth-provider.ts'))));
  });

  test('src/node, src/vscode and src/extension.ts import no core module but the index', () => {
    const violations = files.flatMap((file) => coreImportsBesideIndex(file, readFileSync(file, 'utf8'), root));
    assert.deepEqual(violations, [], `outside src/core, import the core from src/core/index.ts (export what is missing there):\n${violations.join('\n')}`);
  });
});
