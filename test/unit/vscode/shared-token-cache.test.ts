import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SecretTokenCache, type SecretCacheEvents } from '../../../src/vscode/secret-cache.js';
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

/** Records the events; `nextExternalChange()` resolves at the next onExternalChange. */
function recorder() {
  const seen = { externalChanges: 0, unreadable: [] as string[], errors: [] as unknown[] };
  let waiters: (() => void)[] = [];
  const events: SecretCacheEvents = {
    onExternalChange() {
      seen.externalChanges += 1;
      for (const wake of waiters) wake();
      waiters = [];
    },
    onUnreadable(backupKey) {
      seen.unreadable.push(backupKey);
    },
    onError(err) {
      seen.errors.push(err);
    },
  };
  const nextExternalChange = () => new Promise<void>((resolve) => waiters.push(resolve));
  return { seen, events, nextExternalChange };
}

/**
 * The fake store answers at once, so every reload a change event starts settles within promise
 * callbacks: one turn of the event loop (setImmediate runs after them) is enough to see it done.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What a sign-in adds: an access token. */
function addAccessToken(cache: SecretTokenCache): void {
  cache.cache.add({
    clientId: CLIENT,
    scope: ['https://graph.microsoft.com/.default'],
    tokenEndpoint: `https://${ENVIRONMENT}/contoso/oauth2/v2.0/token`,
    response: { access_token: 'at', token_type: 'Bearer', expires_in: 3600 },
  });
}

function usernames(cache: SecretTokenCache): string[] {
  return cache.cache.getAccounts().map((account) => account.username);
}

describe('SecretTokenCache.load', () => {
  test('nothing stored: false and an empty cache; then the stored state, once', async () => {
    const secrets = new FakeSecrets();
    const { events } = recorder();
    const cache = new SecretTokenCache(secrets, KEY, events);
    assert.equal(await cache.load(), false);
    assert.deepEqual(usernames(cache), []);
    assert.deepEqual(secrets.gets, [KEY]);

    secrets.values.set(KEY, cacheState('alice@contoso.com'));
    assert.equal(await cache.load(), true);
    assert.deepEqual(usernames(cache), ['alice@contoso.com']);
    assert.equal(cache.cache.hasStateChanged, false);
    assert.ok(cache.cache.findRefreshToken({ homeAccountId: HOME, environments: [ENVIRONMENT], clientId: CLIENT }));

    assert.equal(await cache.load(), false, 'unchanged since the last read');
    assert.deepEqual(secrets.stores, [], 'reading never writes');
    cache.dispose();
  });

  test('an error of the store other than unreadable data passes through', async () => {
    const secrets = new FakeSecrets();
    secrets.get = async () => {
      throw new Error('keyring locked');
    };
    const cache = new SecretTokenCache(secrets, KEY, recorder().events);
    await assert.rejects(cache.load(), /keyring locked/);
    cache.dispose();
  });
});

describe('SecretTokenCache.save', () => {
  test('writes only when the cache changed', async () => {
    const secrets = new FakeSecrets();
    secrets.values.set(KEY, cacheState('alice@contoso.com'));
    const { seen, events } = recorder();
    const cache = new SecretTokenCache(secrets, KEY, events);
    await cache.load();

    await cache.save();
    assert.deepEqual(secrets.stores, [], 'nothing changed since load');

    cache.cache.removeAccount(cache.cache.getAccounts()[0]!);
    await cache.save();
    assert.deepEqual(secrets.stores, [KEY]);
    const written = JSON.parse(secrets.values.get(KEY)!);
    assert.deepEqual(written.Account, {});
    assert.ok(written.RefreshToken, 'the rest is kept');

    await cache.save();
    assert.deepEqual(secrets.stores, [KEY], 'nothing changed since the last save');

    await settle();
    assert.equal(seen.externalChanges, 0, 'our own write is no external change');
    assert.equal(await cache.load(), false, 'and no reload is needed');
    cache.dispose();
  });
});

