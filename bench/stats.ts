/**
 * Timing loops and statistics. Every sample is one call, timed with the monotonic
 * `process.hrtime.bigint()`; a loop stops at its iteration cap or its time budget, whichever
 * comes first, and always after at least one sample, so slow libraries get fewer samples rather
 * than an endless run. Medians, not means: a GC pause in one sample does not move them.
 */

/** How long a figure may sample, and how often. */
export interface LoopPlan {
  /** Calls made and thrown away first (JIT, lazy indexes, connection pools). */
  warmup: number;
  /** Most samples taken. */
  maxIterations: number;
  /** Samples stop once this much time (ms) has been spent sampling, after `minIterations`. */
  budgetMs: number;
  /** Fewest samples taken even when over budget (default 1). */
  minIterations?: number;
}

/** Milliseconds since `start` (a `process.hrtime.bigint()` value). */
export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Times `fn` once per sample; `onSample` sees each sample (ms) as it is taken, so that a parent
 * that kills a slow child still has the samples taken so far.
 */
export async function sample(fn: (iteration: number) => unknown, plan: LoopPlan, onSample?: (ms: number) => void): Promise<number[]> {
  for (let i = 0; i < plan.warmup; i++) await fn(i);
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  const minIterations = plan.minIterations ?? 1;
  for (let i = 0; i < plan.maxIterations; i++) {
    if (samples.length >= minIterations && elapsedMs(started) >= plan.budgetMs) break;
    const t0 = process.hrtime.bigint();
    await fn(plan.warmup + i);
    const ms = elapsedMs(t0);
    samples.push(ms);
    onSample?.(ms);
  }
  return samples;
}

/**
 * Like {@link sample} for synchronous work: no `await` between calls, so a sample of a few
 * microseconds is not padded by a trip through the microtask queue.
 */
export function sampleSync(fn: (iteration: number) => unknown, plan: LoopPlan): number[] {
  for (let i = 0; i < plan.warmup; i++) fn(i);
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  const minIterations = plan.minIterations ?? 1;
  for (let i = 0; i < plan.maxIterations; i++) {
    if (samples.length >= minIterations && elapsedMs(started) >= plan.budgetMs) break;
    const t0 = process.hrtime.bigint();
    fn(plan.warmup + i);
    samples.push(elapsedMs(t0));
  }
  return samples;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The `p`-th percentile (0–100), nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** A duration in ms as people read it: µs below 1 ms, s above 10 s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1) return `${(ms * 1000).toFixed(ms < 0.01 ? 2 : 1)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 10_000) return `${ms.toFixed(ms < 100 ? 1 : 0)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
