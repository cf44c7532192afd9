import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError } from '../../../src/core/errors.js';
import { PeerTopics } from '../../../src/vscode/peer-link.js';
import { PendingCallbacks } from '../../../src/vscode/pending-callbacks.js';

const CODE = '0.AXcAkq1F9m7jGk2lENGwmnSoyg-secret-authorization-code';

function isAuthError(code: string) {
  return (err: unknown) => {
    assert.ok(err instanceof AuthError, `expected an AuthError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  };
}

describe('PendingCallbacks', () => {
  test('deliver resolves the sign-in waiting for the state with every parameter', async () => {
    const pending = new PendingCallbacks();
    const waiting = pending.waitFor('state-1', new AbortController().signal);
    assert.equal(pending.size, 1);
    assert.equal(pending.deliver(`code=${encodeURIComponent(CODE)}&state=state-1&session_state=abc&iss=https%3A%2F%2Fidp.example%2F`), true);
    assert.deepEqual(await waiting, { code: CODE, state: 'state-1', session_state: 'abc', iss: 'https://idp.example/' });
    assert.equal(pending.size, 0);
  });

  test('an error response is delivered like any other', async () => {
    const pending = new PendingCallbacks();
    const waiting = pending.waitFor('s', new AbortController().signal);
    assert.equal(pending.deliver('error=access_denied&error_description=The+user+said+no&state=s'), true);
    assert.deepEqual(await waiting, { error: 'access_denied', error_description: 'The user said no', state: 's' });
  });

  test('each state reaches its own sign-in', async () => {
    const pending = new PendingCallbacks();
    const first = pending.waitFor('first', new AbortController().signal);
    const second = pending.waitFor('second', new AbortController().signal);
    assert.equal(pending.size, 2);
    assert.equal(pending.deliver('code=two&state=second'), true);
    assert.equal(pending.size, 1);
    assert.equal(pending.deliver('code=one&state=first'), true);
    assert.equal((await first).code, 'one');
    assert.equal((await second).code, 'two');
  });

  test('an unknown or missing state is dropped and logged without any query value', () => {
    const lines: string[] = [];
    const pending = new PendingCallbacks((message) => lines.push(message));
    void pending.waitFor('expected-state', new AbortController().signal);
    for (const query of [`code=${CODE}&state=unknown-state-value`, `code=${CODE}`, '', `state=&code=${CODE}`]) {
      assert.equal(pending.deliver(query), false, query);
    }
    assert.equal(lines.length, 4);
    for (const line of lines) {
      assert.ok(!line.includes(CODE), `the log holds the code: ${line}`);
      assert.ok(!line.includes('unknown-state-value'), `the log holds the state: ${line}`);
      assert.ok(!line.includes('code='), `the log holds the query: ${line}`);
    }
    assert.equal(pending.size, 1, 'the sign-in in progress still waits');
  });

  test('a replay of a delivered callback finds nothing', async () => {
    const lines: string[] = [];
    const pending = new PendingCallbacks((message) => lines.push(message));
    const waiting = pending.waitFor('s', new AbortController().signal);
    const query = `code=${CODE}&state=s`;
    assert.equal(pending.deliver(query), true);
    assert.equal(pending.deliver(query), false);
    assert.equal((await waiting).code, CODE);
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes(CODE));
  });

  test('a replay, or a late callback of a cancelled sign-in, is logged without its state or code', async () => {
    const lines: string[] = [];
    const pending = new PendingCallbacks((message) => lines.push(message));
    const delivered = pending.waitFor('used-state-value', new AbortController().signal);
    pending.deliver(`code=${CODE}&state=used-state-value`);
    await delivered;
    const controller = new AbortController();
    const cancelled = pending.waitFor('cancelled-state-value', controller.signal);
    controller.abort();
    await assert.rejects(cancelled, isAuthError('cancelled'));

    assert.equal(pending.deliver(`code=${CODE}&state=used-state-value`), false);
    assert.equal(pending.deliver(`code=${CODE}&state=cancelled-state-value`), false);
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.ok(!line.includes(CODE) && !line.includes('state-value') && !line.includes('code='), `the log holds query values: ${line}`);
    }
  });

  test('a callback with a repeated parameter is dropped, logged without values, and the sign-in keeps waiting', async () => {
    const lines: string[] = [];
    const pending = new PendingCallbacks((message) => lines.push(message));
    const waiting = pending.waitFor('s', new AbortController().signal);
    for (const query of [`code=forged&state=other&state=s`, `state=s&code=forged&code=${CODE}`, `state=s&state=s&code=${CODE}`]) {
      assert.equal(pending.deliver(query), false, query);
    }
    assert.equal(pending.size, 1, 'still waiting');
    assert.equal(lines.length, 3);
    for (const line of lines) assert.ok(!line.includes(CODE) && !line.includes('forged'), `the log holds query values: ${line}`);
    assert.equal(pending.deliver(`code=${CODE}&state=s`), true);
    assert.equal((await waiting).code, CODE);
  });

  test('parameter names of Object.prototype stay plain data', async () => {
    const pending = new PendingCallbacks();
    assert.equal(pending.deliver('state=__proto__&code=c'), false);
    assert.equal(pending.deliver('state=constructor&code=c'), false);
    const waiting = pending.waitFor('s', new AbortController().signal);
    assert.equal(pending.deliver('__proto__=x&state=s&code=c'), true);
    const params = await waiting;
    assert.equal(Object.getPrototypeOf(params), Object.prototype);
    assert.equal(params['__proto__'], 'x');
  });

  test('abort rejects with cancelled and removes the waiter', async () => {
    const pending = new PendingCallbacks();
    const controller = new AbortController();
    const waiting = pending.waitFor('s', controller.signal);
    controller.abort();
    await assert.rejects(waiting, isAuthError('cancelled'));
    assert.equal(pending.size, 0);
    assert.equal(pending.deliver('code=late&state=s'), false);
  });

  test('an already aborted signal rejects at once and registers nothing', async () => {
    const pending = new PendingCallbacks();
    await assert.rejects(pending.waitFor('s', AbortSignal.abort()), isAuthError('cancelled'));
    assert.equal(pending.size, 0);
  });

  test('aborting after delivery changes nothing', async () => {
    const pending = new PendingCallbacks();
    const controller = new AbortController();
    const waiting = pending.waitFor('s', controller.signal);
    pending.deliver('code=c&state=s');
    // A new sign-in may reuse the state; the old signal must not remove it.
    const next = pending.waitFor('s', new AbortController().signal);
    controller.abort();
    assert.equal((await waiting).code, 'c');
    assert.equal(pending.size, 1);
    assert.equal(pending.deliver('code=d&state=s'), true);
    assert.equal((await next).code, 'd');
  });

  test('a second wait for a state already waited for is rejected; the first keeps waiting', async () => {
    const pending = new PendingCallbacks();
    const first = pending.waitFor('s', new AbortController().signal);
    await assert.rejects(pending.waitFor('s', new AbortController().signal), isAuthError('invalid_argument'));
    assert.equal(pending.size, 1);
    assert.equal(pending.deliver('code=c&state=s'), true);
    assert.equal((await first).code, 'c');
  });

  test('size counts the sign-ins waiting', async () => {
    const pending = new PendingCallbacks();
    assert.equal(pending.size, 0);
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const waits = controllers.map((controller, index) => pending.waitFor(`s${index}`, controller.signal));
    assert.equal(pending.size, 3);
    controllers[0]!.abort();
    assert.equal(pending.size, 2);
    pending.deliver('state=s1');
    assert.equal(pending.size, 1);
    controllers[2]!.abort();
    assert.equal(pending.size, 0);
    const settled = await Promise.allSettled(waits);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['rejected', 'fulfilled', 'rejected'],
    );
  });
});

/** Windows joined as PeerTopics over an in-memory transport that delivers to every other window. */
function joinedWindows(count: number): { callbacks: PendingCallbacks[]; logs: string[][] } {
  const links: PeerTopics[] = [];
  for (let i = 0; i < count; i++) {
    const link = new PeerTopics();
    link.connect({ broadcast: (message) => Promise.all(links.filter((other) => other !== link).map((other) => other.deliver(message))) });
    links.push(link);
  }
  const logs = links.map(() => [] as string[]);
  const callbacks = links.map((link, i) => {
    const pending = new PendingCallbacks((message) => logs[i]!.push(message));
    pending.shareWith(link);
    return pending;
  });
  return { callbacks, logs };
}

describe('PendingCallbacks across windows', () => {
  test('a callback that reaches another window is handed to the window whose sign-in waits for it, once', async () => {
    const { callbacks, logs } = joinedWindows(3);
    const [starter, other, third] = callbacks as [PendingCallbacks, PendingCallbacks, PendingCallbacks];
    const waiting = starter.waitFor('s1', new AbortController().signal);
    assert.equal(await other.receive(`code=${CODE}&state=s1`), true);
    assert.deepEqual(await waiting, { code: CODE, state: 's1' });
    assert.equal(starter.size, 0);
    // A replay finds nothing anywhere.
    assert.equal(await third.receive(`code=${CODE}&state=s1`), false);
    assert.ok(logs.flat().every((line) => !line.includes(CODE)), 'no log line holds the code');
    assert.match(logs[2]!.at(-1)!, /no sign-in in progress in any window/);
  });

  test('a callback for this window is taken here without asking the others', async () => {
    const link = new PeerTopics();
    let broadcasts = 0;
    link.connect({ broadcast: async () => (broadcasts++, []) });
    const pending = new PendingCallbacks();
    pending.shareWith(link);
    const waiting = pending.waitFor('mine', new AbortController().signal);
    assert.equal(await pending.receive('code=c&state=mine'), true);
    assert.deepEqual(await waiting, { code: 'c', state: 'mine' });
    assert.equal(broadcasts, 0);
  });

  test('a callback that repeats a parameter is not offered to the other windows', async () => {
    const { callbacks } = joinedWindows(2);
    const waiting = callbacks[0]!.waitFor('s', new AbortController().signal);
    waiting.catch(() => undefined);
    assert.equal(await callbacks[1]!.receive('code=a&code=b&state=s'), false);
    assert.equal(callbacks[0]!.size, 1);
  });

  test('without a link, receive is deliver', async () => {
    const pending = new PendingCallbacks();
    const waiting = pending.waitFor('s', new AbortController().signal);
    assert.equal(await pending.receive('code=c&state=s'), true);
    assert.deepEqual(await waiting, { code: 'c', state: 's' });
    assert.equal(await pending.receive('code=c&state=other'), false);
  });
});
