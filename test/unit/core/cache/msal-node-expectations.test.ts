/**
 * What msal-node's own cache tests expect of a token cache, checked on ours through our API.
 *
 * Facts taken (not code, not fixtures) from AzureAD/microsoft-authentication-library-for-js,
 * lib/msal-node/test/cache/: TokenCache.spec.ts (round trip, unknown entities, removal, reads
 * that write nothing), Storage.spec.ts (key shapes, lookups by alias, case and scope superset,
 * tolerated malformed entries), serializer/Serializer.spec.ts and Deserializer.spec.ts with
 * serializer/cache.json and cache-test-files/*.json (which fields an entry carries and keeps),
 * BoundedCache.spec.ts (app-only tokens partitioned by additionalCacheKeyComponents). The cache
 * below is our own, written in the shape msal-node 7 serializes (keys of
 * lib/msal-node/src/cache/CacheHelpers.ts: seven segments, the last one the scheme).
 *
 * Where ours differs on purpose (MSAL for Python's schema and semantics, see README "How the
 * cache is written, and why" and the header of src/core/cache/schema.ts), msal-node's behaviour
 * is not asserted here: Bearer access-token and ID-token keys, key_id in PoP keys, one account
 * entry per realm, deserialize() replacing instead of merging and leaving hasStateChanged false,
 * removal of the app's (and family's) refresh tokens only, getAppAccounts() listing only
 * accounts with the app's tokens.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CredentialType, makeAccountKey, makeAppMetadataKey, makeCredentialKey, SerializableTokenCache } from '../../../../src/core/cache/index.js';
import { clientInfo, idToken } from './fixtures.js';

const HOME = 'ada-oid.contoso-tid';
const REALM = 'contoso-tid';
const ENV = 'login.windows.net'; // msal-node files entries under the authority's preferred cache alias
const ALIASES = ['login.microsoftonline.com', ENV];
const APP = 'node-app';
const SIBLING = 'family-sibling-app';
/** msal-node's test fixtures cache tokens at 1000 that expire at 4600 (epoch seconds). */
const VALID = 2000;
const EXPIRED = 5000;

const at = (target: string, secret: string, extra: Record<string, unknown> = {}) => ({
  home_account_id: HOME, environment: ENV, credential_type: 'AccessToken', client_id: APP, secret, realm: REALM, target,
  cached_at: '1000', expires_on: '4600', extended_expires_on: '4600', ...extra,
});

/** A cache as msal-node 7 writes it for one account, with fields and a section it does not know. */
const MSAL_NODE_CACHE = {
  FutureSection: { 'some-key': { nested: { deeper: [1, 'two'] } } },
  Account: {
    [`${HOME}-${ENV}-${REALM}`]: {
      home_account_id: HOME, environment: ENV, realm: REALM, local_account_id: 'ada-oid', username: 'ada@contoso.example',
      authority_type: 'MSSTS', name: 'Ada', client_info: clientInfo('ada-oid', 'contoso-tid'),
      tenantProfiles: [JSON.stringify({ tenantId: REALM, localAccountId: 'ada-oid', name: 'Ada', isHomeTenant: true })],
      futureField: { kept: ['as', 'is'] },
    },
  },
  IdToken: {
    [`${HOME}-${ENV}-idtoken-${APP}-${REALM}--`]: {
      home_account_id: HOME, environment: ENV, credential_type: 'IdToken', client_id: APP, realm: REALM,
      secret: idToken({ sub: 'ada-sub', oid: 'ada-oid', tid: REALM, preferred_username: 'ada@contoso.example' }),
    },
  },
  AccessToken: {
    [`${HOME}-${ENV}-accesstoken-${APP}-${REALM}-scope1 scope2 scope3-`]: at('scope1 scope2 scope3', 'at-123', { userAssertionHash: 'obo-hash', refresh_on: '3000' }),
    [`${HOME}-${ENV}-accesstoken-${APP}-${REALM}-scope4 scope5-`]: at('scope4 scope5', 'at-45', { token_type: 'Bearer' }),
    [`${HOME}-${ENV}-accesstoken_with_authscheme-${APP}-${REALM}-scope4 scope5-pop`]: at('scope4 scope5', 'pop-45', {
      credential_type: 'AccessToken_With_AuthScheme', token_type: 'pop', key_id: 'pop-key-1',
    }),
  },
  RefreshToken: {
    [`${HOME}-${ENV}-refreshtoken-${APP}---`]: { home_account_id: HOME, environment: ENV, credential_type: 'RefreshToken', client_id: APP, secret: 'rt-app' },
    [`${HOME}-${ENV}-refreshtoken-1---`]: { home_account_id: HOME, environment: ENV, credential_type: 'RefreshToken', client_id: APP, secret: 'rt-family', family_id: '1' },
  },
  AppMetadata: { [`appmetadata-${ENV}-${APP}`]: { client_id: APP, environment: ENV, family_id: '1' } },
};
const STATE = JSON.stringify(MSAL_NODE_CACHE);

