/**
 * A window channel's secret that holds a key of its own until asked to recheck, and then adopts
 * `adopted`: the key another window offered when both started together. Both channels' tests
 * (Unix sockets, BroadcastChannel) use it to show that such windows converge.
 */
import type { PeerSecret } from '../../src/vscode/peer-envelope.js';

export function adoptingSecret(initial: Uint8Array, adopted: Uint8Array): { secret: PeerSecret; rechecks(): number } {
  let held = initial;
  let rechecks = 0;
  return {
    secret: {
      current: () => held,
      recheck: async () => {
        rechecks += 1;
        held = adopted;
        return true;
      },
    },
    rechecks: () => rechecks,
  };
}
