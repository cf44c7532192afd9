import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { PeerChannel, REPLAY_WINDOW_MS, type PeerMessage, type PeerSecret } from '../../../src/node/peer-channel.js';
import { adoptingSecret } from '../../support/adopting-secret.js';
import { buildEnvelope, type EnvelopeFields } from '../../support/peer-envelope-builder.js';

const scratch = mkdtempSync(join(tmpdir(), 'peer-channel-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const freshRegistry = () => join(scratch, `registry-${++folders}`);
const KEY = randomBytes(32);
const fixed = (key: Uint8Array): PeerSecret => ({ current: () => key });

/** A peer that records what it applied; `gate` holds the apply until released. */
async function openPeer(registry: string, options: { gate?: Promise<void>; timeoutMs?: number; secret?: PeerSecret; now?: () => number } = {}) {
  const received: PeerMessage[] = [];
  const warnings: string[] = [];
  const channel = await PeerChannel.open(
    registry,
    options.secret ?? fixed(KEY),
    async (message) => {
      await options.gate;
      received.push(message);
      return { handled: received.length };
    },
    (warning) => warnings.push(warning),
    { timeoutMs: options.timeoutMs, now: options.now },
  );
  return { channel, received, warnings };
}

function entryOf(registry: string, id: string): { id: string; endpoint: string; mac: string } {
  return JSON.parse(readFileSync(join(registry, `${id}.peer`), 'utf8'));
}

/** Connects as any process of the user can, writes `payload`, resolves with everything answered. */
function exchange(endpoint: string, payload: string): Promise<string> {
  return new Promise((resolve) => {
    const connection = createConnection(endpoint, () => connection.write(payload));
    let text = '';
    connection.setEncoding('utf8');
    connection.on('data', (chunk: string) => (text += chunk));
    connection.on('close', () => resolve(text));
    connection.on('error', () => undefined);
  });
}

/** The documented envelope under this channel's labels, one line (test/support/peer-envelope-builder.ts). */
function envelope(key: Uint8Array, fields: Omit<EnvelopeFields, 'type'> & { type?: 'msg' | 'ans' }, payload: unknown): string {
  return `${buildEnvelope('msal-signin peer-channel v1', key, { ...fields, type: fields.type ?? 'msg' }, payload)}\n`;
}

describe('PeerChannel: peers holding the key', () => {
  test('a broadcast reaches every other peer, not the sender, and resolves with their answers once handled', { timeout: 10_000 }, async () => {
    const registry = freshRegistry();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const [a, b, c] = [await openPeer(registry), await openPeer(registry, { gate }), await openPeer(registry)];
    let settled = false;
    const sent = a.channel.broadcast({ topic: 'cache', text: '{"Account":{}}' }).then((answers) => {
      settled = true;
      return answers;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'waits for the slow peer');
    release();
    assert.deepEqual(await sent, [{ handled: 1 }, { handled: 1 }]);
    assert.deepEqual(a.received, []);
    assert.deepEqual(b.received, [{ topic: 'cache', text: '{"Account":{}}' }]);
    assert.deepEqual(c.received, [{ topic: 'cache', text: '{"Account":{}}' }]);
    for (const peer of [a, b, c]) await peer.channel.close();
  });

  test('a peer that does not answer in time is passed over with a warning; the others still get it', { timeout: 10_000 }, async () => {
    const registry = freshRegistry();
    const a = await openPeer(registry, { timeoutMs: 200 });
    const stuck = await openPeer(registry, { gate: new Promise(() => undefined) });
    const c = await openPeer(registry);
    assert.deepEqual(await a.channel.broadcast({ topic: 't' }), [{ handled: 1 }]);
    assert.deepEqual(c.received, [{ topic: 't' }]);
    assert.match(a.warnings.join('\n'), /did not answer: ETIMEDOUT/);
    assert.equal(readdirSync(registry).length, 3, 'a slow peer is not a dead one: it stays listed');
    for (const peer of [a, stuck, c]) await peer.channel.close();
  });

  test('a window whose key changed (windows that started together converge) is heard after a recheck', { timeout: 10_000 }, async () => {
    const registry = freshRegistry();
    // B starts with a key of its own and adopts the older one A holds when it rechecks.
    const { secret, rechecks } = adoptingSecret(randomBytes(32), KEY);
    const b = await openPeer(registry, { secret });
    const a = await openPeer(registry);
    // B's entry is MACed with its old key: A does not send to it until B re-lists.
    assert.deepEqual(await a.channel.broadcast({ topic: 't' }), []);
    // B hears A once it rechecked its key (a message of A's arrives first).
    const raw = await exchange(entryOf(registry, b.channel.id).endpoint, envelope(KEY, { from: a.channel.id, to: b.channel.id, ts: Date.now() }, { topic: 'hello' }));
    assert.ok(raw.length > 0, 'answered after the recheck');
    assert.equal(rechecks(), 1);
    assert.deepEqual(b.received, [{ topic: 'hello' }]);
    assert.deepEqual(await a.channel.broadcast({ topic: 't' }), [{ handled: 2 }], 'B re-listed under the shared key');
    for (const peer of [a, b]) await peer.channel.close();
  });
});

describe('PeerChannel: a process without the key gets nothing and changes nothing', () => {
  test('unauthenticated, malformed, misaddressed, stale and replayed messages are dropped unanswered', { timeout: 10_000 }, async () => {
    const registry = freshRegistry();
    let clock = Date.now();
    const b = await openPeer(registry, { now: () => clock });
    const { endpoint } = entryOf(registry, b.channel.id);
    const to = b.channel.id;
    const from = 'attacker';
    const plain = JSON.stringify({ kind: 'cache-state', topic: 'msalSignIn.tokenCache.entra' });
    const refused = [
      ['the old plain format', `${plain}\n`],
      ['not JSON', 'not json\n'],
      ['an array', '[1,2]\n'],
      ['another key', envelope(randomBytes(32), { from, to, ts: clock }, { kind: 'cache-state' })],
      ['a forged MAC', envelope(KEY, { from, to, ts: clock }, { kind: 'cache-state' }).replace(/"mac":"[^"]+"/, `"mac":"${'A'.repeat(43)}"`)],
      ['another recipient', envelope(KEY, { from, to: 'someone-else', ts: clock }, { kind: 'cache-state' })],
      ['from itself', envelope(KEY, { from: to, to, ts: clock }, { kind: 'cache-state' })],
      ['an answer, not a message', envelope(KEY, { type: 'ans', from, to, ts: clock }, { kind: 'cache-state' })],
      ['too old', envelope(KEY, { from, to, ts: clock - REPLAY_WINDOW_MS - 1 }, { kind: 'cache-state' })],
      ['from the future', envelope(KEY, { from, to, ts: clock + REPLAY_WINDOW_MS + 1 }, { kind: 'cache-state' })],
    ] as const;
    for (const [what, line] of refused) assert.equal(await exchange(endpoint, line), '', what);
    assert.deepEqual(b.received, []);
    assert.equal(b.warnings.length, 1, 'one warning a minute however many were dropped');
    assert.match(b.warnings[0]!, /dropped 1 message/);

    // A message of a key holder, recorded and replayed: handled once.
    const recorded = envelope(KEY, { from, to, ts: clock }, { topic: 'once' });
    assert.notEqual(await exchange(endpoint, recorded), '');
    assert.equal(await exchange(endpoint, recorded), '', 'replayed at once');
    clock += REPLAY_WINDOW_MS + 1;
    assert.equal(await exchange(endpoint, recorded), '', 'replayed after the window: too old');
    assert.deepEqual(b.received, [{ topic: 'once' }]);
    await b.channel.close();
  });

  test('an answer does not reveal the payload and binds the request', { timeout: 10_000 }, async () => {
    const registry = freshRegistry();
    const b = await openPeer(registry);
    const { endpoint } = entryOf(registry, b.channel.id);
    const request = envelope(KEY, { from: 'a', to: b.channel.id, ts: Date.now(), nonce: 'n'.repeat(22) }, { topic: 'token-secret-in-message' });
    const answer = JSON.parse(await exchange(endpoint, request)) as Record<string, unknown>;
    assert.equal(answer.type, 'ans');
    assert.equal(answer.re, 'n'.repeat(22));
    assert.equal(answer.to, 'a');
    assert.equal(answer.from, b.channel.id);
    assert.ok(!JSON.stringify(answer).includes('handled'), 'the answer travels encrypted');
    await b.channel.close();
  });

  test('registry entries this key did not make are ignored: a foreign listener receives nothing', { timeout: 10_000 }, async () => {
    const registry = freshRegistry();
    const a = await openPeer(registry);
    // The attacker's listener, in a folder shaped exactly like ours.
    const folder = mkdtempSync(join(tmpdir(), 'msal-signin-peer-'));
    const socket = join(folder, 'peer.sock');
    const heard: string[] = [];
    const listener: Server = createServer((connection) => connection.on('data', (chunk) => heard.push(chunk.toString())));
    await new Promise<void>((resolve) => listener.listen(socket, resolve));
    const wrongKey = createHmac('sha256', randomBytes(32)).update('x').digest('base64url');
    writeFileSync(join(registry, 'plain.peer'), socket); // the old format
    writeFileSync(join(registry, 'nomac.peer'), JSON.stringify({ v: 1, id: 'nomac', endpoint: socket, mac: '' }));
    writeFileSync(join(registry, 'forged.peer'), JSON.stringify({ v: 1, id: 'forged', endpoint: socket, mac: wrongKey }));
    // Even a correctly MACed entry (a window of another key) pointing outside our folders is ignored.
    const derived = Buffer.from(hkdfSync('sha256', KEY, new Uint8Array(0), 'msal-signin peer-channel v1 registry', 32));
    const elsewhere = join(scratch, 'elsewhere.sock');
    const mac = createHmac('sha256', derived).update(JSON.stringify([1, 'entry', 'elsewhere', elsewhere])).digest('base64url');
    writeFileSync(join(registry, 'elsewhere.peer'), JSON.stringify({ v: 1, id: 'elsewhere', endpoint: elsewhere, mac }));
    assert.deepEqual(await a.channel.broadcast({ topic: 'cache', text: 'refresh-token-secret' }), []);
    assert.deepEqual(heard, []);
    await a.channel.close();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    rmSync(folder, { recursive: true, force: true });
  });

  test('a process that takes over the path of a listed socket receives only ciphertext and cannot answer', { timeout: 10_000, skip: process.platform === 'win32' }, async () => {
    const registry = freshRegistry();
    const a = await openPeer(registry);
    const b = await openPeer(registry);
    const { endpoint } = entryOf(registry, b.channel.id);
    unlinkSync(endpoint); // same user: it may enter the 0700 folder
    const heard: string[] = [];
    const impostor: Server = createServer((connection) =>
      connection.on('data', (chunk) => {
        heard.push(chunk.toString());
        // Answers with a replay of the request and with garbage: neither is taken.
        connection.end(`${chunk.toString().split('\n')[0]}\n`);
      }),
    );
    await new Promise<void>((resolve) => impostor.listen(endpoint, resolve));
    assert.deepEqual(await a.channel.broadcast({ topic: 'cache', text: 'refresh-token-secret' }), []);
    assert.equal(heard.length, 1);
    assert.ok(!heard[0]!.includes('refresh-token-secret') && !heard[0]!.includes('cache'), 'the payload is encrypted');
    await new Promise<void>((resolve) => impostor.close(() => resolve()));
    for (const peer of [a, b]) await peer.channel.close();
  });
});

describe('PeerChannel: nothing is left behind', () => {
  test('closing leaves the registry and removes the socket', { timeout: 10_000 }, async () => {
    const registry = freshRegistry();
    const peer = await openPeer(registry);
    const { endpoint } = entryOf(registry, peer.channel.id);
    assert.ok(existsSync(endpoint));
    await peer.channel.close();
    assert.deepEqual(readdirSync(registry), []);
    assert.equal(existsSync(dirname(endpoint)), false);
  });

  test('a process that exits without closing removes its entry and socket folder', { timeout: 20_000, skip: process.platform === 'win32' }, async () => {
    const registry = freshRegistry();
    const module = fileURLToPath(new URL('../../../src/node/peer-channel.js', import.meta.url));
    const script = `
      const { PeerChannel } = await import(${JSON.stringify(module)});
      const channel = await PeerChannel.open(${JSON.stringify(registry)}, { current: () => Buffer.alloc(32, 7) }, async () => null, () => undefined);
      const { readFileSync } = await import('node:fs');
      const entry = JSON.parse(readFileSync(${JSON.stringify(registry)} + '/' + channel.id + '.peer', 'utf8'));
      console.log(JSON.stringify({ id: channel.id, endpoint: entry.endpoint }));
      process.exit(0);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    const { endpoint } = JSON.parse(out) as { endpoint: string };
    assert.match(endpoint, /msal-signin-peer-/);
    assert.deepEqual(readdirSync(registry), [], 'entry removed at exit');
    assert.equal(existsSync(dirname(endpoint)), false, 'socket folder removed at exit');
  });

  test('at open, entries and socket folders of ended processes are swept; live ones and foreign folders stay', { timeout: 10_000, skip: process.platform === 'win32' }, async () => {
    const registry = freshRegistry();
    const live = await openPeer(registry);
    // What a killed process leaves: a folder with a dead socket file, an entry pointing to it.
    const deadFolder = mkdtempSync(join(tmpdir(), 'msal-signin-peer-'));
    const deadSocket = join(deadFolder, 'peer.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(deadSocket, resolve));
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
    });
    writeFileSync(deadSocket, ''); // close() unlinked it; a killed process leaves a file behind
    const old = new Date(Date.now() - 5 * 60_000);
    utimesSync(deadFolder, old, old);
    writeFileSync(join(registry, 'dead.peer'), JSON.stringify({ v: 1, id: 'dead', endpoint: deadSocket, mac: 'x' }));
    writeFileSync(join(registry, 'garbage.peer'), 'not json');
    // A folder that merely shares the prefix but holds other files is not ours.
    const foreign = mkdtempSync(join(tmpdir(), 'msal-signin-peer-'));
    writeFileSync(join(foreign, 'notes.txt'), 'keep');
    utimesSync(foreign, old, old);

    const next = await openPeer(registry);
    assert.deepEqual(readdirSync(registry).sort(), [`${live.channel.id}.peer`, `${next.channel.id}.peer`].sort());
    assert.equal(existsSync(deadFolder), false, 'dead socket folder swept');
    assert.equal(existsSync(foreign), true, 'a folder that is not ours stays');
    assert.ok(existsSync(entryOf(registry, live.channel.id).endpoint), 'the live peer keeps its socket');
    rmSync(foreign, { recursive: true, force: true });
    for (const peer of [live, next]) await peer.channel.close();
  });

  test('the socket folder and the registry are private to their owner', { timeout: 10_000, skip: process.platform === 'win32' }, async () => {
    const registry = freshRegistry();
    const peer = await openPeer(registry);
    const { endpoint } = entryOf(registry, peer.channel.id);
    assert.equal(statSync(dirname(endpoint)).mode & 0o077, 0);
    assert.equal(statSync(join(registry, `${peer.channel.id}.peer`)).mode & 0o077, 0);
    await peer.channel.close();
  });
});