function load(state: unknown = MSAL_NODE_CACHE): SerializableTokenCache {
  const cache = new SerializableTokenCache();
  cache.deserialize(typeof state === 'string' ? state : JSON.stringify(state));
  return cache;
}

const ACCOUNT_QUERY = { homeAccountId: HOME, environments: ALIASES, clientId: APP, realm: REALM };

describe('msal-node cache expectations: an empty cache', () => {
  test('a new cache and one loaded from "" have no accounts, serialize to {} and have not changed', () => {
    for (const cache of [new SerializableTokenCache(), load('')]) {
      assert.deepEqual(cache.getAccounts(), []);
      assert.equal(cache.hasStateChanged, false);
      assert.deepEqual(JSON.parse(cache.serialize()), {});
    }
  });
});

describe('msal-node cache expectations: deserialize, then serialize', () => {
  test('gives back the same cache: every section, entry, key and field, unknown ones included', () => {
    const cache = load(STATE);
    const out = cache.serialize();
    assert.deepEqual(JSON.parse(out), MSAL_NODE_CACHE);
    assert.equal(out, STATE, 'not even the order of keys and fields changes');
    assert.equal(cache.hasStateChanged, false);
  });

  test('account, app metadata and refresh-token keys are the ones msal-node makes', () => {
    const [accountKey] = Object.keys(MSAL_NODE_CACHE.Account);
    const [rtKey, familyRtKey] = Object.keys(MSAL_NODE_CACHE.RefreshToken);
    const [appMetadataKey] = Object.keys(MSAL_NODE_CACHE.AppMetadata);
    assert.equal(makeAccountKey({ home_account_id: HOME, environment: ENV, realm: REALM }), accountKey);
    assert.equal(makeAppMetadataKey({ environment: ENV, client_id: APP }), appMetadataKey);
    assert.equal(makeCredentialKey(Object.values(MSAL_NODE_CACHE.RefreshToken)[0]!), rtKey);
    assert.equal(makeCredentialKey(Object.values(MSAL_NODE_CACHE.RefreshToken)[1]!), familyRtKey);
  });
});

