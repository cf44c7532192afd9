/**
 * `npm start` for real: the demo comes up (identity provider + code-server with the extension),
 * its URL answers, SIGINT leaves no process and no open port behind, and a second start reuses
 * the cached package and installation.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findFreePort, repoRoot } from '../editor/harness.js';
import { READY_PREFIX } from './start.js';

const START = join(repoRoot, 'out', 'test', 'demo', 'start.js');
const stateDir = mkdtempSync(join(tmpdir(), 'msal-demo-test-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

interface RunningDemo {
  child: ChildProcess;
  url: string;
  idpPort: number;
  output: () => string;
  exited: Promise<number | string>;
}

/** Starts the demo script and waits, within `timeoutMs`, for its ready line. */
async function startDemo(ports: { idp: number; editor: number }, timeoutMs: number): Promise<RunningDemo> {
  const child = spawn(process.execPath, [START, '--no-browser'], {
    cwd: repoRoot,
    env: { ...process.env, MSAL_DEMO_STATE_DIR: stateDir, MSAL_DEMO_IDP_PORT: String(ports.idp), MSAL_DEMO_EDITOR_PORT: String(ports.editor) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((candidate) => candidate.startsWith(READY_PREFIX));
      if (line) {
        clearTimeout(timer);
        resolve(line.slice(READY_PREFIX.length).trim());
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}) before it was ready:\n${output}`));
    });
  });
  try {
    const url = await ready;
    const idpPort = Number(/identity provider: http:\/\/\S+:(\d+)/.exec(output)?.[1]);
    return { child, url, idpPort, output: () => output, exited };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/** Every process below `root`, read from /proc (Linux). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Field 4 of /proc/<pid>/stat, after the parenthesised command name.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parents) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); // a zombie is gone
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

/** Sends SIGINT and checks that the script, each of its processes and its ports are gone. */
async function stopAndCheck(demo: RunningDemo, editorPort: number): Promise<void> {
  const children = descendants(demo.child.pid!);
  assert.ok(children.length > 0, 'the demo started code-server');
  demo.child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([demo.exited, new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), 30_000)))]);
  clearTimeout(timer);
  assert.equal(code, 0, `the demo exits cleanly on SIGINT:\n${demo.output()}`);
  await waitUntil(() => children.every((pid) => !isAlive(pid)), 10_000, `processes ${children.filter(isAlive).join(', ')} still running`);
  assert.ok(await portIsClosed(editorPort), 'the editor port is closed');
  assert.ok(await portIsClosed(demo.idpPort), 'the identity provider port is closed');
}

test('npm start: ready with a working editor URL, SIGINT leaves nothing behind, a second start reuses the install', { timeout: 600_000 }, async () => {
  const ports = { idp: await findFreePort(), editor: await findFreePort() };
  const first = await startDemo(ports, 480_000);
  try {
    assert.equal(first.url, `http://127.0.0.1:${ports.editor}/`);
    assert.equal(first.idpPort, ports.idp);
    assert.equal((await fetch(new URL('healthz', first.url))).status, 200);
    const workbench = await fetch(first.url);
    assert.equal(workbench.status, 200);
    assert.match(await workbench.text(), /<html/i);
    assert.equal(await portIsClosed(ports.idp), false, 'the identity provider listens');
  } finally {
    await stopAndCheck(first, ports.editor);
  }

  const started = Date.now();
  const second = await startDemo(ports, 60_000);
  const seconds = (Date.now() - started) / 1000;
  try {
    assert.doesNotMatch(second.output(), /packaging|installing/, 'nothing is packaged or installed again');
    assert.ok(seconds < 30, `the second start took ${seconds} s`);
    console.log(`second start ready in ${seconds.toFixed(1)} s`);
  } finally {
    await stopAndCheck(second, ports.editor);
  }
});
