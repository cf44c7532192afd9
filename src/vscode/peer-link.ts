/**
 * The other windows of this editor, as the shared token cache (shared-token-cache.ts) sees them:
 * a message to all of them, answered by each once handled, and the messages they send, handed to
 * whoever handles their topic. The transport is not this module's business: in a Node extension
 * host it is the MACed, encrypted socket channel of src/node/peer-channel.ts (opened by
 * src/extension.ts where peer-gating.ts says so); a browser build can put an authenticated
 * `BroadcastChannel` under the same {@link PeerTopics}. Whatever the transport, it hands over only
 * messages of windows holding its key, so what arrives here came from a window of this editor.
 */

/** A message or an answer between windows: anything JSON can carry. */
export type PeerMessage = Record<string, unknown>;

/** Handles a message of another window; what it resolves to is sent back as the answer. */
export type PeerHandler = (message: PeerMessage) => Promise<unknown>;

export interface Disposable {
  dispose(): unknown;
}

export interface PeerLink {
  /** Hands `message` to every other window; resolves with the answers of those that handled it. Never rejects. */
  broadcast(message: PeerMessage & { topic: string }): Promise<unknown[]>;
  /** Answers the messages whose `topic` is `topic` (one handler per topic). */
  handle(topic: string, handler: PeerHandler): Disposable;
  /**
   * Fires when messages may have been missed (the link's key changed and it joined the other
   * windows anew): each user asks the others again for what it holds.
   */
  onDidRejoin(listener: () => void): Disposable;
}

/** What a transport gives: delivery to every other window, with their answers. */
export interface PeerTransport {
  broadcast(message: PeerMessage): Promise<unknown[]>;
}

/**
 * A {@link PeerLink} over any transport: routes what arrives by its `topic`. Made before the
 * transport (which needs {@link deliver} to open), then {@link connect}ed to it; until then a
 * broadcast reaches nobody.
 */
export class PeerTopics implements PeerLink {
  #transport: PeerTransport | undefined;
  readonly #handlers = new Map<string, PeerHandler>();
  readonly #rejoinListeners = new Set<() => void>();

  connect(transport: PeerTransport): void {
    this.#transport = transport;
  }

  /** A message from another window: its topic's handler answers it; a topic nobody handles gets no answer. */
  readonly deliver = async (message: PeerMessage): Promise<unknown> => {
    const handler = typeof message.topic === 'string' ? this.#handlers.get(message.topic) : undefined;
    return handler?.(message);
  };

  /** The transport joined the other windows anew: tells every user to catch up. */
  rejoined(): void {
    for (const listener of [...this.#rejoinListeners]) listener();
  }

  broadcast(message: PeerMessage & { topic: string }): Promise<unknown[]> {
    return this.#transport?.broadcast(message) ?? Promise.resolve([]);
  }

  handle(topic: string, handler: PeerHandler): Disposable {
    if (this.#handlers.has(topic)) throw new Error(`the topic ${topic} already has a handler`);
    this.#handlers.set(topic, handler);
    return { dispose: () => this.#handlers.get(topic) === handler && this.#handlers.delete(topic) };
  }

  onDidRejoin(listener: () => void): Disposable {
    this.#rejoinListeners.add(listener);
    return { dispose: () => this.#rejoinListeners.delete(listener) };
  }
}
