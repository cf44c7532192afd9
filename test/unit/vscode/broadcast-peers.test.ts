import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { PeerChannel } from '../../../src/node/peer-channel.js';
import { BroadcastPeers, REPLAY_WINDOW_MS, type PeerMessage, type PeerSecret } from '../../../src/vscode/broadcast-peers.js';
import { adoptingSecret } from '../../support/adopting-secret.js';
import { buildEnvelope, type EnvelopeFields } from '../../support/peer-envelope-builder.js';

const KEY = randomBytes(32);
const fixed = (key: Uint8Array): PeerSecret => ({ current: () => key });
const freshChannelName = () => `broadcast-peers-test-${randomUUID()}`;
/** Closed after the tests whatever happened: an open channel keeps the process alive. */
const opened: { close(): unknown }[] = [];
after(() => Promise.all(opened.map((channel) => channel.close())));

/** Wakes waiters whenever something they watch may have changed. */
class Signal {
  private waiters: (() => void)[] = [];

  notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once `check` holds (checked now and at every notify); the test's timeout bounds it. */
  async until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise<void>((wake) => this.waiters.push(wake));
  }
}

interface Link {
  link: BroadcastPeers;
  received: PeerMessage[];
  warnings: string[];
  peers: readonly string[];
  signal: Signal;
}

/** A link that records what it applied; `gate` holds the apply until released. */
async function openLink(
  channelName: string,
  options: { secret?: PeerSecret; gate?: Promise<void>; fail?: boolean; timeoutMs?: number; now?: () => number; rollCallMs?: number } = {},
): Promise<Link> {
  const signal = new Signal();
  const state: Omit<Link, 'link'> = { received: [], warnings: [], peers: [], signal };
  const link = await BroadcastPeers.open(
    options.secret ?? fixed(KEY),
    async (message) => {
      await options.gate;
      if (options.fail) throw new TypeError('cannot apply');
      state.received.push(message);
      signal.notify();
      return { handled: state.received.length };
    },
    (warning) => {
      state.warnings.push(warning);
      signal.notify();
    },
    {
      channelName,
      rollCallMs: options.rollCallMs ?? 0,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.now === undefined ? {} : { now: options.now }),
      onPeersChanged: (peers) => {
        state.peers = peers;
        signal.notify();
      },
    },
  );
  opened.push(link);
  return Object.assign(state, { link });
}

/** Two links of one key that know each other. */
async function openPair(channelName: string, b: Parameters<typeof openLink>[1] = {}, a: Parameters<typeof openLink>[1] = {}) {
  const [first, second] = [await openLink(channelName, a), await openLink(channelName, b)];
  await first.signal.until(() => first.peers.includes(second.link.id));
  await second.signal.until(() => second.peers.includes(first.link.id));
  return [first, second] as const;
}

/** Everything posted on the channel, as any script of the origin sees it; it can post too. */
function spyOn(channelName: string) {
  const channel = new BroadcastChannel(channelName);
  opened.push(channel);
  const posts: Record<string, unknown>[] = [];
  const signal = new Signal();
  channel.onmessage = (event) => {
    posts.push(JSON.parse((event as MessageEvent).data as string) as Record<string, unknown>);
    signal.notify();
  };
  return {
    posts,
    post: (value: unknown) => channel.postMessage(typeof value === 'string' ? value : JSON.stringify(value)),
    /** Resolves with the first post seen (now or later) that matches. */
    async find(match: (post: Record<string, unknown>) => boolean) {
      await signal.until(() => posts.some(match));
      return posts.find(match)!;
    },
    close: () => channel.close(),
  };
}

/** The documented envelope under this link's labels (test/support/peer-envelope-builder.ts). */
function envelope(key: Uint8Array, fields: EnvelopeFields, payload: unknown): string {
  return buildEnvelope('msal-signin broadcast-peers v1', key, fields, payload);
}

const closeAll = (...links: Link[]) => Promise.all(links.map((l) => l.link.close()));

