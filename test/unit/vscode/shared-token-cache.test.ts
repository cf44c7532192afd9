import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PeerTopics, type PeerLink } from '../../../src/vscode/peer-link.js';
import { type AccountsChange, type CacheLock, type CacheProblems, SharedTokenCache } from '../../../src/vscode/shared-token-cache.js';
import { FakeSecrets } from '../../support/fake-secrets.js';

const KEY = 'msalSignIn.cache.entra';
const HOME = 'uid.utid';
const ENVIRONMENT = 'login.microsoftonline.com';
const CLIENT = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

/** A small MSAL unified cache: one account with its refresh token and the app's metadata. */
function cacheState(username: string, refreshToken = 'rt-secret'): string {
  return JSON.stringify({
    Account: {
      [`${HOME}-${ENVIRONMENT}-contoso`]: {
        home_account_id: HOME,
        environment: ENVIRONMENT,
        realm: 'contoso',
        local_account_id: 'uid',
        username,
        authority_type: 'MSSTS',
      },
    },
    RefreshToken: {
      [`${HOME}-${ENVIRONMENT}-refreshtoken-${CLIENT}--`]: {
        home_account_id: HOME,
        environment: ENVIRONMENT,
        credential_type: 'RefreshToken',
        client_id: CLIENT,
        secret: refreshToken,
      },
    },
    AppMetadata: { [`appmetadata-${ENVIRONMENT}-${CLIENT}`]: { client_id: CLIENT, environment: ENVIRONMENT } },
  });
}

/**
 * Records what a cache reports; `nextExternalChange()` resolves at the next accounts change
 * (another window's write that brought or took accounts).
 */
function recorder() {
  const seen = { externalChanges: 0, changes: [] as AccountsChange[], unreadable: [] as string[], errors: [] as unknown[] };
  let waiters: (() => void)[] = [];
  const events: Events = {
    unreadable(backupKey) {
      seen.unreadable.push(backupKey);
    },
    readFailed(err) {
      seen.errors.push(err);
    },
    accountsChanged(change) {
      seen.externalChanges += 1;
      seen.changes.push(change);
      for (const wake of waiters) wake();
      waiters = [];
    },
  };
  const nextExternalChange = () => new Promise<void>((resolve) => waiters.push(resolve));
  return { seen, events, nextExternalChange };
}

type Events = CacheProblems & { accountsChanged(change: AccountsChange): void };

/** A cache of `secrets` under KEY, reporting to `events` (a {@link recorder}'s). */
function openCache(secrets: FakeSecrets, events: Events, options: { key?: string; peers?: PeerLink; lock?: CacheLock } = {}): SharedTokenCache {
  const cache = new SharedTokenCache({ secrets, key: KEY, problems: events, ...options });
  cache.onDidChangeAccounts((change) => events.accountsChanged(change));
  return cache;
}

/** A window that read alice's sign-in from its store. */
async function readAlice() {
  const secrets = new FakeSecrets();
  secrets.values.set(KEY, cacheState('alice@contoso.com'));
  const { seen, events } = recorder();
  const cache = openCache(secrets, events);
  await cache.read(async () => undefined);
  return { secrets, seen, cache };
}

/** Brings the cache up to what is stored, as every use does first. */
const load = (cache: SharedTokenCache) => cache.read(async () => undefined);
/** Stores what changed in this window (merged with what is stored now). */
const save = (cache: SharedTokenCache) => cache.write(async () => undefined);

/**
 * The fake store answers at once, so every reload a change event starts settles within promise
 * callbacks: one turn of the event loop (setImmediate runs after them) is enough to see it done.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What a sign-in adds: an access token. */
function addAccessToken(cache: SharedTokenCache): void {
  cache.tokenCache.add({
    clientId: CLIENT,
    scope: ['https://graph.microsoft.com/.default'],
    tokenEndpoint: `https://${ENVIRONMENT}/contoso/oauth2/v2.0/token`,
    response: { access_token: 'at', token_type: 'Bearer', expires_in: 3600 },
  });
}

function usernames(cache: SharedTokenCache): string[] {
  return cache.tokenCache.getAccounts().map((account) => account.username);
}

