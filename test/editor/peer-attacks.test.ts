/**
 * The window channel against a process of the same user that is not a window (issue 11 §3): a
 * plain Node process, written here and importing nothing from src/, reads the registry under the
 * extension's global storage and speaks the channel's framing to a REAL signed-in editor
 * (code-server). It tries to read the token cache (`cache-state`), to inject a forged cache and a
 * sign-out (`cache-update`), and to listen (its own sockets listed in the registry, answering a
 * reloading window's catch-up with a forged cache). Whatever framing it uses — the old plain
 * JSON lines or envelopes of the new format made with a key of its own — it gets nothing and
 * changes nothing: the extension-host side (test/editor/auth/peer-attacks.ext-test.ts) compares
 * the stored cache byte for byte, the sessions and the accounts, before and after, and across a
 * reload.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { startBarrierServer } from './barrier-server.js';
import { installVsix, launchBrowser, runTestPage } from './harness.js';
import { AUTH_SUITE, CONSUMER_FIXTURE, reportExtensionTests, startEditorWithExtension, useIdpAndScratch, VSIX } from './sign-in-fixture.js';
import { bounded } from './ui/workbench.js';

const RUN_BOUND_MS = 120_000;
const TOPIC = 'msalSignIn.tokenCache.entra';

/**
 * The attacker: only node:* modules. It lists its own socket in the registry (in the old plain
 * format and as a JSON entry with a MAC of a key of its own, the socket in a folder named like the
 * channel's), answers every request there with a forged cache, and on `attack` sends every
 * listed peer read and inject requests in both framings. It reports on stdout, one JSON per line.
 */
const ATTACKER = String.raw`
import { createConnection, createServer } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createCipheriv, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';

const registry = process.env.ATTACK_REGISTRY;
const topic = process.env.ATTACK_TOPIC;
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');
const forgedCache = (who) => JSON.stringify({
  Account: { ['mallory-uid.' + who]: { home_account_id: 'mallory-uid.' + who, environment: 'login.microsoftonline.com', realm: 'organizations', local_account_id: 'mallory', username: 'mallory@' + who, authority_type: 'MSSTS' } },
  AccessToken: {}, RefreshToken: {}, IdToken: {}, AppMetadata: {},
});
const HUGE = 9007199254740991;

// Listen: a socket listed in the registry, answering with a forged cache.
const folder = mkdtempSync(join(tmpdir(), 'msal-signin-peer-'));
const socketPath = join(folder, 'peer.sock');
const heard = [];
const server = createServer((connection) => {
  connection.on('data', (chunk) => {
    heard.push(chunk.length);
    connection.end(JSON.stringify({ answer: { text: forgedCache('listener'), generation: HUGE } }) + '\n');
  });
  connection.on('error', () => undefined);
});
server.listen(socketPath, () => {
  const id = randomUUID();
  writeFileSync(join(registry, 'attacker-plain.peer'), socketPath);
  writeFileSync(join(registry, id + '.peer'), JSON.stringify({ v: 1, id, endpoint: socketPath, mac: createHmac('sha256', randomBytes(32)).update(id).digest('base64url') }));
  say({ ready: true, socketPath });
});

function exchange(endpoint, line) {
  return new Promise((resolve) => {
    const connection = createConnection(endpoint, () => connection.write(line));
    let text = '';
    connection.setEncoding('utf8');
    connection.setTimeout(5000, () => connection.destroy());
    connection.on('data', (chunk) => (text += chunk));
    connection.on('close', () => resolve(text));
    connection.on('error', () => undefined);
  });
}

/** An envelope of the new format, made with a key the attacker invented. */
function envelope(to, payload) {
  const key = randomBytes(32);
  const header = { v: 1, type: 'msg', from: randomUUID(), to, ts: Date.now(), nonce: randomBytes(16).toString('base64url') };
  const ivBytes = randomBytes(12);
  const iv = ivBytes.toString('base64url');
  const cipher = createCipheriv('aes-256-gcm', key, ivBytes);
  const data = Buffer.concat([cipher.update(JSON.stringify(payload)), cipher.final(), cipher.getAuthTag()]).toString('base64url');
  const mac = createHmac('sha256', key).update(JSON.stringify([1, 'msg', header.from, header.to, header.ts, header.nonce, '', iv, data])).digest('base64url');
  return JSON.stringify({ ...header, iv, data, mac }) + '\n';
}

async function attack() {
  const targets = [];
  for (const name of readdirSync(registry)) {
    if (!name.endsWith('.peer') || name.startsWith('attacker-')) continue;
    const raw = readFileSync(join(registry, name), 'utf8');
    let endpoint = raw;
    let id = name.slice(0, -'.peer'.length);
    try { const entry = JSON.parse(raw); endpoint = entry.endpoint; id = entry.id; } catch {}
    if (endpoint === socketPath) continue;
    targets.push({ id, endpoint });
  }
  const answers = [];
  for (const { id, endpoint } of targets) {
    const requests = [
      JSON.stringify({ kind: 'cache-state', topic }) + '\n',
      JSON.stringify({ kind: 'cache-update', topic, text: forgedCache('inject'), generation: HUGE }) + '\n',
      JSON.stringify({ kind: 'cache-update', topic, text: '{}', generation: HUGE }) + '\n',
      envelope(id, { kind: 'cache-state', topic }),
      envelope(id, { kind: 'cache-update', topic, text: forgedCache('inject'), generation: HUGE }),
      envelope(id, { kind: 'cache-update', topic, text: '{}', generation: HUGE }),
    ];
    for (const request of requests) answers.push(await exchange(endpoint, request));
  }
  return { targets: targets.length, answers };
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'attack') attack().then((result) => say({ attack: result }));
  if (line === 'report') say({ heard });
  if (line === 'quit') {
    server.close();
    rmSync(folder, { recursive: true, force: true });
    process.exit(0);
  }
});
`;

