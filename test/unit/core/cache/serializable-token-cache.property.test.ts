/**
 * Property tests of loading a persisted token cache: the stored JSON is outside input (another
 * MSAL library, another version, a damaged file or secret store). A state that cannot be used is
 * refused with `invalid_cache` and the cache keeps what it held; a state that loads can be read,
 * written and cleaned without any untyped error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PublicClientApplication } from '../../../../src/core/index.js';
import { CredentialType, SerializableTokenCache } from '../../../../src/core/cache/index.js';
import type { FetchLike } from '../../../../src/core/http.js';
import { anyJson, anyString, hostileValue, runOptions, typedOrValue, typedOrValueAsync, withField } from '../property.js';
import { ALIASES, CLIENT, ENTRA_TOKEN_ENDPOINT, entraEvent, HOME, NOW, TENANT } from './fixtures.js';

const SCOPE = 'https://graph.microsoft.com/User.Read';

/** A cache holding one signed-in Entra account (every section filled), its tokens issued at `now`. */
function filledState(now = NOW): string {
  const cache = new SerializableTokenCache();
  cache.add(entraEvent(), now);
  return cache.serialize();
}

type Doc = Record<string, unknown>;

/** The filled state with one thing changed: the root, a section, an entry, or one field of an entry. */
function mutatedState(state: string): fc.Arbitrary<string> {
  const root = JSON.parse(state) as Record<string, Record<string, Doc>>;
  const sections = Object.keys(root);
  const entryIn = (section: string) => Object.keys(root[section]!)[0]!;
  const fieldsOf = (section: string) => Object.keys(root[section]![entryIn(section)]!);
  const mutated = fc.oneof(
    // one field of one entry replaced or removed
    fc
      .constantFrom(...sections)
      .chain((section) => fc.record({ section: fc.constant(section), field: fc.constantFrom(...fieldsOf(section), '__proto__', 'extra'), value: fc.option(hostileValue, { nil: undefined }) }))
      .map(({ section, field, value }) => {
        const key = entryIn(section);
        const entry = { ...root[section]![key]! };
        if (value === undefined) delete entry[field];
        const changed = value === undefined ? entry : withField(entry, field, value);
        return { ...root, [section]: { ...root[section], [key]: changed } };
      }),
    // one entry replaced by anything, or one entry added under a hostile key
    fc.record({ section: fc.constantFrom(...sections), key: fc.oneof(fc.constant('__proto__'), anyString), value: fc.oneof(hostileValue, fc.constant(null)) }).map(({ section, key, value }) => ({
      ...root,
      [section]: withField(root[section]!, key, value),
    })),
    // one section replaced by anything
    fc.record({ section: fc.constantFrom(...sections, 'Unknown', '__proto__'), value: hostileValue }).map(({ section, value }) => withField(root, section, value)),
  );
  return fc.oneof(
    mutated.map((doc) => JSON.stringify(doc)),
    fc.nat().map((cut) => state.slice(0, cut % state.length)),
    anyString,
    anyJson.map((value) => JSON.stringify(value) ?? ''),
  );
}

/**
 * Every read and write of the cache API on a loaded cache. Entries may lack fields (MSAL's schema
 * lets other libraries omit some), so a call may refuse an entry with a typed error; none may
 * fail untyped, and each call is tried whatever the others did.
 */
function useCache(cache: SerializableTokenCache, now: number): void {
  const query = { homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, realm: TENANT, scopes: [SCOPE], now };
  const calls: (() => unknown)[] = [
    () => cache.getAccounts(),
    () => cache.getAccounts({ homeAccountId: HOME, environments: ALIASES, username: 'alice@contoso.com', realm: TENANT }),
    () => cache.getAppAccounts({ environments: ALIASES, clientId: CLIENT }),
    () => cache.findAccessToken(query),
    () => cache.findRefreshToken(query),
    () => cache.findIdToken(query),
    () => cache.findAppMetadata({ environments: ALIASES, clientId: CLIENT }),
    ...Object.values(CredentialType).map((type) => () => cache.search(type, { query: { home_account_id: HOME }, now })),
    ...Object.values(CredentialType).map((type) => () => cache.search(type)),
    () => cache.add(entraEvent(), now + 10),
    () => {
      for (const account of cache.getAccounts()) cache.removeAccount(account);
    },
    () => cache.removeAccountData({ homeAccountId: HOME, environments: ALIASES, clientId: CLIENT }),
  ];
  for (const call of calls) typedOrValue(call, ['invalid_argument']);
  assert.doesNotThrow(() => JSON.parse(cache.serialize()));
}

