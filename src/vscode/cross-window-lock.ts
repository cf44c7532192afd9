/**
 * A lock shared by every window of the editor on this machine, so that two windows never redeem
 * the same refresh token at once: with rotation, the second use of a refresh token is a replay,
 * and identity providers answer a replay by revoking the whole grant (signing the user out).
 * It is a directory created atomically under the extension's global storage; a lock older than
 * {@link STALE_LOCK_MS} belonged to a window that died and is taken over.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const STALE_LOCK_MS = 30_000;
const RETRY_MS = 25;

export class CrossWindowLock {
  private readonly path: string;
  /** Calls of this window queue here first, so the file system sees one holder per window. */
  private tail: Promise<void> = Promise.resolve();

  constructor(directory: string, name: string) {
    this.path = join(directory, `${name}.lock`);
  }

  /** Runs `work` while holding the lock. Waits at most {@link STALE_LOCK_MS} for another window. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => this.withFileLock(work));
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async withFileLock<T>(work: () => Promise<T>): Promise<T> {
    await mkdir(join(this.path, '..'), { recursive: true });
    const deadline = Date.now() + STALE_LOCK_MS;
    for (;;) {
      try {
        await mkdir(this.path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const age = await stat(this.path).then((info) => Date.now() - info.mtimeMs, () => 0);
        if (age > STALE_LOCK_MS || Date.now() > deadline) {
          await rm(this.path, { recursive: true, force: true });
          continue;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
    try {
      return await work();
    } finally {
      await rm(this.path, { recursive: true, force: true });
    }
  }
}