describe('SharedTokenCache.load', () => {
  test('nothing stored: false and an empty cache; then the stored state, once', async () => {
    const secrets = new FakeSecrets();
    const { events } = recorder();
    const cache = openCache(secrets, events);
    await load(cache);
    assert.deepEqual(usernames(cache), []);
    assert.deepEqual(secrets.gets, [KEY]);

    secrets.values.set(KEY, cacheState('alice@contoso.com'));
    await load(cache);
    assert.deepEqual(usernames(cache), ['alice@contoso.com']);
    assert.equal(cache.tokenCache.hasStateChanged, false);
    assert.ok(cache.tokenCache.findRefreshToken({ homeAccountId: HOME, environments: [ENVIRONMENT], clientId: CLIENT }));

    await load(cache);
    assert.deepEqual(secrets.stores, [], 'reading never writes');
    cache.dispose();
  });

  test('an error of the store other than unreadable data passes through', async () => {
    const secrets = new FakeSecrets();
    secrets.get = async () => {
      throw new Error('keyring locked');
    };
    const cache = openCache(secrets, recorder().events);
    await assert.rejects(load(cache), /keyring locked/);
    cache.dispose();
  });
});

describe('SharedTokenCache.save', () => {
  test('writes only when the cache changed', async () => {
    const { secrets, seen, cache } = await readAlice();

    await save(cache);
    assert.deepEqual(secrets.stores, [], 'nothing changed since load');

    cache.tokenCache.removeAccount(cache.tokenCache.getAccounts()[0]!);
    await save(cache);
    assert.deepEqual(secrets.stores, [KEY]);
    const written = JSON.parse(secrets.values.get(KEY)!);
    assert.deepEqual(written.Account, {});
    assert.ok(written.RefreshToken, 'the rest is kept');

    await save(cache);
    assert.deepEqual(secrets.stores, [KEY], 'nothing changed since the last save');

    await settle();
    assert.equal(seen.externalChanges, 0, 'our own write is no external change');
    await load(cache);
    cache.dispose();
  });
});

describe('SharedTokenCache: changes from other windows', () => {
  test('a change of our key reloads the cache and names the accounts it brought or took', { timeout: 5000 }, async () => {
    const secrets = new FakeSecrets();
    const { seen, events, nextExternalChange } = recorder();
    const cache = openCache(secrets, events);
    await load(cache);

    const changed = nextExternalChange();
    secrets.writeFromOtherWindow(KEY, cacheState('bob@contoso.com'));
    await changed;
    assert.deepEqual(usernames(cache), ['bob@contoso.com']);
    assert.equal(seen.externalChanges, 1);

    const signedOut = nextExternalChange();
    secrets.writeFromOtherWindow(KEY, undefined);
    await signedOut;
    assert.deepEqual(usernames(cache), [], 'a sign-out in another window empties this one');
    assert.equal(seen.externalChanges, 2);
    cache.dispose();
  });

  test('a failing read after a change is reported as a problem, not thrown', { timeout: 5000 }, async () => {
    const secrets = new FakeSecrets();
    const { seen, events } = recorder();
    const cache = openCache(secrets, events);
    await load(cache);
    const failure = new Error('keyring locked');
    const reported = new Promise<void>((resolve) => {
      const original = events.readFailed;
      events.readFailed = (err) => {
        original(err);
        resolve();
      };
    });
    secrets.get = async () => {
      throw failure;
    };
    secrets.writeFromOtherWindow(KEY, cacheState('bob@contoso.com'));
    await reported;
    assert.deepEqual(seen.errors, [failure]);
    assert.equal(seen.externalChanges, 0);
    cache.dispose();
  });

  test('our own echo and a write of the same text are no external change', async () => {
    const { secrets, seen, cache } = await readAlice();

    secrets.writeFromOtherWindow(KEY, cacheState('alice@contoso.com'));
    await settle();
    assert.equal(seen.externalChanges, 0);

    cache.tokenCache.removeAccount(cache.tokenCache.getAccounts()[0]!);
    const gets = secrets.gets.length;
    await save(cache);
    await settle();
    assert.equal(secrets.gets.length, gets + 2, "the write's own read, then the echo");
    assert.equal(seen.externalChanges, 0, 'and recognised as our own');
    cache.dispose();
  });

  test('changes of other keys are ignored', async () => {
    const secrets = new FakeSecrets();
    const { seen, events } = recorder();
    const cache = openCache(secrets, events);
    secrets.writeFromOtherWindow('msalSignIn.cache.keycloak', cacheState('carol@example.com'));
    secrets.writeFromOtherWindow(`${KEY}.unreadable`, 'x');
    await settle();
    assert.deepEqual(secrets.gets, []);
    assert.equal(seen.externalChanges, 0);
    assert.deepEqual(usernames(cache), []);
    cache.dispose();
  });

  test('dispose stops following changes', async () => {
    const secrets = new FakeSecrets();
    const { seen, events } = recorder();
    const cache = openCache(secrets, events);
    assert.equal(secrets.listeners.size, 1);
    cache.dispose();
    assert.equal(secrets.listeners.size, 0);
    secrets.writeFromOtherWindow(KEY, cacheState('bob@contoso.com'));
    await settle();
    assert.deepEqual(secrets.gets, []);
    assert.equal(seen.externalChanges, 0);
    assert.deepEqual(usernames(cache), []);
  });
});

