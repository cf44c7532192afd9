/**
 * A bench child: runs one job for one library and reports over IPC (see protocol.ts). The
 * library under test is imported dynamically, after the job arrives, so the child never loads
 * the other library.
 */
import { readFileSync } from 'node:fs';
import type { BenchContext } from './context.js';
import type { BenchLibrary } from './libraries/library.js';
import type { ChildMessage, Job, ParentMessage } from './protocol.js';
import { elapsedMs, sample, sampleSync } from './stats.js';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, (err: Error | null) => (err ? reject(err) : resolve())));
}

let pendingAck: (() => void) | undefined;

/** Asks the parent to note the IdP's request log position under `label`, and waits until it has. */
async function mark(label: string): Promise<void> {
  const acked = new Promise<void>((resolve) => {
    pendingAck = resolve;
  });
  await send({ type: 'mark', label });
  await acked;
}

async function loadLibrary(context: BenchContext, name: Job['library']): Promise<BenchLibrary> {
  if (name === 'ours') return (await import('./libraries/ours.js')).createLibrary(context);
  if (name === 'msal-node') return (await import('./libraries/msal-node.js')).createLibrary(context);
  throw new Error(`no library module for ${name}`);
}

/** Synthetic accounts visited in turn by timed calls: spread over the whole cache. */
function spreadIndexes(accounts: number, count = 64): number[] {
  return Array.from({ length: Math.min(count, accounts) }, (_, i) => Math.floor((i * accounts) / Math.min(count, accounts)));
}

function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the memory figure needs node --expose-gc');
  gc();
  gc();
}

