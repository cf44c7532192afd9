/**
 * The channel key: kept in SecretStorage; windows that start together before any key exists
 * converge on one through the offer in globalState (see the header of src/vscode/peer-key.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OFFER_TTL_MS, PEER_KEY_OFFER, PEER_KEY_SECRET, PeerKey, type SharedState } from '../../../src/vscode/peer-key.js';
import { FakeSecrets } from '../../support/fake-secrets.js';

/** globalState of one window; `link` makes writes reach other windows' copies (code-server: IndexedDB + broadcast). */
class Shared implements SharedState {
  values = new Map<string, unknown>();
  readonly others: Shared[] = [];
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
    for (const other of this.others) other.values.set(key, value);
  }
}

function link(...states: Shared[]): void {
  for (const state of states) state.others.push(...states.filter((other) => other !== state));
}

const hex = (key: PeerKey) => Buffer.from(key.current()).toString('hex');

describe('PeerKey', () => {
  test('nothing stored: a new 32-byte key, stored in SecretStorage and offered', async () => {
    const secrets = new FakeSecrets();
    const shared = new Shared();
    const key = await PeerKey.load(secrets, shared, { now: () => 1000, pollMs: 60_000 });
    assert.equal(key.current().length, 32);
    assert.deepEqual(JSON.parse(secrets.values.get(PEER_KEY_SECRET)!).key, Buffer.from(key.current()).toString('base64url'));
    assert.equal((shared.get<{ key: string }>(PEER_KEY_OFFER))!.key, Buffer.from(key.current()).toString('base64url'));
    key.dispose();
  });

  test('a stored key is used as it is: nothing written, nothing offered', async () => {
    const secrets = new FakeSecrets();
    const stored = { key: Buffer.alloc(32, 1).toString('base64url'), created: 5 };
    secrets.values.set(PEER_KEY_SECRET, JSON.stringify(stored));
    const shared = new Shared();
    const key = await PeerKey.load(secrets, shared, { now: () => OFFER_TTL_MS * 10 });
    assert.equal(hex(key), Buffer.alloc(32, 1).toString('hex'));
    assert.deepEqual(secrets.stores, []);
    assert.equal(shared.get(PEER_KEY_OFFER), undefined);
    key.dispose();
  });

  test('a second window that read SecretStorage before the key existed takes the offered key', async () => {
    const [sharedA, sharedB] = [new Shared(), new Shared()];
    link(sharedA, sharedB);
    const [secretsA, secretsB] = [new FakeSecrets(), new FakeSecrets()]; // each window's own copy
    const a = await PeerKey.load(secretsA, sharedA, { now: () => 1000, pollMs: 60_000 });
    const b = await PeerKey.load(secretsB, sharedB, { now: () => 1200, pollMs: 60_000 });
    assert.equal(hex(b), hex(a));
    assert.equal(secretsB.values.get(PEER_KEY_SECRET), secretsA.values.get(PEER_KEY_SECRET), 'stored in its copy too');
    a.dispose();
    b.dispose();
  });

  for (const [what, createdA, createdB] of [
    ['made at different times: the older wins', 1000, 1001],
    ['made in the same millisecond: the smaller key wins', 1000, 1000],
  ] as const) {
    test(`both windows made a key before seeing the other's offer (${what}); both converge on one`, async () => {
      const [sharedA, sharedB] = [new Shared(), new Shared()]; // not linked yet: the offers cross
      const [secretsA, secretsB] = [new FakeSecrets(), new FakeSecrets()];
      let changes = 0;
      const a = await PeerKey.load(secretsA, sharedA, { now: () => createdA, pollMs: 60_000, onDidChange: () => changes++ });
      const b = await PeerKey.load(secretsB, sharedB, { now: () => createdB, pollMs: 60_000, onDidChange: () => changes++ });
      assert.notEqual(hex(a), hex(b));
      // The broadcasts cross: each window's globalState now holds the other's offer.
      const [offerA, offerB] = [sharedA.get(PEER_KEY_OFFER), sharedB.get(PEER_KEY_OFFER)];
      sharedA.values.set(PEER_KEY_OFFER, offerB);
      sharedB.values.set(PEER_KEY_OFFER, offerA);
      link(sharedA, sharedB);
      await a.recheck();
      await b.recheck();
      await a.recheck();
      await b.recheck();
      assert.equal(hex(a), hex(b));
      assert.equal(changes, 1, 'exactly one window took the other key');
      const winner = [JSON.parse(secretsA.values.get(PEER_KEY_SECRET)!), JSON.parse(secretsB.values.get(PEER_KEY_SECRET)!)];
      assert.deepEqual(winner[0], winner[1], 'both SecretStorage copies hold the winner');
      a.dispose();
      b.dispose();
    });
  }

  test('a window that opens long after, with a stale copy, makes a key; the older key is offered again and taken', async () => {
    const [sharedOld, sharedNew] = [new Shared(), new Shared()];
    link(sharedOld, sharedNew);
    const secretsOld = new FakeSecrets();
    const established = { key: Buffer.alloc(32, 9).toString('base64url'), created: 10 };
    secretsOld.values.set(PEER_KEY_SECRET, JSON.stringify(established));
    let now = OFFER_TTL_MS * 100;
    const old = await PeerKey.load(secretsOld, sharedOld, { now: () => now, pollMs: 60_000 });
    const late = await PeerKey.load(new FakeSecrets(), sharedNew, { now: () => now, pollMs: 60_000 });
    assert.notEqual(hex(late), hex(old));
    // A message of the late window fails to verify at the old one, which rechecks:
    assert.equal(await old.recheck(), false, 'the old window keeps its key');
    assert.equal(await late.recheck(), true, 'the late window takes the older key');
    assert.equal(hex(late), hex(old));
    // Once the offer is older than the TTL, it is withdrawn from globalState.
    now += OFFER_TTL_MS + 1;
    await old.recheck();
    assert.equal(sharedOld.get(PEER_KEY_OFFER), undefined);
    old.dispose();
    late.dispose();
  });

  test('unreadable stored data or offers are not keys', async () => {
    const secrets = new FakeSecrets();
    secrets.values.set(PEER_KEY_SECRET, 'garbage');
    const shared = new Shared();
    shared.values.set(PEER_KEY_OFFER, { key: 'short', created: 1, offeredAt: 1 });
    const key = await PeerKey.load(secrets, shared, { now: () => 1000, pollMs: 60_000 });
    assert.equal(key.current().length, 32);
    assert.notEqual(Buffer.from(key.current()).toString('base64url'), 'short');
    key.dispose();
  });
});
