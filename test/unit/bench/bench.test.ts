/**
 * The bench's own pieces, offline: the synthetic cache both libraries must accept (the bench's
 * figures are only meaningful if each finds its tokens there), the statistics, and the table.
 */
import * as msal from '@azure/msal-node';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ratioOf, renderTable, type Row } from '../../../bench/report.js';
import { formatMs, median, percentile, sampleSync } from '../../../bench/stats.js';
import { makeSyntheticCache, syntheticAccount } from '../../../bench/synthetic-cache.js';
import { SerializableTokenCache } from '../../../src/core/cache/serializable-token-cache.js';

const ENVIRONMENT = '127.0.0.1:8443';
const TENANT = '7c3e1a52-94d8-4f0b-b6a1-2d5e8f9c0b14';
const CLIENT = 'public-client';
const AUTHORITY = `https://${ENVIRONMENT}/${TENANT}`;
const SCOPE = 'api://demo/read';
const NOW = Math.floor(Date.now() / 1000);

function synthetic(accounts: number): string {
  return makeSyntheticCache(accounts, { environment: ENVIRONMENT, tenantId: TENANT, clientId: CLIENT, issuer: `${AUTHORITY}/v2.0`, target: SCOPE, now: NOW });
}

describe('synthetic cache', () => {
  test('is the same bytes for the same inputs, and holds one account, ID, access and refresh token per account', () => {
    const json = synthetic(5);
    assert.equal(json, synthetic(5));
    const parsed = JSON.parse(json) as Record<string, object>;
    for (const section of ['Account', 'IdToken', 'AccessToken', 'RefreshToken']) assert.equal(Object.keys(parsed[section]!).length, 5, section);
    assert.equal(Object.keys(parsed['AppMetadata']!).length, 1);
  });

  test('our cache lists every account and finds each access token', () => {
    const cache = new SerializableTokenCache();
    cache.deserialize(synthetic(20));
    assert.equal(cache.getAppAccounts({ environments: [ENVIRONMENT], clientId: CLIENT }).length, 20);
    for (const index of [0, 7, 19]) {
      const { homeAccountId } = syntheticAccount(index, { environment: ENVIRONMENT, tenantId: TENANT });
      const found = cache.findAccessToken({ homeAccountId, environments: [ENVIRONMENT], clientId: CLIENT, realm: TENANT, scopes: [SCOPE] });
      assert.ok(found, `account ${index}`);
    }
  });

  test('msal-node lists every account and serves a silent token from it without a request', async () => {
    const metadata = {
      issuer: `${AUTHORITY}/v2.0`,
      authorization_endpoint: `${AUTHORITY}/oauth2/v2.0/authorize`,
      token_endpoint: `${AUTHORITY}/oauth2/v2.0/token`,
      jwks_uri: `${AUTHORITY}/discovery/v2.0/keys`,
      end_session_endpoint: `${AUTHORITY}/oauth2/v2.0/logout`,
    };
    const noNetwork = () => Promise.reject(new Error('no request expected'));
    const app = new msal.PublicClientApplication({
      auth: {
        clientId: CLIENT,
        authority: AUTHORITY,
        knownAuthorities: [ENVIRONMENT],
        authorityMetadata: JSON.stringify(metadata),
        cloudDiscoveryMetadata: JSON.stringify({
          tenant_discovery_endpoint: `${AUTHORITY}/v2.0/.well-known/openid-configuration`,
          'api-version': '1.1',
          metadata: [{ preferred_network: ENVIRONMENT, preferred_cache: ENVIRONMENT, aliases: [ENVIRONMENT] }],
        }),
      },
      system: { networkClient: { sendGetRequestAsync: noNetwork, sendPostRequestAsync: noNetwork } },
    });
    app.getTokenCache().deserialize(synthetic(3));
    assert.equal((await app.getAllAccounts()).length, 3);
    const synthetic1 = syntheticAccount(1, { environment: ENVIRONMENT, tenantId: TENANT });
    const result = await app.acquireTokenSilent({ account: { ...synthetic1, tenantId: TENANT }, scopes: [SCOPE] });
    assert.equal(result.fromCache, true);
  });
});

describe('stats', () => {
  test('median and nearest-rank percentile', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
  });

  test('a loop stops at its cap or its budget, after its minimum', () => {
    assert.equal(sampleSync(() => undefined, { warmup: 1, maxIterations: 7, budgetMs: 60_000 }).length, 7);
    const slow = () => {
      const until = Date.now() + 5;
      while (Date.now() < until);
    };
    assert.equal(sampleSync(slow, { warmup: 0, maxIterations: 100, minIterations: 3, budgetMs: 1 }).length, 3);
  });

  test('durations read as µs, ms or s', () => {
    assert.equal(formatMs(0.0123), '12.3 µs');
    assert.equal(formatMs(4.5), '4.50 ms');
    assert.equal(formatMs(12_345), '12.3 s');
  });
});

describe('report', () => {
  const row = (ours: number, theirs: number, status: 'ok' | 'dnf' = 'ok'): Row => {
    const oursCell = { status: 'ok' as const, value: ours, text: String(ours) };
    const theirsCell = { status, value: theirs, text: status === 'dnf' ? '> 60 s, did not finish' : String(theirs) };
    return { figure: '2 getAccounts()', size: '10 accounts', unit: 'ms', ours: oursCell, msalNode: theirsCell, ratio: ratioOf(oursCell, theirsCell), target: 'ours < 10 ms', met: ours < 10, note: 'a note' };
  };

  test('the ratio is msal-node over ours, a lower bound when msal-node did not finish', () => {
    assert.equal(row(2, 10).ratio, 5);
    const table = renderTable([row(2, 60_000, 'dnf')]);
    assert.match(table, /> 30,000×/);
    assert.match(table, /did not finish/);
    assert.match(table, /\[1\] a note/);
  });

  test('Markdown output is a pipe table', () => {
    const lines = renderTable([row(2, 10)], true).split('\n');
    assert.match(lines[0]!, /^\| # \| Figure \|/);
    assert.match(lines[1]!, /^\|---\|/);
    assert.equal(lines[2], '| 2 | getAccounts() [1] | 10 accounts | 2 | 10 | 5.0× | ours < 10 ms | yes |');
  });
});