async function run(context: BenchContext, job: Job): Promise<Record<string, unknown>> {
  const onSample = (ms: number) => void send({ type: 'sample', ms });
  switch (job.figure) {
    case 'silent': {
      let json: string | undefined = readFileSync(context.cacheFiles[job.accounts]!, 'utf8');
      const lib = await loadLibrary(context, job.library);
      const session = await lib.openApp();
      // The first hit after each load: lazy work (index builds, first-call setup) lands here.
      const firstHits: number[] = [];
      for (let i = 0; i < Math.max(1, job.firstHitLoads); i++) {
        session.load(json!);
        const t0 = process.hrtime.bigint();
        const source = await session.silent(i % job.accounts);
        firstHits.push(elapsedMs(t0));
        if (source !== 'cache') throw new Error(`the first silent call after loading was served by ${source}, not the cache`);
      }
      json = undefined; // an app keeps what it loaded, not the text it loaded it from
      const indexes = spreadIndexes(job.accounts);
      for (const index of indexes) {
        const source = await session.silent(index);
        if (source !== 'cache') throw new Error(`synthetic account ${index} was served by ${source}, not the cache`);
      }
      let misses = 0;
      const samples = await sample(
        async (i) => {
          if ((await session.silent(indexes[i % indexes.length]!)) !== 'cache') misses++;
        },
        job.plan,
        onSample,
      );
      if (misses > 0) throw new Error(`${misses} timed silent calls missed the cache`);
      return { samples, firstHits, checkedAccounts: indexes.length };
    }
    case 'rootSilent': {
      const lib = await loadLibrary(context, job.library);
      const silent = await lib.signInAtRootIssuer();
      // The sign-in left the token in the cache: from here on, no call may reach the IdP.
      await mark('silent hits');
      const first = await silent();
      if (first !== 'cache') throw new Error(`the first silent call after signing in at the root issuer was served by ${first}, not the cache`);
      let misses = 0;
      const samples = await sample(
        async () => {
          if ((await silent()) !== 'cache') misses++;
        },
        job.plan,
        onSample,
      );
      await mark('end');
      if (misses > 0) throw new Error(`${misses} timed silent calls at the root issuer missed the cache`);
      return { samples };
    }
    case 'getAccounts': {
      const lib = await loadLibrary(context, job.library);
      const session = await lib.openApp();
      session.load(readFileSync(context.cacheFiles[job.accounts]!, 'utf8'));
      await session.silent(0);
      let listed = -1;
      const samples = await sample(
        async () => {
          listed = await session.getAccounts();
        },
        job.plan,
        onSample,
      );
      if (listed !== job.accounts) throw new Error(`getAccounts listed ${listed} accounts of ${job.accounts}`);
      return { samples, listed };
    }
    case 'roundTrip': {
      const json = readFileSync(context.cacheFiles[job.accounts]!, 'utf8');
      const roundTrip = (await loadLibrary(context, job.library)).roundTrip;
      const baseline = (text: string) => JSON.stringify(JSON.parse(text));
      const out = roundTrip(json);
      const accountsOut = Object.keys((JSON.parse(out) as { Account?: object }).Account ?? {}).length;
      if (accountsOut !== job.accounts) throw new Error(`the round trip kept ${accountsOut} accounts of ${job.accounts}`);
      // The library and bare JSON alternate, call by call, in this one process: the machine's
      // other load then weighs on both alike, and their ratio holds still.
      const both = sampleSync((i) => (i % 2 === 0 ? roundTrip(json) : baseline(json)), { ...job.plan, warmup: job.plan.warmup * 2, maxIterations: job.plan.maxIterations * 2, minIterations: (job.plan.minIterations ?? 1) * 2 });
      const samples = both.filter((_, i) => i % 2 === 0);
      const baselineSamples = both.filter((_, i) => i % 2 === 1);
      for (const ms of samples) onSample(ms);
      return { samples, baselineSamples, bytesIn: Buffer.byteLength(json), bytesOut: Buffer.byteLength(out) };
    }
    case 'requests': {
      const lib = await loadLibrary(context, job.library);
      const outcomes: Record<string, unknown> = {};
      let app = lib.signInApp();
      await mark('first sign-in');
      await app.signIn('alice');
      await mark('end');
      app = lib.signInApp(app.save()); // the restart: a new app with what the old one kept
      await mark('sign-in after restart');
      await app.signIn('alice');
      await mark('end');
      await mark('one refresh');
      outcomes['one refresh'] = await app.refresh();
      await mark('end');
      for (const n of job.concurrency) {
        await app.signIn('alice'); // a fresh grant for each round, outside the counted window
        await app.expireAccessTokens();
        await mark(`${n} concurrent silent`);
        outcomes[`${n} concurrent silent`] = await app.concurrentSilent(n);
        await mark('end');
      }
      return { outcomes };
    }
    case 'device': {
      const lib = await loadLibrary(context, job.library);
      return { ...(await lib.pollUnansweredDeviceFlow(job.windowMs)) };
    }
    case 'memory': {
      collectGarbage();
      const before = heapUsed();
      const lib = await loadLibrary(context, job.library);
      const session = await lib.openApp();
      collectGarbage();
      const withLibrary = heapUsed();
      let json: string | undefined = readFileSync(context.cacheFiles[job.accounts]!, 'utf8');
      const jsonBytes = Buffer.byteLength(json);
      const peaks: number[] = [heapUsed()];
      session.load(json);
      peaks.push(heapUsed());
      if ((await session.silent(job.accounts >> 1)) !== 'cache') throw new Error('the memory figure missed the cache');
      peaks.push(heapUsed());
      // Ours builds every index, accounts included; msal-node's getAccounts does not finish at this size.
      if (job.library === 'ours') await session.getAccounts();
      peaks.push(heapUsed());
      json = undefined; // the app keeps what it keeps; the bench drops its copy
      collectGarbage();
      const holding = heapUsed();
      // Keep the session reachable until after the measurement.
      if ((await session.silent(1)) !== 'cache') throw new Error('the memory figure missed the cache');
      return {
        libraryMb: (withLibrary - before) / 2 ** 20,
        peakMb: Math.max(...peaks) / 2 ** 20,
        holdingMb: holding / 2 ** 20,
        cacheRetainedMb: (holding - withLibrary) / 2 ** 20,
        jsonMb: jsonBytes / 2 ** 20,
        gotAccountsToo: job.library === 'ours',
      };
    }
  }
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'ack') {
    const resolve = pendingAck;
    pendingAck = undefined;
    resolve?.();
    return;
  }
  run(message.context, message.job).then(
    (data) => send({ type: 'result', data }),
    (err: unknown) => send({ type: 'error', message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) }),
  )
    // Exit at once: pooled keep-alive connections and library timers are not the bench's to wait for.
    .finally(() => process.exit(0));
});
