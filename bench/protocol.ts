/**
 * Messages between the bench's parent (run.ts) and a child (worker.ts), over Node's IPC channel.
 * The parent sends one `job`; the child streams `sample`s as it takes them (so that a child
 * killed at its time budget still leaves its samples), asks for `mark`s around the requests it
 * wants counted at the IdP (the parent answers `ack` once it has noted the IdP's request log
 * position), and ends with one `result` or `error`.
 */
import type { BenchContext, LibraryName } from './context.js';
import type { LoopPlan } from './stats.js';

export type Job =
  /** Figure 1: silent cache hits on a loaded synthetic cache; also the first hit after each load. */
  | { figure: 'silent'; library: LibraryName; accounts: number; plan: LoopPlan; firstHitLoads: number }
  /** Figure 1c: a real sign-in at a generic issuer at the host root, then silent cache hits between marks. */
  | { figure: 'rootSilent'; library: LibraryName; plan: LoopPlan }
  /** Figure 2: getAccounts() on a loaded synthetic cache. */
  | { figure: 'getAccounts'; library: LibraryName; accounts: number; plan: LoopPlan }
  /** Figure 3: deserialize + serialize, alternating with bare JSON.parse + JSON.stringify of the same bytes. */
  | { figure: 'roundTrip'; library: LibraryName; accounts: number; plan: LoopPlan }
  /** Figure 4: sign-in, restart, refresh and concurrent silent calls, between marks. */
  | { figure: 'requests'; library: LibraryName; concurrency: number[] }
  /** Figure 5: an unanswered device flow on the generic face, for `windowMs`. */
  | { figure: 'device'; library: LibraryName; windowMs: number }
  /** Figure 7: heap used while loading and holding a synthetic cache (child runs with --expose-gc). */
  | { figure: 'memory'; library: LibraryName; accounts: number };

export type ParentMessage = { type: 'job'; context: BenchContext; job: Job } | { type: 'ack' };

export type ChildMessage =
  | { type: 'sample'; ms: number }
  | { type: 'mark'; label: string }
  | { type: 'result'; data: Record<string, unknown> }
  | { type: 'error'; message: string };
