import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedInFlight } from '../../../src/core/shared-in-flight.js';

test('concurrent callers with one key share one start; other keys and later calls start anew', async () => {
  const shared = new SharedInFlight<number>();
  let starts = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const start = async () => {
    starts += 1;
    await gate;
    return starts;
  };
  const first = shared.share('a', start);
  const second = shared.share('a', start);
  const other = shared.share('b', start);
  assert.equal(second, first);
  release();
  assert.deepEqual(await Promise.all([first, second, other]), [2, 2, 2]);
  assert.equal(starts, 2);
  assert.equal(await shared.share('a', start), 3, 'settled work is not served again');
});

test('a failure reaches every caller that shared it, and the next call starts again', async () => {
  const shared = new SharedInFlight<string>();
  let attempts = 0;
  const failing = () => Promise.reject(new Error(`attempt ${++attempts}`));
  await Promise.all([
    assert.rejects(shared.share('k', failing), /attempt 1/),
    assert.rejects(shared.share('k', failing), /attempt 1/),
  ]);
  await assert.rejects(shared.share('k', failing), /attempt 2/);
});