describe('SecretTokenCache: changes from other windows', () => {
  test('a change of our key reloads the cache and calls onExternalChange', { timeout: 5000 }, async () => {
    const secrets = new FakeSecrets();
    const { seen, events, nextExternalChange } = recorder();
    const cache = new SecretTokenCache(secrets, KEY, events);
    await cache.load();

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

  test('a failing read after a change is reported through onError, not thrown', { timeout: 5000 }, async () => {
    const secrets = new FakeSecrets();
    const { seen, events } = recorder();
    const cache = new SecretTokenCache(secrets, KEY, events);
    await cache.load();
    const failure = new Error('keyring locked');
    const reported = new Promise<void>((resolve) => {
      const original = events.onError;
      events.onError = (err) => {
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
    const secrets = new FakeSecrets();
    secrets.values.set(KEY, cacheState('alice@contoso.com'));
    const { seen, events } = recorder();
    const cache = new SecretTokenCache(secrets, KEY, events);
    await cache.load();

    secrets.writeFromOtherWindow(KEY, cacheState('alice@contoso.com'));
    await settle();
    assert.equal(seen.externalChanges, 0);

    cache.cache.removeAccount(cache.cache.getAccounts()[0]!);
    const gets = secrets.gets.length;
    await cache.save();
    await settle();
    assert.equal(secrets.gets.length, gets + 1, 'the echo was read');
    assert.equal(seen.externalChanges, 0, 'and recognised as our own');
    cache.dispose();
  });

  test('changes of other keys are ignored', async () => {
    const secrets = new FakeSecrets();
    const { seen, events } = recorder();
    const cache = new SecretTokenCache(secrets, KEY, events);
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
    const cache = new SecretTokenCache(secrets, KEY, events);
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

describe('SecretTokenCache: unreadable data', () => {
  for (const [name, bad] of [
    ['not JSON', '{"Account": '],
    ['not a cache', '{"AccessToken": {"k": {"home_account_id": 5}}}'],
  ] as const) {
    test(`${name}: set aside under <key>.unreadable, reported once, empty cache; the key is kept until the next save`, async () => {
      const secrets = new FakeSecrets();
      secrets.values.set(KEY, bad);
      const { seen, events } = recorder();
      const cache = new SecretTokenCache(secrets, KEY, events);

      assert.equal(await cache.load(), true);
      assert.deepEqual(seen.unreadable, [`${KEY}.unreadable`]);
      assert.equal(secrets.values.get(`${KEY}.unreadable`), bad);
      assert.deepEqual(usernames(cache), []);
      assert.equal(cache.cache.serialize(), '{}');
      assert.equal(secrets.values.get(KEY), bad, 'the original is untouched');

      assert.equal(await cache.load(), false);
      await cache.save();
      await settle();
      assert.deepEqual(seen.unreadable, [`${KEY}.unreadable`], 'reported once');
      assert.equal(secrets.values.get(KEY), bad, 'still untouched: nothing changed');
      assert.deepEqual(secrets.stores, [`${KEY}.unreadable`]);
      assert.equal(seen.externalChanges, 0);

      // A sign-in adds tokens; the next save replaces the unreadable data.
      addAccessToken(cache);
      await cache.save();
      assert.deepEqual(secrets.stores, [`${KEY}.unreadable`, KEY]);
      assert.ok(JSON.parse(secrets.values.get(KEY)!).AccessToken);
      assert.equal(secrets.values.get(`${KEY}.unreadable`), bad, 'the backup stays');
      cache.dispose();
    });
  }

  test('unreadable data written by another window is set aside; this window keeps its sign-in and writes it back', { timeout: 5000 }, async () => {
    const secrets = new FakeSecrets();
    secrets.values.set(KEY, cacheState('alice@contoso.com'));
    const { seen, events, nextExternalChange } = recorder();
    const cache = new SecretTokenCache(secrets, KEY, events);
    await cache.load();
    const changed = nextExternalChange();
    secrets.writeFromOtherWindow(KEY, 'garbage');
    await changed;
    assert.deepEqual(seen.unreadable, [`${KEY}.unreadable`]);
    assert.equal(secrets.values.get(`${KEY}.unreadable`), 'garbage');
    assert.deepEqual(usernames(cache), ['alice@contoso.com']);
    await cache.save();
    assert.deepEqual(JSON.parse(secrets.values.get(KEY)!), JSON.parse(cacheState('alice@contoso.com')));
    cache.dispose();
  });
});

describe('SecretTokenCache: windows that changed the cache at the same time', () => {
  test('a change from another window meets unsaved changes here: both are kept, entry by entry', { timeout: 5000 }, async () => {
    const secrets = new FakeSecrets();
    secrets.values.set(KEY, cacheState('alice@contoso.com', 'rt-1'));
    const { events, nextExternalChange } = recorder();
    const cache = new SecretTokenCache(secrets, KEY, events);
    await cache.load();
    // This window gets an access token (unsaved) while another window rotates the refresh token.
    addAccessToken(cache);
    const changed = nextExternalChange();
    secrets.writeFromOtherWindow(KEY, cacheState('alice@contoso.com', 'rt-2'));
    await changed;
    await cache.save();
    const written = JSON.parse(secrets.values.get(KEY)!);
    assert.deepEqual(Object.values(written.RefreshToken).map((entry) => (entry as { secret: string }).secret), ['rt-2'], 'the rotated refresh token, not ours');
    assert.equal(Object.keys(written.AccessToken).length, 1, 'and our new access token');
    cache.dispose();
  });
});

/**
 * Windows of a browser-based editor: each has its own SecretStorage copy (no change events
 * cross), linked only by a PeerLink that calls the other windows' handlers in turn.
 */
class Windows {
  readonly list: { secrets: FakeSecrets; cache: SecretTokenCache; events: ReturnType<typeof recorder>; sent: Record<string, unknown>[] }[] = [];

  open(stored?: string) {
    const secrets = new FakeSecrets();
    if (stored !== undefined) secrets.values.set(KEY, stored);
    const events = recorder();
    const sent: Record<string, unknown>[] = [];
    const link = {
      broadcast: async (message: Record<string, unknown>) => {
        sent.push(message);
        const others = this.list.filter((window) => window.cache !== cache);
        return Promise.all(others.map((window) => window.cache.handlePeerMessage(message)));
      },
    };
    const cache = new SecretTokenCache(secrets, KEY, events.events, link);
    const window = { secrets, cache, events, sent };
    this.list.push(window);
    return window;
  }

  dispose(): void {
    for (const window of this.list) window.cache.dispose();
  }
}

describe('SecretTokenCache: windows with SecretStorage copies of their own, linked by peers', () => {
  test('a save reaches the other window: adopted, stored in its copy, announced once, not sent back', { timeout: 5000 }, async () => {
    const windows = new Windows();
    const a = windows.open();
    const b = windows.open();
    await a.cache.load();
    await b.cache.load();
    a.cache.cache.deserialize(cacheState('alice@contoso.com'));
    addAccessToken(a.cache);
    await a.cache.save();
    await settle();
    assert.deepEqual(usernames(b.cache), ['alice@contoso.com']);
    assert.equal(b.secrets.values.get(KEY), a.secrets.values.get(KEY), "B's copy is current");
    assert.equal(b.events.seen.externalChanges, 1, 'the echo of its own store is recognised');
    assert.deepEqual(b.sent, [], 'nothing is sent back');
    assert.equal(await b.cache.load(), false);
    assert.deepEqual(b.secrets.stores, [KEY]);
    windows.dispose();
  });

  test('a window that starts late takes the newest cache the others hold, whatever its copy says', { timeout: 5000 }, async () => {
    const windows = new Windows();
    const a = windows.open();
    await a.cache.load();
    a.cache.cache.deserialize(cacheState('alice@contoso.com', 'rt-1'));
    addAccessToken(a.cache);
    await a.cache.save();
    // C opened before A wrote: its copy is stale (empty); B never held anything either.
    const b = windows.open();
    const c = windows.open(cacheState('alice@contoso.com', 'rt-0'));
    await b.cache.catchUp();
    await c.cache.catchUp();
    for (const late of [b, c]) {
      assert.equal(late.secrets.values.get(KEY), a.secrets.values.get(KEY));
      assert.equal(await late.cache.load(), false, 'its copy now holds the newest');
    }
    windows.dispose();
  });

  test('nothing newer among the others: catching up changes nothing', async () => {
    const windows = new Windows();
    const a = windows.open(cacheState('alice@contoso.com'));
    await a.cache.catchUp();
    assert.deepEqual(a.sent.map((message) => message.kind), ['cache-state']);
    const b = windows.open(); // holds nothing, generation unknown
    await b.cache.load();
    await a.cache.catchUp();
    assert.deepEqual(a.secrets.stores, []);
    assert.equal(await a.cache.load(), true, 'its own copy is read as usual');
    assert.deepEqual(usernames(a.cache), ['alice@contoso.com']);
    windows.dispose();
  });

  test('messages of other topics or kinds are not answered', async () => {
    const cache = new SecretTokenCache(new FakeSecrets(), KEY, recorder().events);
    assert.equal(await cache.handlePeerMessage({ kind: 'cache-state', topic: 'other' }), undefined);
    assert.equal(await cache.handlePeerMessage({ kind: 'something-new', topic: KEY }), undefined);
    assert.equal(await cache.handlePeerMessage({ kind: 'cache-update', topic: KEY, text: 5, generation: 1 }), undefined);
    assert.deepEqual(usernames(cache), []);
    cache.dispose();
  });

  test('a store that already has the handed-over cache (desktop: shared SecretStorage) is not written again', async () => {
    const secrets = new FakeSecrets();
    const cache = new SecretTokenCache(secrets, KEY, recorder().events);
    await cache.load();
    const text = cacheState('bob@contoso.com');
    secrets.values.set(KEY, text);
    await cache.handlePeerMessage({ kind: 'cache-update', topic: KEY, text, generation: 1 });
    assert.deepEqual(secrets.stores, []);
    assert.deepEqual(usernames(cache), ['bob@contoso.com']);
    cache.dispose();
  });
});

describe('SecretTokenCache: data this version did not write', () => {
  test('an empty string or blanks are an empty cache: not reported, nothing written', async () => {
    for (const blank of ['', '  \n']) {
      const secrets = new FakeSecrets();
      secrets.values.set(KEY, blank);
      const { seen, events } = recorder();
      const cache = new SecretTokenCache(secrets, KEY, events);
      await cache.load();
      await cache.save();
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
    const cache = new SecretTokenCache(secrets, KEY, events);
    await cache.load();
    assert.deepEqual(seen.unreadable, [], 'a newer cache is readable');
    assert.deepEqual(usernames(cache), ['alice@contoso.com']);

    addAccessToken(cache);
    await cache.save();
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
    const broken = new SecretTokenCache(secrets, KEY, first.events);
    const other = new SecretTokenCache(secrets, otherKey, second.events);
    await broken.load();
    await other.load();
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
