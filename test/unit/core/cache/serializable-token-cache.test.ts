import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CredentialType, SerializableTokenCache } from '../../../../src/core/cache/index.js';
import { ALIASES, assertAuthError, CLIENT, entraEvent, HOME, NOW, TENANT } from './fixtures.js';

const GRAPH_READ = 'https://graph.microsoft.com/User.Read';
const ACCESS_QUERY = { homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, realm: TENANT, scopes: [GRAPH_READ], now: NOW };

function filledCache(): SerializableTokenCache {
  const cache = new SerializableTokenCache();
  cache.add(entraEvent(), NOW);
  return cache;
}

describe('SerializableTokenCache: serialize and deserialize', () => {
  test('empty, null, undefined and blank states make an empty cache', () => {
    for (const state of ['', null, undefined, '  \n']) {
      const cache = filledCache();
      cache.deserialize(state);
      assert.deepEqual(cache.getAccounts(), []);
      assert.equal(cache.serialize(), '{}');
    }
  });

  test('round trip: what is serialized deserializes to the same cache and the same text', () => {
    const first = filledCache();
    const state = first.serialize();
    const second = new SerializableTokenCache();
    second.deserialize(state);
    assert.equal(second.serialize(), state);
    assert.equal(second.getAccounts().length, 1);
    assert.equal(second.findAccessToken(ACCESS_QUERY)?.secret, first.findAccessToken(ACCESS_QUERY)?.secret);
    assert.ok(second.findRefreshToken(ACCESS_QUERY));
    assert.ok(second.findIdToken(ACCESS_QUERY));
    assert.deepEqual(Object.keys(JSON.parse(state)).sort(), ['AccessToken', 'Account', 'AppMetadata', 'IdToken', 'RefreshToken']);
  });

  test('unknown sections, entries and fields are kept verbatim, also across changes', () => {
    // MSAL for Python's SerializableTokenCacheTestCase fixture, plus a field of a future version.
    const cache = new SerializableTokenCache();
    const state = filledCache().serialize();
    const parsed = JSON.parse(state);
    parsed.AccessToken['an-entry'] = { foo: 'bar' };
    parsed.customized = 'whatever';
    parsed.ServerTelemetry = { 'server-telemetry-x': { cacheHits: 3 } };
    const accountKey = Object.keys(parsed.Account)[0];
    parsed.Account[accountKey].tenantProfiles = ['{"tenantId":"t","isHomeTenant":true}'];
    parsed.Account[accountKey].future_field = { nested: [1, 2] };
    cache.deserialize(JSON.stringify(parsed));

    assert.deepEqual(JSON.parse(cache.serialize()), parsed);
    cache.add(entraEvent({ clientId: 'another-app' }), NOW);
    cache.removeRefreshToken(cache.findRefreshToken({ ...ACCESS_QUERY, clientId: 'another-app' })!);
    const after = JSON.parse(cache.serialize());
    assert.equal(after.customized, 'whatever');
    assert.deepEqual(after.ServerTelemetry, parsed.ServerTelemetry);
    assert.deepEqual(after.AccessToken['an-entry'], { foo: 'bar' });
    assert.deepEqual(after.Account[accountKey].future_field, undefined, 'add() writes a fresh account entry, as MSAL for Python does');
    assert.ok(after.AccessToken[Object.keys(parsed.AccessToken)[0]!], 'the first app’s token stays');
  });

  test('an entry the library does not understand does not break lookups', () => {
    const cache = new SerializableTokenCache();
    cache.deserialize(JSON.stringify({ AccessToken: { 'an-entry': { foo: 'bar' } }, RefreshToken: { x: {} }, Account: { y: {} } }));
    assert.equal(cache.findAccessToken({ ...ACCESS_QUERY, homeAccountId: '' }), undefined);
    assert.equal(cache.getAccounts().length, 1);
    assert.equal(cache.search(CredentialType.ACCESS_TOKEN, { now: NOW }).length, 0);
    assert.deepEqual(JSON.parse(cache.serialize()).AccessToken, { 'an-entry': { foo: 'bar' } }, 'and is not removed as if expired');
  });

  test('null fields, as MSAL for Python writes them for app-only tokens, read as empty', () => {
    const cache = new SerializableTokenCache();
    const pythonEntry = {
      credential_type: 'AccessToken',
      secret: 'app-at',
      home_account_id: null,
      environment: 'login.microsoftonline.com',
      client_id: 'daemon',
      target: 'https://graph.microsoft.com/.default',
      realm: TENANT,
      token_type: 'Bearer',
      cached_at: String(NOW),
      expires_on: String(NOW + 3599),
      extended_expires_on: String(NOW + 3599),
    };
    cache.deserialize(JSON.stringify({ AccessToken: { [`-login.microsoftonline.com-accesstoken-daemon-${TENANT}-https://graph.microsoft.com/.default`]: pythonEntry } }));
    const found = cache.findAppOnlyAccessToken({ environments: ALIASES, clientId: 'daemon', realm: TENANT, scopes: ['https://graph.microsoft.com/.default'], now: NOW });
    assert.deepEqual(found, pythonEntry);
  });

  test('invalid JSON or a wrong shape throws invalid_cache and leaves the contents as they were', () => {
    const cache = filledCache();
    const before = cache.serialize();
    cache.add(entraEvent({ clientId: 'pending-change' }), NOW);
    assert.equal(cache.hasStateChanged, true);
    const pending = cache.serialize();
    cache.add(entraEvent({ clientId: 'pending-change-2' }), NOW);
    const bad = [
      '{"Account": ',
      'not json',
      '[]',
      '"a string"',
      '42',
      'null',
      '{"Account": []}',
      '{"Account": "x"}',
      '{"AccessToken": null}',
      '{"AccessToken": {"k": "v"}}',
      '{"AccessToken": {"k": [1]}}',
      '{"AccessToken": {"k": {"home_account_id": 5}}}',
      '{"RefreshToken": {"k": {"family_id": 1}}}',
      '{"Account": {"k": {"username": {"a": 1}}}}',
    ];
    for (const state of bad) {
      assertAuthError(() => cache.deserialize(state), 'invalid_cache');
      assert.equal(cache.hasStateChanged, true, `still changed after ${state}`);
      assert.ok(cache.findAccessToken({ ...ACCESS_QUERY, clientId: 'pending-change-2' }), `contents kept after ${state}`);
    }
    assertAuthError(() => cache.deserialize(42 as unknown as string), 'invalid_cache');
    assert.notEqual(cache.serialize(), pending);
    assert.notEqual(before, pending);
  });
});