describe('SharedTokenCache: unreadable data', () => {
  for (const [name, bad] of [
    ['not JSON', '{"Account": '],
    ['not a cache', '{"AccessToken": {"k": {"home_account_id": 5}}}'],
  ] as const) {
    test(`${name}: set aside under <key>.unreadable, reported once, empty cache; the key is kept until the next save`, async () => {
      const secrets = new FakeSecrets();
      secrets.values.set(KEY, bad);
      const { seen, events } = recorder();
      const cache = openCache(secrets, events);

      await load(cache);
      assert.deepEqual(seen.unreadable, [`${KEY}.unreadable`]);
      assert.equal(secrets.values.get(`${KEY}.unreadable`), bad);
      assert.deepEqual(usernames(cache), []);
      assert.equal(cache.tokenCache.serialize(), '{}');
      assert.equal(secrets.values.get(KEY), bad, 'the original is untouched');

      await load(cache);
      await save(cache);
      await settle();
      assert.deepEqual(seen.unreadable, [`${KEY}.unreadable`], 'reported once');
      assert.equal(secrets.values.get(KEY), bad, 'still untouched: nothing changed');
      assert.deepEqual(secrets.stores, [`${KEY}.unreadable`]);
      assert.equal(seen.externalChanges, 0);

      // A sign-in adds tokens; the next save replaces the unreadable data.
      addAccessToken(cache);
      await save(cache);
      assert.deepEqual(secrets.stores, [`${KEY}.unreadable`, KEY]);
      assert.ok(JSON.parse(secrets.values.get(KEY)!).AccessToken);
      assert.equal(secrets.values.get(`${KEY}.unreadable`), bad, 'the backup stays');
      cache.dispose();
    });
  }

  test('unreadable data written by another window is set aside; this window keeps its sign-in and writes it back', { timeout: 5000 }, async () => {
    const { secrets, seen, cache } = await readAlice();
    secrets.writeFromOtherWindow(KEY, 'garbage');
    await settle();
    assert.deepEqual(seen.unreadable, [`${KEY}.unreadable`]);
    assert.equal(seen.externalChanges, 0, 'no account came or went');
    assert.equal(secrets.values.get(`${KEY}.unreadable`), 'garbage');
    assert.deepEqual(usernames(cache), ['alice@contoso.com']);
    await save(cache);
    assert.deepEqual(JSON.parse(secrets.values.get(KEY)!), JSON.parse(cacheState('alice@contoso.com')));
    cache.dispose();
  });
});

describe('SharedTokenCache: windows that changed the cache at the same time', () => {
  test('a change from another window meets unsaved changes here: both are kept, entry by entry', { timeout: 5000 }, async () => {
    const secrets = new FakeSecrets();
    secrets.values.set(KEY, cacheState('alice@contoso.com', 'rt-1'));
    const { events } = recorder();
    const cache = openCache(secrets, events);
    await load(cache);
    // This window gets an access token (unsaved) while another window rotates the refresh token.
    addAccessToken(cache);
    secrets.writeFromOtherWindow(KEY, cacheState('alice@contoso.com', 'rt-2'));
    await settle();
    await save(cache);
    const written = JSON.parse(secrets.values.get(KEY)!);
    assert.deepEqual(Object.values(written.RefreshToken).map((entry) => (entry as { secret: string }).secret), ['rt-2'], 'the rotated refresh token, not ours');
    assert.equal(Object.keys(written.AccessToken).length, 1, 'and our new access token');
    cache.dispose();
  });
});