describe('msal-node cache expectations: finding what msal-node wrote', () => {
  test('the account, with the fields msal-node keeps on it', () => {
    const cache = load();
    const [account, ...others] = cache.getAccounts({ environments: ALIASES });
    assert.equal(others.length, 0);
    assert.equal(account?.home_account_id, HOME);
    assert.equal(account?.username, 'ada@contoso.example');
    assert.equal(account?.local_account_id, 'ada-oid');
    assert.equal(account?.client_info, MSAL_NODE_CACHE.Account[`${HOME}-${ENV}-${REALM}`].client_info);
    assert.deepEqual(account?.tenantProfiles, MSAL_NODE_CACHE.Account[`${HOME}-${ENV}-${REALM}`].tenantProfiles);
    assert.equal(cache.getAccounts({ homeAccountId: HOME }).length, 1);
    assert.deepEqual(cache.getAccounts({ homeAccountId: HOME, realm: 'invalid' }), [], 'no account under a realm it was not stored under');
    assert.deepEqual(cache.getAppAccounts({ environments: ALIASES, clientId: APP }).map((a) => a.home_account_id), [HOME]);
    assert.equal(cache.getAppAccounts({ environments: ALIASES, clientId: SIBLING, familyId: '1' }).length, 1, 'a family app lists it too');
  });

  test('access tokens: by scope subset, case-insensitively, Bearer apart from PoP, not once expired', () => {
    const cache = load();
    const query = { ...ACCOUNT_QUERY, now: VALID };
    assert.equal(cache.findAccessToken({ ...query, scopes: ['scope1'] })?.secret, 'at-123');
    assert.equal(cache.findAccessToken({ ...query, scopes: ['SCOPE3', 'Scope2'] })?.secret, 'at-123');
    assert.equal(cache.findAccessToken({ ...query, scopes: ['scope5'] })?.secret, 'at-45', 'the Bearer token, never the PoP one');
    assert.equal(cache.findAccessToken({ ...query, scopes: ['scope1', 'scope4'] }), undefined, 'no token holds both');
    assert.equal(cache.findAccessToken({ ...query, scopes: ['scope4'], tokenType: 'pop', keyId: 'pop-key-1' })?.secret, 'pop-45');
    assert.equal(cache.findAccessToken({ ...query, scopes: ['scope1'], now: EXPIRED }), undefined);
  });

  test('the ID token, refresh tokens (the app’s own and the family’s) and app metadata', () => {
    const cache = load();
    assert.equal(cache.findIdToken(ACCOUNT_QUERY)?.credential_type, 'IdToken');
    assert.equal(cache.findIdToken({ ...ACCOUNT_QUERY, realm: 'other-tenant' }), undefined);
    assert.equal(cache.findIdToken({ ...ACCOUNT_QUERY, clientId: SIBLING }), undefined);
    assert.deepEqual(cache.findRefreshTokens(ACCOUNT_QUERY).map((rt) => rt.secret).sort(), ['rt-app', 'rt-family']);
    assert.equal(cache.findRefreshToken({ ...ACCOUNT_QUERY, clientId: SIBLING, familyId: '1' })?.secret, 'rt-family');
    assert.equal(cache.findRefreshToken({ ...ACCOUNT_QUERY, clientId: SIBLING }), undefined);
    assert.equal(cache.findAppMetadata({ environments: ALIASES, clientId: APP })?.family_id, '1');
  });

  test('search() finds entries by their fields, whatever their keys', () => {
    const cache = load();
    assert.equal(cache.search(CredentialType.ACCOUNT, { query: { home_account_id: HOME } }).length, 1);
    assert.deepEqual(cache.search(CredentialType.REFRESH_TOKEN, { query: { family_id: '1' } }).map((rt) => rt.secret), ['rt-family']);
    const scope1 = cache.search(CredentialType.ACCESS_TOKEN, { query: { home_account_id: HOME, environment: ENV, client_id: APP, realm: REALM }, target: ['scope1'], now: VALID });
    assert.deepEqual(scope1.map((t) => t.secret), ['at-123']);
  });

  test('reading writes nothing: the cache has not changed and serializes as it was loaded', () => {
    const cache = load(STATE);
    cache.getAccounts();
    cache.getAppAccounts({ environments: ALIASES, clientId: APP });
    cache.findAccessToken({ ...ACCOUNT_QUERY, scopes: ['scope1'], now: VALID });
    cache.findRefreshTokens(ACCOUNT_QUERY);
    cache.findIdToken(ACCOUNT_QUERY);
    cache.findAppMetadata({ environments: ALIASES, clientId: APP });
    assert.equal(cache.hasStateChanged, false);
    assert.equal(cache.serialize(), STATE);
  });
});

