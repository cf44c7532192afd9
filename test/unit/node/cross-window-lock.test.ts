import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CrossWindowLock, STALE_LOCK_MS } from '../../../src/node/cross-window-lock.js';

let root: string;
let count = 0;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'cross-window-lock-'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh directory per test, under one temp root removed at the end. */
function freshDir(): string {
  count += 1;
  return join(root, `t${count}`, 'globalStorage');
}

/** Lets other promise chains and file system callbacks run, a few turns of the event loop. */
async function yieldTurns(turns: number): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('CrossWindowLock', () => {
  test('two windows on the same lock never run work at the same time', { timeout: 20_000 }, async () => {
    const dir = freshDir();
    const windows = [new CrossWindowLock(dir, 'entra'), new CrossWindowLock(dir, 'entra')];
    let active = 0;
    let maxActive = 0;
    const ran: number[] = [];
    const runs = Array.from({ length: 20 }, (_, index) =>
      windows[index % 2]!.run(async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        assert.ok(existsSync(join(dir, 'entra.lock')), 'the lock directory exists while work runs');
        await yieldTurns(1 + (index % 3));
        ran.push(index);
        active -= 1;
        return index;
      }),
    );
    assert.deepEqual(await Promise.all(runs), Array.from({ length: 20 }, (_, index) => index));
    assert.equal(maxActive, 1);
    assert.equal(ran.length, 20);
    assert.deepEqual(await readdir(dir), [], 'the lock is released');
  });

  test('different names do not block each other', { timeout: 10_000 }, async () => {
    const dir = freshDir();
    const a = new CrossWindowLock(dir, 'entra');
    const b = new CrossWindowLock(dir, 'keycloak');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inA = a.run(() => gate);
    // b gets its lock while a holds its own.
    assert.equal(await b.run(async () => 'b ran'), 'b ran');
    release();
    await inA;
  });

  test('a lock directory older than STALE_LOCK_MS is taken over', { timeout: 10_000 }, async () => {
    const dir = freshDir();
    const lockPath = join(dir, 'entra.lock');
    await mkdir(lockPath, { recursive: true });
    const past = (Date.now() - STALE_LOCK_MS - 60_000) / 1000;
    await utimes(lockPath, past, past);
    const started = Date.now();
    assert.equal(await new CrossWindowLock(dir, 'entra').run(async () => (existsSync(lockPath) ? 'ran holding the lock' : 'no lock')), 'ran holding the lock');
    assert.ok(Date.now() - started < STALE_LOCK_MS / 2, 'without waiting for the deadline');
    assert.equal(existsSync(lockPath), false);
  });

  test('a fresh lock of another window is waited for, not taken over', { timeout: 10_000 }, async () => {
    const dir = freshDir();
    const first = new CrossWindowLock(dir, 'entra');
    const second = new CrossWindowLock(dir, 'entra');
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => (entered = resolve));
    const one = first.run(async () => {
      events.push('first start');
      entered();
      await gate;
      events.push('first end');
    });
    await holding;
    const two = second.run(async () => {
      events.push('second start');
    });
    // Let the second window try, and find the lock held, before the first releases it.
    await yieldTurns(20);
    assert.deepEqual(events, ['first start']);
    release();
    await Promise.all([one, two]);
    assert.deepEqual(events, ['first start', 'first end', 'second start']);
  });

  test('the lock is released when work throws, and the error passes through', { timeout: 10_000 }, async () => {
    const dir = freshDir();
    const lock = new CrossWindowLock(dir, 'entra');
    const other = new CrossWindowLock(dir, 'entra');
    await assert.rejects(
      lock.run(async () => {
        throw new Error('work failed');
      }),
      /work failed/,
    );
    assert.equal(existsSync(join(dir, 'entra.lock')), false);
    assert.equal(await other.run(async () => 'other window'), 'other window');
    assert.equal(await lock.run(async () => 'same window again'), 'same window again');
  });

  test('calls within one window run one after the other, in call order', { timeout: 10_000 }, async () => {
    const dir = freshDir();
    const lock = new CrossWindowLock(dir, 'entra');
    const events: string[] = [];
    let active = 0;
    const runs = [0, 1, 2, 3, 4].map((index) =>
      lock.run(async () => {
        active += 1;
        assert.equal(active, 1);
        events.push(`start ${index}`);
        await yieldTurns(3 - (index % 3));
        if (index === 2) {
          active -= 1;
          throw new Error('third fails');
        }
        events.push(`end ${index}`);
        active -= 1;
        return index;
      }),
    );
    const settled = await Promise.allSettled(runs);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    assert.deepEqual(events, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'start 3', 'end 3', 'start 4', 'end 4']);
  });

  test('creates the storage directory when it is missing', { timeout: 10_000 }, async () => {
    const dir = join(freshDir(), 'not', 'there', 'yet');
    assert.equal(await new CrossWindowLock(dir, 'entra').run(async () => 42), 42);
    assert.equal(existsSync(dir), true);
  });
});