/** The attacker process and a way to ask it something and read its next report. */
function startAttacker(registry: string): { child: ChildProcess; next(command: string): Promise<Record<string, unknown>>; ready: Promise<Record<string, unknown>> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', ATTACKER], {
    env: { PATH: process.env.PATH, ATTACK_REGISTRY: registry, ATTACK_TOPIC: TOPIC },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting: ((value: Record<string, unknown>) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.(JSON.parse(line) as Record<string, unknown>));
  const read = () => bounded('the attacker', new Promise<Record<string, unknown>>((resolve) => waiting.push(resolve)), 30_000);
  const ready = read();
  return {
    child,
    ready,
    next: (command) => {
      const answer = read();
      child.stdin!.write(`${command}\n`);
      return answer;
    },
  };
}

/** The registry of the extension's channel under the editor's user data, once it exists. */
async function findRegistry(userDataDir: string): Promise<string> {
  const registry = join(userDataDir, 'User', 'globalStorage', 'msal-tools.msal-signin', 'peers');
  await bounded(
    `the registry ${registry}`,
    (async () => {
      while (!existsSync(registry) || readdirSync(registry).filter((name) => name.endsWith('.peer')).length === 0) {
        await new Promise((resolve) => setImmediate(resolve));
      }
    })(),
    10_000,
  );
  return registry;
}

describe('the window channel refuses a process that is not a window', () => {
  const suite = useIdpAndScratch('peer-attacks');

  test('read, inject and listen against a signed-in code-server: nothing read, nothing changed, across a reload', { timeout: 300_000 }, async (t) => {
    const { idp, scratch } = suite;
    const extensionsDir = join(scratch, 'extensions');
    const userDataDir = join(scratch, 'user-data');
    await installVsix(VSIX, extensionsDir);
    const coordinator = await startBarrierServer(2);
    const barrier = async (name: string) => {
      const response = await fetch(`${coordinator.url}/barrier/${name}`);
      assert.equal(response.status, 200, await response.text());
    };
    const server = await startEditorWithExtension(idp, { phase: 'peer-attacks', coordinator: coordinator.url, extensionsDir, userDataDir });
    const browser = await launchBrowser({ userDataDir: join(scratch, 'browser') });
    let attacker: ReturnType<typeof startAttacker> | undefined;
    try {
      const open = (name: string) => {
        const workspaceFolder = join(scratch, 'windows', name);
        mkdirSync(workspaceFolder, { recursive: true });
        return runTestPage(browser, server, { extensionDevelopmentPath: CONSUMER_FIXTURE, extensionTestsPath: AUTH_SUITE, workspaceFolder });
      };

      const first = await open('attacked-window');
      await bounded('the sign-in', barrier('signed-in'), RUN_BOUND_MS);
      const registry = await findRegistry(userDataDir);
      const windowEntries = readdirSync(registry).filter((name) => name.endsWith('.peer'));
      attacker = startAttacker(registry);
      await attacker.ready;

      // Read and inject: every request in either framing is dropped without an answer.
      const firstAttack = (await attacker.next('attack')).attack as { targets: number; answers: string[] };
      assert.equal(firstAttack.targets, windowEntries.length);
      assert.ok(firstAttack.targets >= 1, 'the signed-in window is listed');
      assert.deepEqual(firstAttack.answers, firstAttack.answers.map(() => ''), 'no request was answered');
      await bounded('the checks after the attack', barrier('attacked'), RUN_BOUND_MS);
      // Listen: the refresh is broadcast; the attacker's listed socket hears nothing.
      await bounded('the refresh', barrier('refreshed'), RUN_BOUND_MS);
      assert.deepEqual((await attacker.next('report')).heard, [], 'the broadcast of the rotated refresh token did not reach the attacker');
      const firstResult = await bounded('the attacked window', first.result, RUN_BOUND_MS);
      await reportExtensionTests(t, firstResult);
      assert.equal(firstResult.exitCode, 0, 'the attacked window failed');

      // The window goes; its extension host ends (it may already have, once its tests finished)
      // and takes its entry and socket with it.
      await first.page.close();

      // A reload: the new window catches up while the attacker's socket answers with a forged cache.
      const second = await open('reloaded-window');
      await bounded('the reloaded window', barrier('reloaded'), RUN_BOUND_MS);
      const secondAttack = (await attacker.next('attack')).attack as { targets: number; answers: string[] };
      assert.ok(secondAttack.targets >= 1);
      assert.deepEqual(secondAttack.answers, secondAttack.answers.map(() => ''), 'no request was answered');
      await bounded('the checks after the second attack', barrier('attacked-again'), RUN_BOUND_MS);
      assert.deepEqual((await attacker.next('report')).heard, [], "the reloaded window's catch-up did not reach the attacker");
      const secondResult = await bounded('the reloaded window', second.result, RUN_BOUND_MS);
      await reportExtensionTests(t, secondResult);
      assert.equal(secondResult.exitCode, 0, 'the reloaded window failed');
      // windowEntries was read before the attacker listed itself: the attacked window's entries only.
      assert.deepEqual(readdirSync(registry).filter((name) => windowEntries.includes(name)), [], 'the ended window left no registry entry');
    } finally {
      if (attacker?.child.exitCode === null) {
        attacker.child.stdin!.write('quit\n');
        await bounded('the attacker quitting', new Promise((resolve) => attacker!.child.once('exit', resolve)), 10_000).catch(() => attacker!.child.kill());
      }
      await browser.close();
      await server.stop();
      await coordinator.close();
    }
  });
});
