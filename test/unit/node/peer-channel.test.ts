import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PeerChannel, type PeerMessage } from '../../../src/node/peer-channel.js';

const scratch = mkdtempSync(join(tmpdir(), 'peer-channel-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const freshRegistry = () => join(scratch, `registry-${++folders}`);

/** A peer that records what it applied; `gate` holds the apply until released. */
async function openPeer(registry: string, options: { gate?: Promise<void>; timeoutMs?: number } = {}) {
  const received: PeerMessage[] = [];
  const warnings: string[] = [];
  const channel = await PeerChannel.open(
    registry,
    async (message) => {
      await options.gate;
      received.push(message);
      return { handled: received.length };
    },
    (warning) => warnings.push(warning),
    { timeoutMs: options.timeoutMs },
  );
  return { channel, received, warnings };
}

describe('PeerChannel', () => {
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

  test('closing leaves the registry and removes the socket', { timeout: 10_000 }, async () => {
    const registry = freshRegistry();
    const peer = await openPeer(registry);
    const [entry] = readdirSync(registry);
    const socket = readFileSync(join(registry, entry!), 'utf8');
    assert.ok(existsSync(socket));
    await peer.channel.close();
    assert.deepEqual(readdirSync(registry), []);
    assert.equal(existsSync(dirname(socket)), false);
  });

  test('an entry of a process that ended without closing is removed at the next broadcast', { timeout: 10_000 }, async () => {
    const registry = freshRegistry();
    const a = await openPeer(registry);
    const live = readdirSync(registry);
    writeFileSync(join(registry, 'ended.peer'), join(scratch, 'no-such-socket.sock'));
    await a.channel.broadcast({ topic: 't', text: 'x' });
    assert.deepEqual(readdirSync(registry), live);
    assert.deepEqual(a.warnings, []);
    await a.channel.close();
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

  test('a malformed message is dropped with a warning and not answered', { timeout: 10_000 }, async () => {
    const registry = freshRegistry();
    const peer = await openPeer(registry);
    const socket = readFileSync(join(registry, readdirSync(registry)[0]!), 'utf8');
    const answer = (payload: string) =>
      new Promise<string>((resolve) => {
        const connection = createConnection(socket, () => connection.end(payload));
        let text = '';
        connection.setEncoding('utf8');
        connection.on('data', (chunk: string) => (text += chunk));
        connection.on('close', () => resolve(text));
        connection.on('error', () => undefined);
      });
    assert.equal(await answer('not json\n'), '');
    assert.equal(await answer('[1,2]\n'), '');
    assert.deepEqual(peer.received, []);
    assert.equal(peer.warnings.length, 2);
    assert.equal(await answer(`${JSON.stringify({ topic: 't', text: 'ok' })}\n`), '{"answer":{"handled":1}}\n');
    assert.deepEqual(peer.received, [{ topic: 't', text: 'ok' }]);
    await peer.channel.close();
  });

  test('the socket folder is private to its owner', { timeout: 10_000, skip: process.platform === 'win32' }, async () => {
    const registry = freshRegistry();
    const peer = await openPeer(registry);
    const socket = readFileSync(join(registry, readdirSync(registry)[0]!), 'utf8');
    const { statSync } = await import('node:fs');
    assert.equal(statSync(dirname(socket)).mode & 0o077, 0);
    await peer.channel.close();
  });
});