describe('BroadcastPeers: links holding the key', () => {
  test('a broadcast reaches every other link, not the sender, and resolves with their answers once handled', { timeout: 10_000 }, async () => {
    const name = freshChannelName();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const [a, b] = await openPair(name, { gate });
    const c = await openLink(name);
    await a.signal.until(() => a.peers.length === 2);
    // Typed as the socket channel: the token cache owner can take either.
    const owner: Pick<PeerChannel, 'id' | 'broadcast' | 'rekey' | 'close'> = a.link;
    let settled = false;
    const sent = owner.broadcast({ topic: 'cache', text: '{"Account":{}}' }).then((answers) => {
      settled = true;
      return answers;
    });
    await c.signal.until(() => c.received.length === 1);
    assert.equal(settled, false, 'waits for the slow link');
    release();
    assert.deepEqual(await sent, [{ handled: 1 }, { handled: 1 }]);
    assert.deepEqual(a.received, []);
    assert.deepEqual(b.received, [{ topic: 'cache', text: '{"Account":{}}' }]);
    assert.deepEqual(c.received, [{ topic: 'cache', text: '{"Account":{}}' }]);
    await closeAll(a, b, c);
  });

  test('open listens for the links already there, so a broadcast right after it reaches them', { timeout: 10_000 }, async () => {
    const name = freshChannelName();
    const a = await openLink(name);
    const b = await openLink(name, { rollCallMs: 1_000 });
    assert.deepEqual(b.peers, [a.link.id]);
    assert.deepEqual(await b.link.broadcast({ topic: 'sync' }), [{ handled: 1 }]);
    await closeAll(a, b);
  });

  test('what goes over the channel is ciphertext: the payload never shows', { timeout: 10_000 }, async () => {
    const name = freshChannelName();
    const spy = spyOn(name);
    const [a, b] = await openPair(name);
    assert.deepEqual(await a.link.broadcast({ refresh_token: 'rt-visible-nowhere' }), [{ handled: 1 }]);
    await spy.find((post) => post.type === 'ans');
    assert.ok(spy.posts.length >= 4);
    assert.ok(!JSON.stringify(spy.posts).includes('rt-visible-nowhere'));
    assert.ok(!JSON.stringify(spy.posts).includes('handled'));
    spy.close();
    await closeAll(a, b);
  });

  test('a link that does not answer in time is passed over with a warning and forgotten; the others still get it', { timeout: 10_000 }, async () => {
    const name = freshChannelName();
    const [a, stuck] = await openPair(name, { gate: new Promise(() => undefined) }, { timeoutMs: 300 });
    const c = await openLink(name);
    await a.signal.until(() => a.peers.length === 2);
    assert.deepEqual(await a.link.broadcast({ topic: 't' }), [{ handled: 1 }]);
    assert.deepEqual(c.received, [{ topic: 't' }]);
    assert.match(a.warnings.join('\n'), /did not answer within 300 ms/);
    assert.deepEqual(a.peers, [c.link.id]);
    await closeAll(a, stuck, c);
  });

  test('a link whose apply fails answers at once that it failed: no wait for the time-out', { timeout: 10_000 }, async () => {
    const name = freshChannelName();
    const [a, b] = await openPair(name, { fail: true }, { timeoutMs: 60_000 });
    assert.deepEqual(await a.link.broadcast({ topic: 't' }), []);
    assert.match(a.warnings.join('\n'), /could not apply/);
    assert.match(b.warnings.join('\n'), /update failed: TypeError/);
    await closeAll(a, b);
  });

  test('a closing link says bye and is forgotten', { timeout: 10_000 }, async () => {
    const name = freshChannelName();
    const [a, b] = await openPair(name);
    await b.link.close();
    await a.signal.until(() => a.peers.length === 0);
    assert.deepEqual(await a.link.broadcast({ topic: 't' }), []);
    await closeAll(a);
  });

  test('a window whose key changed (windows that started together converge) is heard after a recheck', { timeout: 10_000 }, async () => {
    const name = freshChannelName();
    // B starts with a key of its own and adopts the older one A holds when it rechecks.
    const { secret, rechecks } = adoptingSecret(randomBytes(32), KEY);
    const b = await openLink(name, { secret });
    const a = await openLink(name);
    await a.signal.until(() => a.peers.includes(b.link.id));
    assert.equal(rechecks(), 1);
    assert.deepEqual(await a.link.broadcast({ topic: 't' }), [{ handled: 1 }]);
    await closeAll(a, b);
  });

});

