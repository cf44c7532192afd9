/**
 * The cross-window lock of the browser build, the twin of src/node/cross-window-lock.ts: two
 * windows must never redeem one refresh token at once (with rotation the second use is a replay,
 * and the identity provider revokes the grant). The web worker extension hosts of one browser's
 * windows share the workbench's origin, so the Web Locks API (`navigator.locks`), which holds a
 * named lock across every worker and tab of an origin and frees it when its holder goes away,
 * is that lock. Where the API is missing (an old browser, an insecure context) there is none:
 * the caches still merge what each window writes.
 */
import type { CacheLock } from './shared-token-cache.js';

/** The part of the Web Locks API's `LockManager` this needs. */
export interface LockManager {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

const LOCK_PREFIX = 'msal-signin.cache.';

/** The lock manager of this worker, if it has one. */
export function webLockManager(): LockManager | undefined {
  const locks = (globalThis as { navigator?: { locks?: Partial<LockManager> } }).navigator?.locks;
  return typeof locks?.request === 'function' ? (locks as LockManager) : undefined;
}

/** A factory of each provider's lock over `locks`, or undefined without a lock manager. */
export function webLocksFor(locks: LockManager | undefined): ((providerId: string) => CacheLock) | undefined {
  if (!locks) return undefined;
  return (providerId) => ({ run: (work) => locks.request(`${LOCK_PREFIX}${providerId}`, work) });
}
