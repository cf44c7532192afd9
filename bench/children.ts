/**
 * The parent's side of the child protocol: starts `worker.js` for one job with the run's
 * certificate in NODE_EXTRA_CA_CERTS, collects its samples and IdP request windows, and kills it
 * when its time budget runs out (the job is then "did not finish", with whatever samples it sent).
 * Every child started is tracked, so that an interrupted run kills them all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Idp, RequestLogEntry } from '../test/idp/server.js';
import type { BenchContext } from './context.js';
import type { ChildMessage, Job, ParentMessage } from './protocol.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

/** The IdP requests made between a child's `mark(label)` and its `mark('end')`. */
export interface RequestWindow {
  label: string;
  requests: RequestLogEntry[];
}

export interface JobOutcome {
  /** `dnf`: killed at the time budget; `error`: the child reported one or died. */
  status: 'ok' | 'dnf' | 'error';
  samples: number[];
  data?: Record<string, unknown>;
  windows: RequestWindow[];
  error?: string;
  wallMs: number;
}

const live = new Set<ChildProcess>();

/** Kills every child still running (on SIGINT, or when the run fails). */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
}

export function runJob(context: BenchContext, idp: Idp, job: Job, options: { budgetMs: number; nodeArgs?: string[] }): Promise<JobOutcome> {
  const started = Date.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), WORKER], {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: context.caFile },
  });
  live.add(child);
  const samples: number[] = [];
  const windows: RequestWindow[] = [];
  let stderr = '';
  let result: Record<string, unknown> | undefined;
  let error: string | undefined;
  let open: { label: string; from: number } | undefined;
  let timedOut = false;

  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    if (stderr.length < 20_000) stderr += chunk;
  });
  child.on('message', (message: ChildMessage) => {
    switch (message.type) {
      case 'sample':
        samples.push(message.ms);
        break;
      case 'mark':
        if (message.label === 'end') {
          if (open) windows.push({ label: open.label, requests: idp.requests.slice(open.from) });
          open = undefined;
        } else {
          open = { label: message.label, from: idp.requests.length };
        }
        child.send({ type: 'ack' } satisfies ParentMessage);
        break;
      case 'result':
        result = message.data;
        break;
      case 'error':
        error = message.message;
        break;
    }
  });
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.budgetMs);
  child.send({ type: 'job', context, job } satisfies ParentMessage);

  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      const wallMs = Date.now() - started;
      if (timedOut) resolve({ status: 'dnf', samples, windows, wallMs });
      else if (result && !error) resolve({ status: 'ok', samples, data: result, windows, wallMs });
      else {
        const why = error ?? `the child exited with ${signal ?? code} before reporting${stderr ? `:\n${stderr.trim()}` : ''}`;
        resolve({ status: 'error', samples, windows, error: why, wallMs });
      }
    });
  });
}