/**
 * Windows of a browser-based editor: each has its own SecretStorage copy (no change events
 * cross), linked only by a PeerTopics whose transport hands a message to the other windows'
 * links in turn.
 */
class Windows {
  readonly list: { secrets: FakeSecrets; cache: SharedTokenCache; link: PeerTopics; events: ReturnType<typeof recorder>; sent: Record<string, unknown>[] }[] = [];

  open(stored?: string) {
    const secrets = new FakeSecrets();
    if (stored !== undefined) secrets.values.set(KEY, stored);
    const events = recorder();
    const sent: Record<string, unknown>[] = [];
    const link = new PeerTopics();
    link.connect({
      broadcast: async (message) => {
        sent.push(message);
        const others = this.list.filter((window) => window.link !== link);
        return Promise.all(others.map((window) => window.link.deliver(message)));
      },
    });
    const cache = openCache(secrets, events.events, { peers: link });
    const window = { secrets, cache, link, events, sent };
    this.list.push(window);
    return window;
  }

  dispose(): void {
    for (const window of this.list) window.cache.dispose();
  }
}

describe('SharedTokenCache: windows with SecretStorage copies of their own, linked by peers', () => {
  test('a save reaches the other window: adopted, stored in its copy, announced once, not sent back', { timeout: 5000 }, async () => {
    const windows = new Windows();
    const a = windows.open();
    const b = windows.open();
    await load(a.cache);
    await load(b.cache);
    a.cache.tokenCache.deserialize(cacheState('alice@contoso.com'));
    addAccessToken(a.cache);
    await save(a.cache);
    await settle();
    assert.deepEqual(usernames(b.cache), ['alice@contoso.com']);
    assert.equal(b.secrets.values.get(KEY), a.secrets.values.get(KEY), "B's copy is current");
    assert.equal(b.events.seen.externalChanges, 1, 'the echo of its own store is recognised');
    assert.deepEqual(b.sent, [], 'nothing is sent back');
    await load(b.cache);
    assert.deepEqual(b.secrets.stores, [KEY]);
    windows.dispose();
  });

  test('a window that starts late takes the newest cache the others hold, whatever its copy says', { timeout: 5000 }, async () => {
    const windows = new Windows();
    const a = windows.open();
    await load(a.cache);
    a.cache.tokenCache.deserialize(cacheState('alice@contoso.com', 'rt-1'));
    addAccessToken(a.cache);
    await save(a.cache);
    // C opened before A wrote: its copy is stale (empty); B never held anything either.
    const b = windows.open();
    const c = windows.open(cacheState('alice@contoso.com', 'rt-0'));
    await b.cache.catchUp();
    await c.cache.catchUp();
    for (const late of [b, c]) {
      assert.equal(late.secrets.values.get(KEY), a.secrets.values.get(KEY));
      await load(late.cache);
      assert.deepEqual(usernames(late.cache), ['alice@contoso.com'], 'its copy now holds the newest');
    }
    windows.dispose();
  });

  test('nothing newer among the others: catching up changes nothing', async () => {
    const windows = new Windows();
    const a = windows.open(cacheState('alice@contoso.com'));
    await a.cache.catchUp();
    assert.deepEqual(a.sent.map((message) => message.kind), ['cache-state']);
    const b = windows.open(); // holds nothing, generation unknown
    await load(b.cache);
    await a.cache.catchUp();
    assert.deepEqual(a.secrets.stores, []);
    await load(a.cache);
    assert.deepEqual(usernames(a.cache), ['alice@contoso.com']);
    windows.dispose();
  });

  test('messages of other topics or kinds are not answered', async () => {
    const link = new PeerTopics();
    const cache = openCache(new FakeSecrets(), recorder().events, { peers: link });
    assert.equal(await link.deliver({ kind: 'cache-state', topic: 'other' }), undefined);
    assert.equal(await link.deliver({ kind: 'something-new', topic: KEY }), undefined);
    assert.equal(await link.deliver({ kind: 'cache-update', topic: KEY, text: 5, generation: 1 }), undefined);
    assert.deepEqual(usernames(cache), []);
    cache.dispose();
    assert.equal(await link.deliver({ kind: 'cache-state', topic: KEY }), undefined, 'a disposed cache answers nothing');
  });

  test('a store that already has the handed-over cache (desktop: shared SecretStorage) is not written again', async () => {
    const secrets = new FakeSecrets();
    const link = new PeerTopics();
    const cache = openCache(secrets, recorder().events, { peers: link });
    await load(cache);
    const text = cacheState('bob@contoso.com');
    secrets.values.set(KEY, text);
    await link.deliver({ kind: 'cache-update', topic: KEY, text, generation: 1 });
    assert.deepEqual(secrets.stores, []);
    assert.deepEqual(usernames(cache), ['bob@contoso.com']);
    cache.dispose();
  });
});

