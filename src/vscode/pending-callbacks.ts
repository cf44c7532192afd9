/**
 * Authorization responses arriving through the editor's URI handler, matched to the sign-in that
 * is waiting for them by `state`. A callback with an unknown or already used state, or with a
 * repeated parameter, is dropped and logged without its query (it holds a code).
 */
import { AuthError, parseAuthorizationResponse } from '../core/index.js';

interface Waiter {
  resolve(params: Record<string, string>): void;
  reject(err: unknown): void;
}

export class PendingCallbacks {
  private readonly waiting = new Map<string, Waiter>();

  constructor(private readonly log: (message: string) => void = () => undefined) {}

  /** Waits for the response carrying `state`; rejects with `cancelled` when `signal` aborts. */
  waitFor(state: string, signal: AbortSignal): Promise<Record<string, string>> {
    if (this.waiting.has(state)) return Promise.reject(new AuthError('invalid_argument', 'a sign-in with this state is already waiting'));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiting.delete(state);
        reject(new AuthError('cancelled', 'the sign-in was cancelled'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(state, {
        resolve: (params) => {
          signal.removeEventListener('abort', onAbort);
          resolve(params);
        },
        reject,
      });
    });
  }

  /** Delivers a callback's query string. Returns true when a sign-in took it. */
  deliver(query: string): boolean {
    let params: Record<string, string>;
    try {
      // As the loopback listener reads it: a repeated parameter (RFC 6749 §3.1) makes it no response.
      params = parseAuthorizationResponse(query);
    } catch {
      this.log('ignored a sign-in callback that repeats a parameter');
      return false;
    }
    const waiter = params.state === undefined ? undefined : this.waiting.get(params.state);
    if (!waiter) {
      this.log('ignored a sign-in callback whose state matches no sign-in in progress');
      return false;
    }
    // One use: a replay of the same callback finds nothing.
    this.waiting.delete(params.state);
    waiter.resolve(params);
    return true;
  }

  get size(): number {
    return this.waiting.size;
  }
}
