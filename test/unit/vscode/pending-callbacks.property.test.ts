/**
 * Property tests of URI-handler callbacks: any page or app can open the editor's callback URI
 * with any query. Delivering one never throws; only a query carrying a waiting sign-in's state,
 * with no repeated parameter, reaches that sign-in, and only once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PendingCallbacks } from '../../../src/vscode/pending-callbacks.js';
import { anyString, runOptions } from '../core/property.js';

const STATE = 'state-1';
const param = fc.record({
  name: fc.oneof(fc.constantFrom('code', 'state', 'error', '__proto__', 'constructor', 'toString'), anyString),
  value: fc.oneof(fc.constantFrom(STATE, 'c', 'toString', '__proto__'), anyString),
});
const query = fc.oneof(
  fc.array(param, { maxLength: 5 }).map((params) => new URLSearchParams(params.map(({ name, value }): [string, string] => [name, value])).toString()),
  fc.string({ unit: fc.constantFrom(...'%&=+?#;state-1code'), maxLength: 40 }),
  anyString,
);

describe('PendingCallbacks.deliver: properties', () => {
  test('any query is taken only by the sign-in whose state it carries, once', async () => {
    await fc.assert(
      fc.asyncProperty(query, async (text) => {
        const pending = new PendingCallbacks();
        const controller = new AbortController();
        let delivered: Record<string, string> | undefined;
        const waiting = pending.waitFor(STATE, controller.signal).then((params) => (delivered = params), () => undefined);
        const taken = pending.deliver(text);
        const names = [...new URLSearchParams(text.replace(/^[?#]/, '')).keys()];
        if (taken) {
          await waiting;
          assert.equal(delivered?.state, STATE);
          assert.equal(new Set(names).size, names.length, 'no parameter repeats');
          assert.equal(pending.deliver(text), false, 'a replay finds nothing');
        } else {
          assert.equal(pending.size, 1, 'the sign-in still waits');
          controller.abort();
          await waiting;
        }
      }),
      runOptions(7636),
    );
  });
});
