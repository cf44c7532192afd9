/**
 * TokenCache.getAppAccounts: the listing behind ClientApplication.getAccounts(). It walks the
 * account index by home account instead of looking every account's credentials up one by one
 * (bench/, figure 2); these tests pin that it lists what the per-account rule lists.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AccountEntity, SerializableTokenCache, type TokenCache } from '../../../../src/core/cache/index.js';

const ENV = 'login.microsoftonline.com';
const ALIASES = [ENV, 'login.windows.net'];
const CLIENT = 'my-client';

function account(home: string, realm: string, username: string, environment = ENV): Record<string, string> {
  return { home_account_id: home, environment, realm, local_account_id: home.split('.')[0]!, username, authority_type: 'MSSTS' };
}
function idToken(home: string, realm: string, clientId = CLIENT, environment = ENV): Record<string, string> {
  return { home_account_id: home, environment, credential_type: 'IdToken', client_id: clientId, realm, secret: 'x.y.z' };
}
function refreshToken(home: string, clientId = CLIENT, environment = ENV, familyId?: string): Record<string, string> {
  return { home_account_id: home, environment, credential_type: 'RefreshToken', client_id: clientId, secret: 'rt', ...(familyId ? { family_id: familyId } : {}) };
}

/** A cache from entries, keyed by their position (keys do not matter to lookups). */
function cacheOf(entries: { Account?: object[]; IdToken?: object[]; RefreshToken?: object[] }): TokenCache {
  const sections: Record<string, Record<string, object>> = {};
  for (const [section, list] of Object.entries(entries)) sections[section] = Object.fromEntries(list.map((entry, i) => [`${section}-${i}`, entry]));
  const cache = new SerializableTokenCache();
  cache.deserialize(JSON.stringify(sections));
  return cache;
}

/** The rule as ClientApplication.getAccounts() applied it account by account before. */
function perAccountRule(cache: TokenCache, query: { environments: string[]; clientId: string; familyId?: string; username?: string }): AccountEntity[] {
  const seen = new Set<string>();
  const found: AccountEntity[] = [];
  for (const entity of cache.getAccounts({ environments: query.environments })) {
    if (query.username !== undefined && entity.username.toLowerCase() !== query.username.toLowerCase()) continue;
    const home = entity.home_account_id.toLowerCase();
    if (seen.has(home)) continue;
    const base = { homeAccountId: entity.home_account_id, environments: query.environments, clientId: query.clientId };
    const hasRefreshToken =
      (query.familyId !== undefined && cache.findRefreshToken({ ...base, familyId: query.familyId }) !== undefined) || cache.findRefreshToken(base) !== undefined;
    if (!hasRefreshToken && !cache.findIdToken({ ...base, realm: entity.realm })) continue;
    seen.add(home);
    found.push(entity);
  }
  return found;
}

const usernames = (accounts: AccountEntity[]) => accounts.map((a) => a.username).sort();

describe('TokenCache.getAppAccounts', () => {
  const cache = cacheOf({
    Account: [
      account('a.t', 't', 'own-rt@x'),
      account('b.t', 't', 'id-token-only@x'),
      account('c.t', 't', 'other-client-id-token@x'),
      account('d.t', 't', 'family-rt@x'),
      account('e.t', 't', 'other-cloud@x', 'login.chinacloudapi.cn'),
      account('f.t', 'first-realm', 'two-realms@x'),
      account('f.t', 'second-realm', 'two-realms@x'),
      account('G.T', 't', 'Upper.Case@X'),
      account('h.t', 't', 'alias-rt@x'),
    ],
    IdToken: [idToken('b.t', 't'), idToken('c.t', 't', 'other-client'), idToken('f.t', 'second-realm')],
    RefreshToken: [
      refreshToken('a.t'),
      refreshToken('c.t', 'other-client'),
      refreshToken('d.t', 'sibling-client', ENV, '1'),
      refreshToken('e.t', CLIENT, 'login.chinacloudapi.cn'),
      refreshToken('g.t'),
      refreshToken('h.t', CLIENT, 'login.windows.net'),
    ],
  });

  test('lists accounts with a refresh token or an ID token of the app, once per home account', () => {
    const listed = cache.getAppAccounts({ environments: ALIASES, clientId: CLIENT });
    assert.deepEqual(usernames(listed), ['Upper.Case@X', 'alias-rt@x', 'id-token-only@x', 'own-rt@x', 'two-realms@x']);
    // Of the two realms, the one whose ID token qualifies it.
    assert.equal(listed.find((a) => a.username === 'two-realms@x')?.realm, 'second-realm');
  });

  test("counts the family's refresh tokens when the app is in the family", () => {
    assert.ok(usernames(cache.getAppAccounts({ environments: ALIASES, clientId: CLIENT, familyId: '1' })).includes('family-rt@x'));
  });

  test('filters by username, case-insensitively', () => {
    assert.deepEqual(usernames(cache.getAppAccounts({ environments: ALIASES, clientId: 'MY-CLIENT', username: 'upper.case@x' })), ['Upper.Case@X']);
  });

  test('lists what the per-account rule lists', () => {
    for (const query of [
      { environments: ALIASES, clientId: CLIENT },
      { environments: ALIASES, clientId: CLIENT, familyId: '1' },
      { environments: [ENV], clientId: CLIENT },
      { environments: ['login.chinacloudapi.cn'], clientId: CLIENT },
      { environments: ALIASES, clientId: 'other-client' },
      { environments: ALIASES, clientId: CLIENT, username: 'TWO-REALMS@x' },
    ]) {
      assert.deepEqual(cache.getAppAccounts(query), perAccountRule(cache, query), JSON.stringify(query));
    }
  });

  test('follows changes to the cache', () => {
    const changing = cacheOf({ Account: [account('a.t', 't', 'a@x')], RefreshToken: [refreshToken('a.t')] });
    assert.equal(changing.getAppAccounts({ environments: ALIASES, clientId: CLIENT }).length, 1);
    changing.removeRefreshToken(changing.findRefreshToken({ homeAccountId: 'a.t', environments: ALIASES, clientId: CLIENT })!);
    assert.equal(changing.getAppAccounts({ environments: ALIASES, clientId: CLIENT }).length, 0);
  });
});
