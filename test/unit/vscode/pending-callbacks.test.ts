import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError } from '../../../src/core/errors.js';
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

  test('a callback that repeats a parameter is not a response: the sign-in keeps waiting', () => {
    const pending = new PendingCallbacks();
    void pending.waitFor('s', new AbortController().signal).catch(() => undefined);
    assert.equal(pending.deliver('code=a&code=b&state=s'), false);
    assert.equal(pending.deliver('code=a&state=x&state=s'), false);
    assert.equal(pending.size, 1);
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