describe('SharedTokenCache: data this version did not write', () => {
  test('an empty string or blanks are an empty cache: not reported, nothing written', async () => {
    for (const blank of ['', '  \n']) {
      const secrets = new FakeSecrets();
      secrets.values.set(KEY, blank);
      const { seen, events } = recorder();
      const cache = openCache(secrets, events);
      await load(cache);
      await save(cache);
      assert.deepEqual(usernames(cache), []);
      assert.deepEqual(seen.unreadable, [], JSON.stringify(blank));
      assert.deepEqual(secrets.stores, [], 'nothing was written or set aside');
      cache.dispose();
    }
  });

  test('a cache from a newer schema: unknown sections, top-level values and entry fields survive a write-back', async () => {
    // MSAL's unified cache has no version field; a newer writer adds sections and fields. Both
    // must be kept, or an older window would destroy another library's (or its own newer) data.
    const newer = JSON.parse(cacheState('alice@contoso.com')) as Record<string, Record<string, Record<string, unknown>>>;
    const [accountKey] = Object.keys(newer.Account!);
    newer.Account![accountKey!]!.future_field = { nested: [1, 2] };
    const future = { schema_version: 7, FutureCredential: { 'k-1': { secret: 'future-secret', kind: 'pop' } }, Tags: ['a', 'b'] };
    const stored = JSON.stringify({ ...newer, ...future });
    const secrets = new FakeSecrets();
    secrets.values.set(KEY, stored);
    const { seen, events } = recorder();
    const cache = openCache(secrets, events);
    await load(cache);
    assert.deepEqual(seen.unreadable, [], 'a newer cache is readable');
    assert.deepEqual(usernames(cache), ['alice@contoso.com']);

    addAccessToken(cache);
    await save(cache);
    const written = JSON.parse(secrets.values.get(KEY)!) as Record<string, unknown>;
    assert.ok(written.AccessToken, 'the new token is there');
    for (const [name, value] of Object.entries(future)) assert.deepEqual(written[name], value, name);
    assert.deepEqual((written.Account as Record<string, Record<string, unknown>>)[accountKey!]!.future_field, { nested: [1, 2] });
    assert.deepEqual(written.RefreshToken, newer.RefreshToken);
    assert.deepEqual(secrets.stores, [KEY], 'nothing was set aside');
    cache.dispose();
  });

  test('unreadable data of one provider leaves the other keys alone', async () => {
    const secrets = new FakeSecrets();
    const otherKey = 'msalSignIn.tokenCache.keycloak';
    const otherState = cacheState('carol@example.com');
    secrets.values.set(KEY, '{"Account": [');
    secrets.values.set(otherKey, otherState);
    secrets.values.set('unrelated.extension.key', 'opaque');
    const first = recorder();
    const second = recorder();
    const broken = openCache(secrets, first.events);
    const other = openCache(secrets, second.events, { key: otherKey });
    await load(broken);
    await load(other);
    await settle();
    assert.deepEqual(first.seen.unreadable, [`${KEY}.unreadable`]);
    assert.deepEqual(second.seen.unreadable, []);
    assert.deepEqual(usernames(other), ['carol@example.com']);
    assert.equal(secrets.values.get(otherKey), otherState);
    assert.equal(secrets.values.get('unrelated.extension.key'), 'opaque');
    assert.deepEqual(secrets.stores, [`${KEY}.unreadable`], 'the only write is the backup');
    assert.equal(second.seen.externalChanges, 0, "the backup's change event is not the other provider's");
    broken.dispose();
    other.dispose();
  });
});

