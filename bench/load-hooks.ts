/**
 * Module loader hooks for the load probe's byte count: reports every file URL the ESM loader
 * loads. Registered only in the counting run, never in a timed one (hooks run on their own thread
 * and would slow loading down).
 */
import type { MessagePort } from 'node:worker_threads';

let port: MessagePort | undefined;

export async function initialize(data: { port: MessagePort }): Promise<void> {
  port = data.port;
}

export async function load(url: string, context: unknown, nextLoad: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  if (url.startsWith('file:')) port?.postMessage(url);
  return nextLoad(url, context);
}