describe('SerializableTokenCache.hasStateChanged', () => {
  test('false when new, after serialize and after deserialize; true after every change', () => {
    const cache = new SerializableTokenCache();
    assert.equal(cache.hasStateChanged, false);
    cache.add(entraEvent(), NOW);
    assert.equal(cache.hasStateChanged, true);
    const state = cache.serialize();
    assert.equal(cache.hasStateChanged, false);

    // Lookups change nothing.
    cache.getAccounts();
    cache.findAccessToken(ACCESS_QUERY);
    cache.findRefreshToken(ACCESS_QUERY);
    cache.search(CredentialType.ACCOUNT);
    assert.equal(cache.hasStateChanged, false);

    cache.updateRefreshToken(cache.findRefreshToken(ACCESS_QUERY)!, 'rotated', NOW);
    assert.equal(cache.hasStateChanged, true);
    cache.deserialize(state);
    assert.equal(cache.hasStateChanged, false);

    cache.removeAccessToken(cache.findAccessToken(ACCESS_QUERY)!);
    assert.equal(cache.hasStateChanged, true);
    cache.deserialize(state);
    cache.modify(CredentialType.ACCOUNT, cache.getAccounts()[0]!, { name: 'Renamed' });
    assert.equal(cache.hasStateChanged, true);
    cache.deserialize(state);
    cache.removeAccountData({ homeAccountId: HOME, environments: ALIASES, clientId: CLIENT });
    assert.equal(cache.hasStateChanged, true);
    cache.deserialize(state);

    // Removing what is not there is no change.
    cache.removeAccountData({ homeAccountId: 'nobody', environments: ALIASES, clientId: CLIENT });
    cache.removeAppOnlyTokens({ environments: ALIASES, clientId: CLIENT });
    assert.equal(cache.hasStateChanged, false);
  });
});