describe('SerializableTokenCache.deserialize: properties', () => {
  test('a refused state leaves the cache as it was; a loaded state can be used', () => {
    const state = filledState();
    const cache = new SerializableTokenCache();
    fc.assert(
      fc.property(mutatedState(state), (candidate) => {
        cache.deserialize(state);
        const before = cache.serialize();
        const loaded = typedOrValue(() => {
          cache.deserialize(candidate);
          return true;
        }, ['invalid_cache']);
        if (!loaded) {
          assert.equal(cache.serialize(), before, 'a bad cache does not destroy what is stored');
          return;
        }
        useCache(cache, NOW);
      }),
      runOptions(1_2345),
    );
  });

  test('the unmutated state still loads and round-trips', () => {
    const state = filledState();
    const cache = new SerializableTokenCache();
    cache.deserialize(state);
    assert.equal(cache.serialize(), state);
    assert.equal(cache.getAccounts().length, 1);
  });

  test('an application given a loaded state lists accounts and serves tokens, or fails typed', async () => {
    const now = Math.floor(Date.now() / 1000);
    const state = filledState(now);
    const MS = 'https://login.microsoftonline.com';
    const discovery = {
      issuer: `${MS}/{tenantid}/v2.0`,
      authorization_endpoint: `${MS}/organizations/oauth2/v2.0/authorize`,
      token_endpoint: ENTRA_TOKEN_ENDPOINT,
      jwks_uri: `${MS}/organizations/discovery/v2.0/keys`,
    };
    // Refreshes are refused by the server, so only what the cache holds can serve a token.
    const fetchLike: FetchLike = async (url) => {
      if (url === `${MS}/organizations/v2.0/.well-known/openid-configuration`) return Response.json(discovery);
      if (url === ENTRA_TOKEN_ENDPOINT) return Response.json({ error: 'invalid_grant', error_description: 'refused by the test' }, { status: 400 });
      throw new TypeError('fetch failed');
    };
    const cache = new SerializableTokenCache();
    const httpCache = new Map<string, unknown>();
    const app = new PublicClientApplication({ clientId: CLIENT, authority: `${MS}/organizations`, httpClient: fetchLike, tokenCache: cache, httpCache });
    cache.deserialize(state);
    const [alice] = await app.getAccounts();
    assert.equal((await app.acquireTokenSilent([SCOPE], alice))?.tokenSource, 'cache');

    await fc.assert(
      fc.asyncProperty(mutatedState(state), async (candidate) => {
        const loaded = typedOrValue(() => {
          cache.deserialize(candidate);
          return true;
        }, ['invalid_cache']);
        if (!loaded) return;
        const accounts = await typedOrValueAsync(() => app.getAccounts());
        for (const account of [...(accounts ?? []), alice]) {
          const result = await typedOrValueAsync(() => app.acquireTokenSilent([SCOPE], account));
          if (result) {
            assert.ok(typeof result.accessToken === 'string' && result.accessToken.length > 0, 'a served token has a secret');
            assert.ok(Number.isFinite(result.expiresOn.getTime()), 'a served token has a valid expiry');
            for (const date of [result.extExpiresOn, result.refreshOn]) assert.ok(date === undefined || Number.isFinite(date.getTime()), 'dates are valid or absent');
          }
        }
        await typedOrValueAsync(() => app.removeAccount(alice));
      }),
      runOptions(1_2346),
    );
  });
});
