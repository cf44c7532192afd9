/**
 * A lock shared by every window of the editor on this machine, so that two windows never redeem
 * the same refresh token at once: with rotation, the second use of a refresh token is a replay,
 * and identity providers answer a replay by revoking the whole grant (signing the user out).
 *
 * The lock is a directory created atomically under the extension's global storage, holding a
 * file that names its owner. The owner touches it while working; a lock untouched for
 * {@link STALE_LOCK_MS} belonged to a window that died. Taking over renames the stale directory
 * away first — a rename succeeds for one window only — and a window only ever removes a lock that
 * still names it.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const STALE_LOCK_MS = 30_000;
const HEARTBEAT_MS = STALE_LOCK_MS / 3;
const RETRY_MS = 25;

export class CrossWindowLock {
  private readonly path: string;
  /** Calls of this window queue here first, so the file system sees one holder per window. */
  private tail: Promise<void> = Promise.resolve();

  constructor(directory: string, name: string) {
    this.path = join(directory, `${name}.lock`);
  }

  /** Runs `work` while holding the lock. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => this.withFileLock(work));
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async acquire(owner: string): Promise<void> {
    await mkdir(join(this.path, '..'), { recursive: true });
    for (;;) {
      try {
        await mkdir(this.path);
        await writeFile(join(this.path, 'owner'), owner);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const age = await stat(this.path).then(
        (info) => Date.now() - info.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) {
        // Only one window wins the rename; the others see the lock gone or fresh and retry.
        const aside = `${this.path}.stale-${owner}`;
        if (await rename(this.path, aside).then(() => true, () => false)) await rm(aside, { recursive: true, force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  private async release(owner: string): Promise<void> {
    const holder = await readFile(join(this.path, 'owner'), 'utf8').catch(() => undefined);
    if (holder !== owner) return; // taken over meanwhile: the lock is another window's now
    const aside = `${this.path}.released-${owner}`;
    if (await rename(this.path, aside).then(() => true, () => false)) await rm(aside, { recursive: true, force: true });
  }

  private async withFileLock<T>(work: () => Promise<T>): Promise<T> {
    const owner = randomUUID();
    await this.acquire(owner);
    const heartbeat = setInterval(() => {
      const now = new Date();
      void utimes(this.path, now, now).catch(() => undefined);
    }, HEARTBEAT_MS);
    try {
      return await work();
    } finally {
      clearInterval(heartbeat);
      await this.release(owner);
    }
  }
}