describe('msal-node cache expectations: lookup rules of its storage tests', () => {
  const token = (environment: string, target: unknown, secret: string) => ({ ...at('x', secret, { environment }), target });

  test('environments match case-insensitively; a token without a target is never served, and nothing throws', () => {
    const cache = load({
      AccessToken: {
        a: token('Mixed-Cache.Example.com', 'SCOPE.WRITE scope.read', 'mixed-case'),
        b: { ...token(ENV, undefined, 'no-target'), client_id: 'other-app' },
      },
    });
    const query = { ...ACCOUNT_QUERY, now: VALID };
    assert.equal(cache.findAccessToken({ ...query, environments: ['mixed-cache.example.com'], scopes: ['scope.write'] })?.secret, 'mixed-case');
    assert.equal(cache.findAccessToken({ ...query, clientId: 'other-app', scopes: ['scope.read'] }), undefined);
  });

  test('entries under msal-node’s older key shapes, and a refresh token that records a realm, are found', () => {
    const cache = load({
      AccessToken: { [`${HOME}-${ENV}-accesstoken-${APP}-${REALM}-scope1 scope2--`]: at('scope1 scope2', 'old-at') },
      IdToken: { [`${HOME}-${ENV}-idtoken-${APP}-${REALM}---`]: { ...MSAL_NODE_CACHE.IdToken[`${HOME}-${ENV}-idtoken-${APP}-${REALM}--`], secret: 'old-idt' } },
      RefreshToken: {
        [`${HOME}-${ENV}-refreshtoken-${APP}-${REALM}--`]: { home_account_id: HOME, environment: ENV, credential_type: 'RefreshToken', client_id: APP, realm: REALM, secret: 'old-rt' },
      },
    });
    assert.equal(cache.findAccessToken({ ...ACCOUNT_QUERY, scopes: ['scope2'], now: VALID })?.secret, 'old-at');
    assert.equal(cache.findIdToken(ACCOUNT_QUERY)?.secret, 'old-idt');
    assert.equal(cache.findRefreshToken(ACCOUNT_QUERY)?.secret, 'old-rt');
  });

  test('an older msal-node PoP entry (camelCase tokenType and keyId) is never served as a Bearer token', () => {
    const cache = load({
      AccessToken: {
        pop: at('scope4 scope5', 'legacy-pop', { credential_type: 'AccessToken_With_AuthScheme', tokenType: 'pop', keyId: 'k' }),
      },
    });
    assert.equal(cache.findAccessToken({ ...ACCOUNT_QUERY, scopes: ['scope4'], now: VALID }), undefined);
  });
});

describe('msal-node cache expectations: removing the account', () => {
  test('empties Account, IdToken, AccessToken and RefreshToken, and keeps app metadata and unknown sections', () => {
    const cache = load();
    cache.removeAccountData({ homeAccountId: HOME, environments: ALIASES, clientId: APP });
    assert.equal(cache.hasStateChanged, true);
    const after = JSON.parse(cache.serialize());
    assert.equal(cache.hasStateChanged, false);
    assert.deepEqual(after.Account, {});
    assert.deepEqual(after.IdToken, {});
    assert.deepEqual(after.AccessToken, {});
    assert.deepEqual(after.RefreshToken, {});
    assert.deepEqual(after.AppMetadata, MSAL_NODE_CACHE.AppMetadata);
    assert.deepEqual(after.FutureSection, MSAL_NODE_CACHE.FutureSection);
    assert.deepEqual(cache.getAccounts(), []);
  });
});

describe('msal-node cache expectations: app-only tokens partitioned by additionalCacheKeyComponents', () => {
  // msal-node 7 stores a client-credential token obtained for an FMI path (a different agent
  // identity) with `additionalCacheKeyComponents`, an extra key segment hashed from them, and
  // never serves it to a request without the same components (nor the other way round).
  test('a token msal-node got for an FMI path is not served to a plain client-credential request', () => {
    const cache = load({
      AccessToken: {
        [`-${ENV}-accesstoken-daemon-app-${REALM}-https://graph.microsoft.com/.default--c2vnbwvudc1oyxno`]: {
          home_account_id: '', environment: ENV, credential_type: 'AccessToken', client_id: 'daemon-app', secret: 'agent-a-token', realm: REALM,
          target: 'https://graph.microsoft.com/.default', cached_at: '1000', expires_on: '4600', extended_expires_on: '4600',
          token_type: 'Bearer', additionalCacheKeyComponents: { fmi_path: 'agent-a' },
        },
      },
    });
    const found = cache.findAppOnlyAccessToken({ environments: ALIASES, clientId: 'daemon-app', realm: REALM, scopes: ['https://graph.microsoft.com/.default'], now: VALID });
    assert.equal(found?.secret, undefined, 'served a token partitioned by additionalCacheKeyComponents to a request without them');
  });
});