describe('SharedTokenCache: read, write and the lock', () => {
  /** A lock that records when it is held. */
  function recordingLock() {
    const log: string[] = [];
    const lock: CacheLock = {
      async run(work) {
        log.push('lock');
        try {
          return await work();
        } finally {
          log.push('unlock');
        }
      },
    };
    return { lock, log };
  }

  test('write: reads, works and stores under the lock; read takes no lock and stores nothing', async () => {
    const secrets = new FakeSecrets();
    secrets.values.set(KEY, cacheState('alice@contoso.com'));
    const { lock, log } = recordingLock();
    const cache = openCache(secrets, recorder().events, { lock });
    const seenByWork = await cache.read(async () => usernames(cache));
    assert.deepEqual(seenByWork, ['alice@contoso.com'], 'the work sees what is stored');
    addAccessToken(cache);
    assert.equal(log.length, 0, 'a read takes no lock');
    assert.deepEqual(secrets.stores, [], 'and stores nothing, even with changes');

    const originalStore = secrets.store.bind(secrets);
    secrets.store = async (key, value) => {
      log.push('store');
      return originalStore(key, value);
    };
    const answer = await cache.write(async () => (log.push('work'), 42));
    assert.equal(answer, 42);
    assert.deepEqual(log, ['lock', 'work', 'store', 'unlock'], "the read's change and the write's are stored before the lock is let go");
    assert.ok(JSON.parse(secrets.values.get(KEY)!).AccessToken);
    cache.dispose();
  });

  test('a write whose work throws still stores what changed, and rethrows', async () => {
    const secrets = new FakeSecrets();
    const { lock, log } = recordingLock();
    const cache = openCache(secrets, recorder().events, { lock });
    const failure = new Error('refresh refused');
    await assert.rejects(
      cache.write(async () => {
        addAccessToken(cache);
        throw failure;
      }),
      (err: unknown) => err === failure,
    );
    assert.deepEqual(secrets.stores, [KEY]);
    assert.deepEqual(log, ['lock', 'unlock']);
    cache.dispose();
  });
});

describe('SharedTokenCache: the accounts-changed event', () => {
  test('names the accounts another window brought and took; the first read and token-only changes are no news', { timeout: 5000 }, async () => {
    const secrets = new FakeSecrets();
    secrets.values.set(KEY, cacheState('alice@contoso.com', 'rt-1'));
    const { seen, events, nextExternalChange } = recorder();
    const cache = openCache(secrets, events);
    await load(cache);
    assert.deepEqual(seen.changes, [], 'what the window starts from is not a change');

    secrets.writeFromOtherWindow(KEY, cacheState('alice@contoso.com', 'rt-2'));
    await settle();
    assert.deepEqual(seen.changes, [], 'a rotated refresh token brings no account');
    assert.equal(cache.tokenCache.findRefreshToken({ homeAccountId: HOME, environments: [ENVIRONMENT], clientId: CLIENT })?.secret, 'rt-2');

    const signedOut = nextExternalChange();
    secrets.writeFromOtherWindow(KEY, undefined);
    await signedOut;
    const signedIn = nextExternalChange();
    secrets.writeFromOtherWindow(KEY, cacheState('bob@contoso.com'));
    await signedIn;
    assert.deepEqual(seen.changes, [
      { added: [], removed: [{ homeAccountId: HOME, username: 'alice@contoso.com' }] },
      { added: [{ homeAccountId: HOME, username: 'bob@contoso.com' }], removed: [] },
    ]);
    cache.dispose();
  });

  test('a window that joins the others anew (its link took a new key) catches up by itself', { timeout: 5000 }, async () => {
    const windows = new Windows();
    const a = windows.open();
    await load(a.cache);
    a.cache.tokenCache.deserialize(cacheState('alice@contoso.com'));
    addAccessToken(a.cache);
    const b = windows.open();
    await load(b.cache);
    // A's update is lost on the way (the windows' keys differed at that moment).
    const connected = a.link;
    connected.connect({ broadcast: async () => [] });
    await save(a.cache);
    assert.deepEqual(usernames(b.cache), []);
    connected.connect({ broadcast: async (message) => [await b.link.deliver(message)] });
    const caughtUp = b.events.nextExternalChange();
    b.link.connect({ broadcast: async (message) => [await a.link.deliver(message)] });
    b.link.rejoined();
    await caughtUp;
    await load(b.cache); // queued after the catch-up's write to B's copy
    assert.deepEqual(usernames(b.cache), ['alice@contoso.com']);
    assert.equal(b.secrets.values.get(KEY), a.secrets.values.get(KEY));
    windows.dispose();
  });
});
