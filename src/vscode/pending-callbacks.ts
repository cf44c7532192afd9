/**
 * Authorization responses arriving through the editor's URI handler, matched to the sign-in that
 * is waiting for them by `state`. A callback with an unknown or already used state, or with a
 * repeated parameter, is dropped and logged without its query (it holds a code).
 *
 * With several windows of a browser-based editor the editor may hand the callback to another
 * window than the one that started the sign-in (code-server does: every window's redirect is
 * `vscode-reqid=1`). Joined to the windows' authenticated link ({@link PendingCallbacks.shareWith}),
 * a callback no sign-in here waits for is offered to the other windows, and the one whose sign-in
 * waits for its `state` takes it. The query crosses only that link: encrypted, and only to
 * holders of its key.
 */
import { AuthError, parseAuthorizationResponse } from '../core/index.js';
import type { Disposable, PeerLink } from './peer-link.js';

/** The link topic of a callback offered to the other windows. */
export const CALLBACK_TOPIC = 'signin-callback';

type Delivery = 'taken' | 'malformed' | 'unknown';

interface Waiter {
  resolve(params: Record<string, string>): void;
  reject(err: unknown): void;
}

export class PendingCallbacks {
  readonly #waiting = new Map<string, Waiter>();
  #link: PeerLink | undefined;

  constructor(private readonly log: (message: string) => void = () => undefined) {}

  /** Waits for the response carrying `state`; rejects with `cancelled` when `signal` aborts. */
  waitFor(state: string, signal: AbortSignal): Promise<Record<string, string>> {
    if (this.#waiting.has(state)) return Promise.reject(new AuthError('invalid_argument', 'a sign-in with this state is already waiting'));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiting.delete(state);
        reject(new AuthError('cancelled', 'the sign-in was cancelled'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.set(state, {
        resolve: (params) => {
          signal.removeEventListener('abort', onAbort);
          resolve(params);
        },
        reject,
      });
    });
  }

  /** Delivers a callback's query string to a sign-in of this window. Returns true when one took it. */
  deliver(query: string): boolean {
    const delivery = this.#take(query);
    this.#logDropped(delivery);
    return delivery === 'taken';
  }

  /**
   * The URI handler's entry: delivers to a sign-in of this window, else offers the callback to
   * the other windows (when joined to them). Resolves true when a sign-in somewhere took it.
   */
  async receive(query: string): Promise<boolean> {
    const delivery = this.#take(query);
    if (delivery === 'taken') return true;
    if (delivery === 'malformed' || !this.#link) {
      this.#logDropped(delivery);
      return false;
    }
    const answers = await this.#link.broadcast({ topic: CALLBACK_TOPIC, query });
    const taken = answers.some((answer) => (answer as { taken?: unknown } | null)?.taken === true);
    this.log(taken ? 'handed a sign-in callback to the window whose sign-in waits for it' : 'ignored a sign-in callback whose state matches no sign-in in progress in any window');
    return taken;
  }

  /** Takes the callbacks other windows offer, and offers them those this window does not wait for. */
  shareWith(link: PeerLink): Disposable {
    this.#link = link;
    const handler = link.handle(CALLBACK_TOPIC, async (message) => ({ taken: typeof message.query === 'string' && this.#take(message.query) === 'taken' }));
    return {
      dispose: () => {
        handler.dispose();
        if (this.#link === link) this.#link = undefined;
      },
    };
  }

  #logDropped(delivery: Delivery): void {
    if (delivery === 'malformed') this.log('ignored a sign-in callback that repeats a parameter');
    if (delivery === 'unknown') this.log('ignored a sign-in callback whose state matches no sign-in in progress');
  }

  #take(query: string): Delivery {
    let params: Record<string, string>;
    try {
      // As the loopback listener reads it: a repeated parameter (RFC 6749 §3.1) makes it no response.
      params = parseAuthorizationResponse(query);
    } catch {
      return 'malformed';
    }
    const waiter = params.state === undefined ? undefined : this.#waiting.get(params.state);
    if (!waiter) return 'unknown';
    // One use: a replay of the same callback finds nothing.
    this.#waiting.delete(params.state);
    waiter.resolve(params);
    return 'taken';
  }

  get size(): number {
    return this.#waiting.size;
  }
}