describe('BroadcastPeers: scripts without the key get nothing and change nothing', () => {
  test('a link with another key is never known, gets nothing and injects nothing', { timeout: 10_000 }, async () => {
    const name = freshChannelName();
    const [a, b] = await openPair(name);
    const intruder = await openLink(name, { secret: fixed(randomBytes(32)) });
    await a.signal.until(() => a.warnings.some((w) => /last: unauthenticated/.test(w)));
    await b.signal.until(() => b.warnings.some((w) => /last: unauthenticated/.test(w)));
    assert.deepEqual(a.peers, [b.link.id]);
    assert.deepEqual(await a.link.broadcast({ topic: 'for the windows' }), [{ handled: 1 }]);
    assert.deepEqual(await intruder.link.broadcast({ topic: 'injected' }), []);
    assert.deepEqual(intruder.peers, []);
    assert.deepEqual(intruder.received, []);
    assert.deepEqual(a.received, []);
    assert.deepEqual(b.received, [{ topic: 'for the windows' }]);
    await closeAll(a, b, intruder);
  });

  test('a message forged with another key, addressed to a link, is dropped unanswered', { timeout: 10_000 }, async () => {
    const name = freshChannelName();
    const spy = spyOn(name);
    const [a, b] = await openPair(name);
    spy.post(envelope(randomBytes(32), { type: 'msg', from: a.link.id, to: b.link.id, ts: Date.now() }, { topic: 'forged' }));
    await b.signal.until(() => b.warnings.length > 0);
    assert.match(b.warnings.join('\n'), /last: unauthenticated/);
    assert.deepEqual(b.received, []);
    assert.ok(!spy.posts.some((post) => post.type === 'ans'), 'no answer to a forged message');
    spy.close();
    await closeAll(a, b);
  });

  test('a replayed message is dropped: it is applied once', { timeout: 10_000 }, async () => {
    const name = freshChannelName();
    const spy = spyOn(name);
    const [a, b] = await openPair(name);
    await a.link.broadcast({ topic: 'once' });
    const recorded = await spy.find((post) => post.type === 'msg');
    spy.post(recorded);
    await b.signal.until(() => b.warnings.length > 0);
    assert.match(b.warnings.join('\n'), /last: replayed/);
    assert.equal(b.received.length, 1);
    spy.close();
    await closeAll(a, b);
  });

  test('a stale message is dropped, and so is one from the future', { timeout: 10_000 }, async () => {
    const recordedEarlier = async (spy: ReturnType<typeof spyOn>, a: Link, move: () => void) => {
      await a.link.broadcast({ topic: 'once' });
      const recorded = await spy.find((post) => post.type === 'msg');
      move();
      return recorded;
    };
    // Built with the key: only its time is wrong.
    const fromTheFuture = async (_spy: ReturnType<typeof spyOn>, a: Link, _move: () => void, b: Link, now: number) =>
      envelope(KEY, { type: 'msg', from: a.link.id, to: b.link.id, ts: now + REPLAY_WINDOW_MS + 1 }, { topic: 'early' });
    for (const make of [recordedEarlier, fromTheFuture]) {
      const name = freshChannelName();
      const spy = spyOn(name);
      let clock = Date.now();
      const [a, b] = await openPair(name, { now: () => clock });
      const post = await make(spy, a, () => (clock += 2 * REPLAY_WINDOW_MS), b, clock);
      const received = b.received.length;
      spy.post(post);
      await b.signal.until(() => b.warnings.length > 0);
      assert.match(b.warnings.join('\n'), /last: stale/, make.name);
      assert.equal(b.received.length, received, make.name);
      spy.close();
      await closeAll(a, b);
    }
  });

  test('a message with any field changed is rejected', { timeout: 20_000 }, async () => {
    const cases: [field: string, change: (post: Record<string, unknown>) => void, reason: RegExp][] = [
      ['from', (post) => (post.from = randomUUID()), /unauthenticated/],
      ['ts', (post) => (post.ts = (post.ts as number) + 1), /unauthenticated/],
      ['nonce', (post) => (post.nonce = randomBytes(16).toString('base64url')), /unauthenticated/],
      ['iv', (post) => (post.iv = randomBytes(12).toString('base64url')), /unauthenticated/],
      ['data', (post) => (post.data = flipFirst(post.data as string)), /unauthenticated/],
      ['mac', (post) => (post.mac = flipFirst(post.mac as string)), /unauthenticated/],
      ['re', (post) => (post.re = randomBytes(16).toString('base64url')), /misaddressed/],
      ['type', (post) => (post.type = 'hello'), /misaddressed/],
      ['to', (post) => (post.to = '*'), /misaddressed/],
      ['v', (post) => (post.v = 2), /malformed/],
    ];
    for (const [field, change, reason] of cases) {
      const name = freshChannelName();
      const spy = spyOn(name);
      const [a, b] = await openPair(name);
      // A fresh message recorded as it went by, changed and posted before the original is handled.
      const sending = a.link.broadcast({ topic: 'original' });
      const original = await spy.find((post) => post.type === 'msg');
      const tampered = structuredClone(original);
      change(tampered);
      await sending;
      spy.post(tampered);
      await b.signal.until(() => b.warnings.length > 0);
      assert.match(b.warnings.join('\n'), reason, field);
      assert.deepEqual(b.received, [{ topic: 'original' }], field);
      spy.close();
      await closeAll(a, b);
    }
  });

  test('an answer counts only from the link asked, for the request asked, with the key', { timeout: 10_000 }, async () => {
    const name = freshChannelName();
    const spy = spyOn(name);
    const [a, b] = await openPair(name, { gate: new Promise(() => undefined) }, { timeoutMs: 2_000 });
    const earlier = randomBytes(16).toString('base64url');
    const pending = a.link.broadcast({ topic: 'asked' });
    const request = await spy.find((post) => post.type === 'msg');
    const answer = (key: Uint8Array, from: string, re: string, value: string) => envelope(key, { type: 'ans', from, to: a.link.id, ts: Date.now(), re }, { answer: value });
    spy.post(answer(KEY, b.link.id, earlier, 'for an earlier request'));
    spy.post(answer(KEY, randomUUID(), request.nonce as string, 'from a link not asked'));
    spy.post(answer(randomBytes(32), b.link.id, request.nonce as string, 'without the key'));
    spy.post(answer(KEY, b.link.id, request.nonce as string, 'the real one'));
    assert.deepEqual(await pending, ['the real one']);
    spy.close();
    await closeAll(a, b);
  });
});

/** Changes the first character of a base64url string to another valid one. */
function flipFirst(text: string): string {
  return `${text[0] === 'A' ? 'B' : 'A'}${text.slice(1)}`;
}
