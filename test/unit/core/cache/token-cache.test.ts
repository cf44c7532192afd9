import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CredentialType,
  makeCredentialKey,
  SerializableTokenCache,
  TokenCache,
  type SerializedCache,
} from '../../../../src/core/cache/index.js';
import {
  ALIASES,
  assertAuthError,
  CLIENT,
  clientInfo,
  entraEvent,
  entraIdToken,
  entraResponse,
  HOME,
  idToken,
  NOW,
  OID,
  TENANT,
  type EntraUser,
} from './fixtures.js';

const GRAPH_READ = 'https://graph.microsoft.com/User.Read';
const GRAPH_MAIL = 'https://graph.microsoft.com/Mail.Read';

/** The cache's sections as they would be serialized. */
function sections(cache: TokenCache): SerializedCache {
  const probe = new SerializableTokenCache();
  // Round-trip through the public surface only.
  probe.deserialize(JSON.stringify((cache as unknown as { store: { root: SerializedCache } }).store.root));
  return JSON.parse(probe.serialize()) as SerializedCache;
}

describe('TokenCache.add: MSAL for Python fixtures', () => {
  // Ported from MSAL for Python's tests/test_token_cache.py testAddByAad / testAddByAdfs.
  test('AAD response with client_info: entries and keys', () => {
    const cache = new TokenCache();
    const token = idToken({ iss: 'issuer', sub: 'subject', aud: 'my_client_id', exp: NOW + 100, iat: NOW, oid: 'object1234', preferred_username: 'John Doe' });
    cache.add(
      {
        clientId: 'my_client_id',
        scope: ['s2', 's1', 's3'],
        tokenEndpoint: 'https://login.example.com/contoso/v2/token',
        response: {
          client_info: clientInfo('uid', 'utid'),
          access_token: 'an access token',
          expires_in: 3600,
          token_type: 'some type',
          id_token: token,
          refresh_token: 'a refresh token',
        },
      },
      1000,
    );
    const data = sections(cache);
    assert.deepEqual(data.AccessToken!['uid.utid-login.example.com-accesstoken-my_client_id-contoso-s1 s2 s3-some type'], {
      cached_at: '1000',
      client_id: 'my_client_id',
      credential_type: 'AccessToken',
      environment: 'login.example.com',
      expires_on: '4600',
      extended_expires_on: '4600',
      home_account_id: 'uid.utid',
      realm: 'contoso',
      secret: 'an access token',
      target: 's1 s2 s3',
      token_type: 'some type',
    });
    // The entry records its target as MSAL for Python does; the key is msal-node's (schema.ts says why).
    assert.deepEqual(data.RefreshToken!['uid.utid-login.example.com-refreshtoken-my_client_id---'], {
      client_id: 'my_client_id',
      credential_type: 'RefreshToken',
      environment: 'login.example.com',
      home_account_id: 'uid.utid',
      last_modification_time: '1000',
      secret: 'a refresh token',
      target: 's1 s2 s3',
    });
    // No client_info field in the account (MSAL for Python leaves it out).
    assert.deepEqual(data.Account!['uid.utid-login.example.com-contoso'], {
      home_account_id: 'uid.utid',
      environment: 'login.example.com',
      realm: 'contoso',
      local_account_id: 'object1234',
      username: 'John Doe',
      authority_type: 'MSSTS',
    });
    assert.deepEqual(data.IdToken!['uid.utid-login.example.com-idtoken-my_client_id-contoso-'], {
      credential_type: 'IdToken',
      secret: token,
      home_account_id: 'uid.utid',
      environment: 'login.example.com',
      realm: 'contoso',
      client_id: 'my_client_id',
    });
    assert.deepEqual(data.AppMetadata!['appmetadata-login.example.com-my_client_id'], { client_id: 'my_client_id', environment: 'login.example.com' });
  });

  test('ADFS response without client_info: home_account_id is sub, authority_type ADFS', () => {
    const cache = new TokenCache();
    const token = idToken({ iss: 'issuer', sub: 'subject', aud: 'my_client_id', exp: NOW + 100, iat: NOW, upn: 'JaneDoe@example.com' });
    cache.add(
      {
        clientId: 'my_client_id',
        scope: ['s2', 's1', 's3'],
        tokenEndpoint: 'https://fs.msidlab8.com/adfs/oauth2/token',
        response: { access_token: 'an access token', expires_in: 3600, token_type: 'Bearer', id_token: token, refresh_token: 'a refresh token' },
      },
      1000,
    );
    const data = sections(cache);
    assert.equal(data.AccessToken!['subject-fs.msidlab8.com-accesstoken-my_client_id-adfs-s1 s2 s3']?.home_account_id, 'subject');
    assert.equal(data.RefreshToken!['subject-fs.msidlab8.com-refreshtoken-my_client_id---']?.target, 's1 s2 s3');
    assert.deepEqual(data.Account!['subject-fs.msidlab8.com-adfs'], {
      home_account_id: 'subject',
      environment: 'fs.msidlab8.com',
      realm: 'adfs',
      local_account_id: 'subject',
      username: 'JaneDoe@example.com',
      authority_type: 'ADFS',
    });
    assert.ok(data.IdToken!['subject-fs.msidlab8.com-idtoken-my_client_id-adfs-']);
  });

  test('refresh_in is recorded as refresh_on', () => {
    const cache = new TokenCache();
    cache.add(
      {
        clientId: 'my_client_id',
        scope: ['s2', 's1', 's3'],
        tokenEndpoint: 'https://login.example.com/contoso/v2/token',
        response: { client_info: clientInfo('uid', 'utid'), access_token: 'an access token', expires_in: 3600, refresh_in: 1800 },
      },
      1000,
    );
    const at = cache.findAccessToken({ homeAccountId: 'uid.utid', environments: ['login.example.com'], clientId: 'my_client_id', realm: 'contoso', scopes: ['s1'], now: 1000 });
    assert.equal(at?.refresh_on, '2800');
  });
});

describe('TokenCache.add: Entra, OpenID Connect and app-only responses', () => {
  test('Entra: client_info gives home_account_id, the token endpoint the realm, the response scope the target', () => {
    const cache = new TokenCache();
    const result = cache.add(entraEvent(), NOW);
    assert.deepEqual(result, { homeAccountId: HOME, environment: 'login.microsoftonline.com', realm: TENANT });

    const [account, ...more] = cache.getAccounts();
    assert.equal(more.length, 0);
    assert.deepEqual(account, {
      home_account_id: HOME,
      environment: 'login.microsoftonline.com',
      realm: TENANT,
      local_account_id: OID,
      username: 'Alice@Contoso.com',
      authority_type: 'MSSTS',
      name: 'Alice Liddell',
      account_source: 'authorization_code',
    });

    const at = cache.findAccessToken({ homeAccountId: HOME, environments: ['login.microsoftonline.com'], clientId: CLIENT, realm: TENANT, scopes: [GRAPH_READ], now: NOW });
    assert.deepEqual(at, {
      credential_type: 'AccessToken',
      secret: `at-${OID}`,
      home_account_id: HOME,
      environment: 'login.microsoftonline.com',
      client_id: CLIENT,
      // Granted scopes (the response's), sorted as MSAL for Python sorts them.
      target: `email ${GRAPH_MAIL} ${GRAPH_READ} openid profile`,
      realm: TENANT,
      token_type: 'Bearer',
      cached_at: String(NOW),
      expires_on: String(NOW + 4370),
      extended_expires_on: String(NOW + 7200),
      refresh_on: String(NOW + 2185),
    });

    const rt = cache.findRefreshToken({ homeAccountId: HOME, environments: ['login.microsoftonline.com'], clientId: CLIENT });
    assert.equal(rt?.secret, `rt-${OID}`);
    assert.equal(rt?.family_id, '1');
    assert.equal(rt?.last_modification_time, String(NOW));
    const key = makeCredentialKey(rt!);
    assert.equal(key, `${HOME}-login.microsoftonline.com-refreshtoken-1---`);

    const idt = cache.findIdToken({ homeAccountId: HOME, environments: ['login.microsoftonline.com'], clientId: CLIENT, realm: TENANT });
    assert.equal(idt?.secret, entraIdToken());
    assert.deepEqual(cache.findAppMetadata({ environments: ['login.microsoftonline.com'], clientId: CLIENT }), {
      client_id: CLIENT,
      environment: 'login.microsoftonline.com',
      family_id: '1',
    });
  });

  test('the requested scopes are the target when the response has none', () => {
    const cache = new TokenCache();
    const response = entraResponse();
    delete response['scope'];
    cache.add(entraEvent({ scope: [GRAPH_READ, 'openid', GRAPH_READ.toLowerCase()] }, response), NOW);
    const [at] = cache.search(CredentialType.ACCESS_TOKEN, { now: NOW });
    assert.equal(at?.target, `${GRAPH_READ} openid`);
  });

  test('environment and realm overrides win; the token endpoint gives the port', () => {
    const cache = new TokenCache();
    const a = cache.add(entraEvent({ environment: 'login.windows.net', realm: 'organizations' }), NOW);
    assert.deepEqual(a, { homeAccountId: HOME, environment: 'login.windows.net', realm: 'organizations' });
    const b = cache.add(
      {
        clientId: 'c',
        scope: ['api'],
        tokenEndpoint: 'https://idp.example:8443/realms/dev/protocol/openid-connect/token',
        response: { access_token: 'x', expires_in: 60 },
      },
      NOW,
    );
    assert.deepEqual(b, { homeAccountId: '', environment: 'idp.example:8443', realm: 'realms' });
  });

  test('generic OpenID Connect: no client_info, home_account_id is sub, username from email', () => {
    const cache = new TokenCache();
    const claims = { iss: 'https://idp.example', sub: '248289761001', aud: 'web-app', email: 'jane@example.com', name: 'Jane Doe', iat: NOW, exp: NOW + 300 };
    const result = cache.add(
      {
        clientId: 'web-app',
        scope: ['openid', 'profile', 'api.read'],
        tokenEndpoint: 'https://idp.example/oauth/token',
        response: { access_token: 'at', token_type: 'Bearer', expires_in: 300, refresh_token: 'rt', id_token: idToken(claims) },
        grantType: 'urn:ietf:params:oauth:grant-type:device_code',
        authorityType: 'Generic',
      },
      NOW,
    );
    assert.equal(result.homeAccountId, '248289761001');
    assert.deepEqual(cache.getAccounts(), [
      {
        home_account_id: '248289761001',
        environment: 'idp.example',
        realm: 'oauth',
        local_account_id: '248289761001',
        username: 'jane@example.com',
        authority_type: 'Generic',
        name: 'Jane Doe',
        account_source: 'urn:ietf:params:oauth:grant-type:device_code',
      },
    ]);
    assert.ok(cache.findAccessToken({ homeAccountId: '248289761001', environments: ['idp.example'], clientId: 'web-app', realm: 'oauth', scopes: ['API.READ'], now: NOW }));
  });

  test('validated idTokenClaims are used instead of decoding the id_token', () => {
    const cache = new TokenCache();
    cache.add(entraEvent({ idTokenClaims: { sub: 's', oid: 'other-oid', tid: 'other-tid', preferred_username: 'bob@fabrikam.com' } }, entraResponse({ id_token: 'opaque' })), NOW);
    const [account] = cache.getAccounts();
    assert.equal(account?.realm, TENANT, "the ID token's tid does not decide the realm (MSAL for Python)");
    assert.equal(account?.local_account_id, 'other-oid');
    assert.equal(account?.username, 'bob@fabrikam.com');
  });

  test('ROPC without an ID token: the username comes from the request data', () => {
    const cache = new TokenCache();
    const response = entraResponse();
    delete response['id_token'];
    cache.add(entraEvent({ grantType: 'password', data: { username: 'alice@contoso.com', password: 'not kept' }, tokenEndpoint: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token' }, response), NOW);
    const [account] = cache.getAccounts();
    assert.equal(account?.username, 'alice@contoso.com');
    assert.equal(account?.account_source, 'password');
    assert.equal(account?.realm, 'organizations', 'the first path segment of the token endpoint');
    assert.equal(account?.local_account_id, null, 'no ID token: null, as MSAL for Python writes it');
    assert.doesNotMatch(JSON.stringify(sections(cache)), /not kept/);
  });

  test('the refresh token grant does not mark the account source; skipAccountCreation stores no account', () => {
    const cache = new TokenCache();
    cache.add(entraEvent({ grantType: 'refresh_token' }), NOW);
    assert.equal(cache.getAccounts()[0]?.account_source, undefined);
    const other = new TokenCache();
    other.add(entraEvent({ skipAccountCreation: true }), NOW);
    assert.deepEqual(other.getAccounts(), []);
    assert.ok(other.findRefreshToken({ homeAccountId: HOME, environments: ALIASES, clientId: CLIENT }));
  });

  test('client credentials: an app-only access token with home_account_id "" and no account', () => {
    const cache = new TokenCache();
    const result = cache.add(
      {
        clientId: 'daemon',
        scope: ['https://graph.microsoft.com/.default'],
        tokenEndpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
        response: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: 'app-at' },
        grantType: 'client_credentials',
      },
      NOW,
    );
    assert.deepEqual(result, { homeAccountId: '', environment: 'login.microsoftonline.com', realm: TENANT });
    assert.deepEqual(cache.getAccounts(), []);
    const at = cache.findAppOnlyAccessToken({ environments: ALIASES, clientId: 'daemon', realm: TENANT, scopes: ['https://graph.microsoft.com/.default'], now: NOW });
    assert.equal(at?.secret, 'app-at');
    assert.equal(at?.home_account_id, '');
    assert.equal(makeCredentialKey(at!), `-login.microsoftonline.com-accesstoken-daemon-${TENANT}-https://graph.microsoft.com/.default`);
    assert.equal(cache.findAppOnlyAccessToken({ environments: ALIASES, clientId: 'daemon', realm: 'other-tenant', scopes: ['https://graph.microsoft.com/.default'], now: NOW }), undefined);
  });

  test('expires_in as a string (AAD v1), expires_on only (managed identity), neither (600 s)', () => {
    const cache = new TokenCache();
    const add = (client: string, response: Record<string, unknown>) =>
      cache.add({ clientId: client, scope: ['s'], tokenEndpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/token`, response: { access_token: 'x', ...response } }, NOW);
    add('v1', { expires_in: '3599', ext_expires_in: '4000' });
    add('mi', { expires_on: String(NOW + 86_400) });
    add('none', {});
    const find = (client: string) => cache.findAppOnlyAccessToken({ environments: ALIASES, clientId: client, realm: TENANT, scopes: ['s'], now: NOW });
    assert.equal(find('v1')?.expires_on, String(NOW + 3599));
    assert.equal(find('v1')?.extended_expires_on, String(NOW + 4000));
    assert.equal(find('mi')?.expires_on, String(NOW + 86_400));
    assert.equal(find('none')?.expires_on, String(NOW + 600));
    assert.equal(find('none')?.extended_expires_on, String(NOW + 600));
  });

  test('a token type other than Bearer is kept and looked up apart', () => {
    const cache = new TokenCache();
    cache.add(entraEvent({}, entraResponse({ token_type: 'pop', access_token: 'pop-at' })), NOW);
    cache.add(entraEvent({}, entraResponse({ access_token: 'bearer-at' })), NOW);
    const query = { homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, realm: TENANT, scopes: [GRAPH_READ], now: NOW };
    assert.equal(cache.findAccessToken(query)?.secret, 'bearer-at');
    assert.equal(cache.findAccessToken({ ...query, tokenType: 'PoP' })?.secret, 'pop-at');
  });

  test('bad events are invalid_argument and change nothing', () => {
    const cache = new SerializableTokenCache();
    assertAuthError(() => cache.add({ ...entraEvent(), clientId: '' }, NOW), 'invalid_argument');
    assertAuthError(() => cache.add({ ...entraEvent(), tokenEndpoint: 'not a url' }, NOW), 'invalid_argument');
    assertAuthError(() => cache.add({ ...entraEvent(), response: null as unknown as Record<string, unknown> }, NOW), 'invalid_argument');
    assertAuthError(() => cache.add(entraEvent({}, entraResponse({ client_info: '%%%' })), NOW), 'invalid_response');
    assertAuthError(() => cache.add(entraEvent({}, entraResponse({ id_token: 'not.a-jwt' })), NOW), 'invalid_id_token');
    assertAuthError(() => cache.add(entraEvent({}, entraResponse({ client_info: undefined, id_token: idToken({ aud: 'x' }) })), NOW), 'invalid_id_token');
    // Found by a property test: a foci that is no string once threw a TypeError after the access token was written.
    assertAuthError(() => cache.add(entraEvent({}, entraResponse({ foci: Object.create(null) })), NOW), 'invalid_response');
    assertAuthError(() => cache.add(entraEvent({}, entraResponse({ foci: { family: 1 } })), NOW), 'invalid_response');
    assert.equal(cache.hasStateChanged, false);
    assert.equal(cache.serialize(), '{}');
  });
});

describe('TokenCache.add: replacements', () => {
  test('a new refresh token replaces the older one of the same account and client', () => {
    const cache = new TokenCache();
    cache.add(entraEvent({}, entraResponse({ refresh_token: 'rt-1' })), NOW);
    cache.add(entraEvent({}, entraResponse({ refresh_token: 'rt-2' })), NOW + 10);
    const rts = cache.search(CredentialType.REFRESH_TOKEN, { query: { home_account_id: HOME } });
    assert.equal(rts.length, 1);
    assert.equal(rts[0]?.secret, 'rt-2');
    assert.equal(rts[0]?.last_modification_time, String(NOW + 10));

    // Leaving the family: the non-family token replaces the family one of the same client.
    cache.add(entraEvent({}, entraResponse({ refresh_token: 'rt-3', foci: undefined })), NOW + 20);
    const after = cache.search(CredentialType.REFRESH_TOKEN, { query: { home_account_id: HOME } });
    assert.deepEqual(after.map((rt) => [rt.secret, rt.family_id]), [['rt-3', undefined]]);
    assert.equal(cache.findAppMetadata({ environments: ALIASES, clientId: CLIENT })?.family_id, undefined);
  });

  test("a family refresh token from a sibling app replaces the family's shared one; each app keeps its own app metadata", () => {
    const cache = new TokenCache();
    cache.add(entraEvent({}, entraResponse({ refresh_token: 'frt-from-cli' })), NOW);
    cache.add(entraEvent({ clientId: 'sibling' }, entraResponse({ refresh_token: 'frt-from-sibling' })), NOW + 1);
    const rts = cache.search(CredentialType.REFRESH_TOKEN);
    assert.deepEqual(rts.map((rt) => [rt.client_id, rt.secret]), [['sibling', 'frt-from-sibling']]);
    const frt = cache.findRefreshToken({ homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, familyId: '1' });
    assert.equal(frt?.secret, 'frt-from-sibling', 'any member of the family may use it');
    assert.equal(cache.findRefreshToken({ homeAccountId: HOME, environments: ALIASES, clientId: CLIENT }), undefined, 'not the app’s own token');
    assert.equal(cache.search(CredentialType.APP_METADATA).length, 2);
  });

  test('an access token replaces older ones of the same account, client and realm whose scopes overlap', () => {
    const cache = new TokenCache();
    const add = (scope: string, secret: string, overrides = {}) => cache.add(entraEvent(overrides, entraResponse({ scope, access_token: secret })), NOW);
    add(`${GRAPH_READ} openid profile`, 'read');
    add(`${GRAPH_MAIL} openid profile`, 'mail');
    add('https://vault.azure.net/user_impersonation openid', 'vault');
    add(`${GRAPH_READ} openid`, 'read-other-tenant', { realm: 'other-tenant' });
    assert.equal(cache.search(CredentialType.ACCESS_TOKEN, { now: NOW }).length, 4, 'OpenID Connect scopes alone are no overlap');

    add(`${GRAPH_READ.toUpperCase()} ${GRAPH_MAIL}`, 'read+mail');
    const left = cache.search(CredentialType.ACCESS_TOKEN, { now: NOW }).map((at) => at.secret).sort();
    assert.deepEqual(left, ['read+mail', 'read-other-tenant', 'vault']);

    // The same scopes again: same key, replaced in place.
    add(`${GRAPH_MAIL} ${GRAPH_READ}`, 'read+mail-2');
    assert.deepEqual(cache.search(CredentialType.ACCESS_TOKEN, { now: NOW }).map((at) => at.secret).sort(), ['read+mail-2', 'read-other-tenant', 'vault']);
  });

  test('another user or another client keeps its tokens', () => {
    const cache = new TokenCache();
    const bob: EntraUser = { oid: 'bob-oid', tid: TENANT, username: 'bob@contoso.com' };
    cache.add(entraEvent(), NOW);
    cache.add(entraEvent({}, entraResponse({}, bob)), NOW);
    cache.add(entraEvent({ clientId: 'other-client' }, entraResponse({ foci: undefined })), NOW);
    assert.equal(cache.search(CredentialType.ACCESS_TOKEN, { now: NOW }).length, 3);
    assert.equal(cache.getAccounts().length, 2);
  });
});

describe('TokenCache lookups', () => {
  function filled(): TokenCache {
    const cache = new TokenCache();
    cache.add(entraEvent({ environment: 'login.windows.net' }), NOW);
    cache.add(
      entraEvent({ environment: 'login.windows.net', realm: 'fabrikam-tid' }, entraResponse({}, { oid: 'bob-oid', tid: 'fabrikam-tid', username: 'Bob@Fabrikam.com' })),
      NOW,
    );
    return cache;
  }

  test('findAccessToken: case-insensitive superset match of the target', () => {
    const cache = filled();
    const query = { homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, realm: TENANT, now: NOW };
    assert.ok(cache.findAccessToken({ ...query, scopes: [GRAPH_READ.toLowerCase()] }));
    assert.ok(cache.findAccessToken({ ...query, scopes: [GRAPH_MAIL, GRAPH_READ.toUpperCase()] }));
    assert.ok(cache.findAccessToken({ ...query, scopes: [`${GRAPH_MAIL} ${GRAPH_READ}`] }), 'a space-separated scope string counts as its scopes');
    assert.equal(cache.findAccessToken({ ...query, scopes: [GRAPH_READ, 'https://graph.microsoft.com/Files.Read'] }), undefined);
    assertAuthError(() => cache.findAccessToken({ ...query, scopes: [] }), 'invalid_argument');
  });

  test('findAccessToken: any of the environment aliases, the exact realm, the client, the account', () => {
    const cache = filled();
    const query = { homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, realm: TENANT, scopes: [GRAPH_READ], now: NOW };
    assert.ok(cache.findAccessToken(query));
    assert.ok(cache.findAccessToken({ ...query, environments: ['LOGIN.WINDOWS.NET'] }));
    assert.equal(cache.findAccessToken({ ...query, environments: ['login.microsoftonline.com'] }), undefined);
    assert.equal(cache.findAccessToken({ ...query, realm: 'fabrikam-tid' }), undefined);
    assert.equal(cache.findAccessToken({ ...query, clientId: 'other' }), undefined);
    assert.equal(cache.findAccessToken({ ...query, homeAccountId: 'bob-oid.fabrikam-tid' }), undefined);
    assert.ok(cache.findAccessToken({ ...query, homeAccountId: 'BOB-OID.fabrikam-tid', realm: 'fabrikam-tid' }));
  });

  test('findAccessToken skips expired tokens (the clock is a parameter)', () => {
    const cache = filled();
    const query = { homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, realm: TENANT, scopes: [GRAPH_READ] };
    assert.ok(cache.findAccessToken({ ...query, now: NOW + 4370 }));
    assert.equal(cache.findAccessToken({ ...query, now: NOW + 4371 }), undefined);
  });

  test('getAccounts: all, or filtered by environments, home account, username and realm', () => {
    const cache = filled();
    assert.equal(cache.getAccounts().length, 2);
    assert.equal(cache.getAccounts({ environments: ALIASES }).length, 2);
    assert.equal(cache.getAccounts({ environment: ['login.windows.net'] }).length, 2);
    assert.equal(cache.getAccounts({ environments: ['login.microsoftonline.com'] }).length, 0);
    assert.deepEqual(cache.getAccounts({ username: 'bob@fabrikam.com' }).map((a) => a.home_account_id), ['bob-oid.fabrikam-tid']);
    assert.deepEqual(cache.getAccounts({ homeAccountId: HOME.toUpperCase() }).map((a) => a.username), ['Alice@Contoso.com']);
    assert.deepEqual(cache.getAccounts({ realm: 'FABRIKAM-TID' }).map((a) => a.username), ['Bob@Fabrikam.com']);
    assert.deepEqual(cache.getAccounts({ realm: TENANT, username: 'bob@fabrikam.com' }), []);
  });

  test('findRefreshToken: own token, or the family token of any family member', () => {
    const cache = filled();
    assert.equal(cache.findRefreshToken({ homeAccountId: HOME, environments: ALIASES, clientId: CLIENT })?.secret, `rt-${OID}`);
    assert.equal(cache.findRefreshToken({ homeAccountId: HOME, environments: ALIASES, clientId: 'sibling', familyId: '1' })?.secret, `rt-${OID}`);
    assert.equal(cache.findRefreshToken({ homeAccountId: HOME, environments: ALIASES, clientId: 'sibling' }), undefined);
    assert.equal(cache.findRefreshToken({ homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, familyId: '2' }), undefined);
    assert.equal(cache.findRefreshToken({ homeAccountId: HOME, environments: ['login.microsoftonline.com'], clientId: CLIENT }), undefined);
  });

  test('findIdToken and findAppMetadata', () => {
    const cache = filled();
    assert.ok(cache.findIdToken({ homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, realm: TENANT }));
    assert.equal(cache.findIdToken({ homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, realm: 'fabrikam-tid' }), undefined);
    assert.equal(cache.findAppMetadata({ environments: ALIASES, clientId: CLIENT })?.family_id, '1');
    assert.equal(cache.findAppMetadata({ environments: ['login.microsoftonline.com'], clientId: CLIENT }), undefined);
  });

  test('search: partial match over fields, target superset, MSAL for Python style', () => {
    const cache = filled();
    assert.equal(cache.search(CredentialType.ACCOUNT).length, 2);
    assert.equal(cache.search(CredentialType.ACCOUNT, { query: { username: 'Bob@Fabrikam.com' } }).length, 1);
    assert.equal(cache.search(CredentialType.ACCOUNT, { query: { username: 'bob@fabrikam.com' } }).length, 0, 'query values match exactly');
    assert.equal(cache.search(CredentialType.ACCESS_TOKEN, { query: { home_account_id: HOME }, now: NOW }).length, 1);
    assert.equal(cache.search(CredentialType.ACCESS_TOKEN, { target: [GRAPH_MAIL], now: NOW }).length, 2);
    assert.equal(
      cache.search(CredentialType.ACCESS_TOKEN, {
        query: { home_account_id: HOME, environment: 'login.windows.net', client_id: CLIENT, realm: TENANT },
        target: ['openid', GRAPH_READ],
        now: NOW,
      }).length,
      1,
    );
    assert.equal(cache.search(CredentialType.REFRESH_TOKEN, { query: { family_id: '1' } }).length, 2);
    assert.equal(cache.search(CredentialType.REFRESH_TOKEN, { query: { family_id: null } }).length, 0);
  });

  test('search removes the expired access tokens it meets, as MSAL for Python does', () => {
    const cache = new SerializableTokenCache();
    cache.add(entraEvent(), NOW);
    cache.serialize();
    assert.equal(cache.search(CredentialType.ACCESS_TOKEN, { now: NOW + 60 }).length, 1);
    assert.equal(cache.hasStateChanged, false);
    assert.equal(cache.search(CredentialType.ACCESS_TOKEN, { now: NOW + 10_000 }).length, 0);
    assert.equal(cache.hasStateChanged, true);
    assert.equal(cache.search(CredentialType.ACCESS_TOKEN, { now: NOW }).length, 0, 'gone');
  });
});

describe('TokenCache changes', () => {
  test('updateRefreshToken swaps the secret in place and keeps the index right', () => {
    const cache = new TokenCache();
    cache.add(entraEvent(), NOW);
    const rt = cache.findRefreshToken({ homeAccountId: HOME, environments: ALIASES, clientId: CLIENT })!;
    cache.updateRefreshToken({ ...rt }, 'rotated', NOW + 5);
    const after = cache.search(CredentialType.REFRESH_TOKEN);
    assert.equal(after.length, 1);
    assert.equal(after[0]?.secret, 'rotated');
    assert.equal(after[0]?.last_modification_time, String(NOW + 5));
    assert.equal(cache.findRefreshToken({ homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, familyId: '1' })?.secret, 'rotated');
  });

  test('remove* take out one entry and its index entries', () => {
    const cache = new TokenCache();
    cache.add(entraEvent(), NOW);
    const query = { homeAccountId: HOME, environments: ALIASES, clientId: CLIENT, realm: TENANT };
    cache.removeAccessToken(cache.findAccessToken({ ...query, scopes: [GRAPH_READ], now: NOW })!);
    assert.equal(cache.findAccessToken({ ...query, scopes: [GRAPH_READ], now: NOW }), undefined);
    cache.removeRefreshToken(cache.findRefreshToken(query)!);
    assert.equal(cache.findRefreshToken(query), undefined);
    cache.removeIdToken(cache.findIdToken(query)!);
    assert.equal(cache.findIdToken(query), undefined);
    cache.removeAccount(cache.getAccounts()[0]!);
    assert.deepEqual(cache.getAccounts(), []);
    assert.deepEqual(cache.getAccounts({ homeAccountId: HOME }), []);
    assertAuthError(() => cache.removeRefreshToken({ credential_type: 'AccessToken' } as never), 'invalid_argument');
  });

  test('modify: new fields, possibly a new key; without new fields a removal', () => {
    const cache = new TokenCache();
    cache.add(entraEvent(), NOW);
    const [account] = cache.getAccounts();
    cache.modify(CredentialType.ACCOUNT, account!, { realm: 'moved', username: 'renamed@contoso.com' });
    assert.deepEqual(cache.getAccounts({ realm: TENANT }), []);
    const moved = cache.getAccounts({ realm: 'moved' });
    assert.equal(moved.length, 1);
    assert.equal(moved[0]?.username, 'renamed@contoso.com');
    assert.equal(cache.search(CredentialType.ACCOUNT).length, 1);
    cache.modify(CredentialType.ACCOUNT, moved[0]!);
    assert.equal(cache.search(CredentialType.ACCOUNT).length, 0);
  });

  test('an entry stored under another key (an older or foreign key) is found, replaced and re-keyed', () => {
    // MSAL for Python's test_old_rt_data_with_wrong_key_should_still_be_salvaged_into_new_rt.
    const cache = new SerializableTokenCache();
    const sample = {
      client_id: 'my_client_id',
      credential_type: 'RefreshToken' as const,
      environment: 'login.example.com',
      home_account_id: 'uid.utid',
      secret: 'a refresh token',
      target: 's2 s1 s3',
    };
    cache.deserialize(JSON.stringify({ RefreshToken: { 'wrong-key': sample } }));
    cache.modify(CredentialType.REFRESH_TOKEN, { ...sample }, { secret: 'this is a new RT' });
    assert.deepEqual(JSON.parse(cache.serialize()).RefreshToken, {
      'uid.utid-login.example.com-refreshtoken-my_client_id---': { ...sample, secret: 'this is a new RT' },
    });
  });

  test('removeAccountData: what ClientApplication.remove_account removes, in every realm and alias', () => {
    const cache = new TokenCache();
    const bob: EntraUser = { oid: 'bob-oid', tid: TENANT, username: 'bob@contoso.com' };
    cache.add(entraEvent(), NOW); // family app, login.microsoftonline.com
    cache.add(entraEvent({ realm: 'guest-tenant', environment: 'login.windows.net' }, entraResponse({ scope: 'api://guest/.default' })), NOW);
    cache.add(entraEvent({ clientId: 'unrelated' }, entraResponse({ foci: undefined, refresh_token: 'unrelated-rt' })), NOW);
    cache.add(entraEvent({}, entraResponse({}, bob)), NOW);
    cache.add(entraEvent({ environment: 'login.chinacloudapi.cn' }), NOW);

    cache.removeAccountData({ homeAccountId: HOME, environments: ALIASES, clientId: CLIENT });

    const left = (type: CredentialType) => cache.search(type, { query: { home_account_id: HOME }, now: NOW }).map((e) => `${e['environment']}|${e['client_id'] ?? ''}`).sort();
    assert.deepEqual(left(CredentialType.ACCOUNT), ['login.chinacloudapi.cn|']);
    assert.deepEqual(left(CredentialType.ID_TOKEN), ['login.chinacloudapi.cn|' + CLIENT]);
    assert.deepEqual(left(CredentialType.ACCESS_TOKEN), ['login.chinacloudapi.cn|' + CLIENT]);
    // Another app's own refresh token stays (it is not this app's, nor its family's).
    assert.deepEqual(left(CredentialType.REFRESH_TOKEN), ['login.chinacloudapi.cn|' + CLIENT, 'login.microsoftonline.com|unrelated']);
    assert.equal(cache.getAccounts({ homeAccountId: 'bob-oid.' + TENANT }).length, 1, 'other users stay');
    assert.ok(cache.findRefreshToken({ homeAccountId: 'bob-oid.' + TENANT, environments: ALIASES, clientId: CLIENT }));
  });

  test('removeAppOnlyTokens removes the client’s app-only tokens only', () => {
    const cache = new TokenCache();
    const appOnly = (clientId: string, realm: string) =>
      cache.add({ clientId, scope: ['https://graph.microsoft.com/.default'], tokenEndpoint: `https://login.microsoftonline.com/${realm}/oauth2/v2.0/token`, response: { access_token: `${clientId}@${realm}`, expires_in: 3600 } }, NOW);
    appOnly('daemon', 'tenant-a');
    appOnly('daemon', 'tenant-b');
    appOnly('other-daemon', 'tenant-a');
    cache.add(entraEvent({ clientId: 'daemon' }), NOW);
    cache.removeAppOnlyTokens({ environments: ALIASES, clientId: 'daemon' });
    assert.deepEqual(cache.search(CredentialType.ACCESS_TOKEN, { now: NOW }).map((at) => at.secret).sort(), [`at-${OID}`, 'other-daemon@tenant-a']);
  });
});

describe('TokenCache indexes', () => {
  /** A cache whose sections count how often they are read and enumerated. */
  class ProbedCache extends SerializableTokenCache {
    reads = 0;
    enumerations = 0;
    probe(...types: CredentialType[]): void {
      for (const type of types) {
        const section = this.store.root[type] as Record<string, unknown>;
        this.store.root[type] = new Proxy(section, {
          get: (target, key, receiver) => {
            this.reads++;
            return Reflect.get(target, key, receiver);
          },
          getOwnPropertyDescriptor: (target, key) => {
            this.reads++;
            return Reflect.getOwnPropertyDescriptor(target, key);
          },
          ownKeys: (target) => {
            this.enumerations++;
            return Reflect.ownKeys(target);
          },
        }) as never;
      }
      this.reads = 0;
      this.enumerations = 0;
    }
  }

  function manyAccounts(count: number): ProbedCache {
    const cache = new ProbedCache();
    for (let i = 0; i < count; i++) {
      const user: EntraUser = { oid: `oid-${i}`, tid: TENANT, username: `user${i}@contoso.com` };
      cache.add(entraEvent({}, entraResponse({}, user)), NOW);
    }
    // Reload, so the indexes are built from the loaded data.
    cache.deserialize(cache.serialize());
    return cache;
  }

  test('account-scoped lookups read the entries of that account only, never the whole section', () => {
    const cache = manyAccounts(500);
    const home = `oid-123.${TENANT}`;
    const query = { homeAccountId: home, environments: ALIASES, clientId: CLIENT, realm: TENANT };
    // First use builds each section's index, in one pass.
    assert.ok(cache.findAccessToken({ ...query, scopes: [GRAPH_READ], now: NOW }));
    assert.ok(cache.findRefreshToken(query));
    assert.ok(cache.findIdToken(query));
    assert.equal(cache.getAccounts().length, 500);

    cache.probe(CredentialType.ACCESS_TOKEN, CredentialType.REFRESH_TOKEN, CredentialType.ID_TOKEN, CredentialType.ACCOUNT);
    assert.equal(cache.findAccessToken({ ...query, scopes: [GRAPH_READ], now: NOW })?.secret, 'at-oid-123');
    assert.equal(cache.findRefreshToken({ ...query, familyId: '1' })?.secret, 'rt-oid-123');
    assert.ok(cache.findIdToken(query));
    assert.equal(cache.getAccounts({ homeAccountId: home }).length, 1);
    assert.equal(cache.getAccounts({ environments: ALIASES, username: 'user7@contoso.com' }).length, 1);
    assert.equal(cache.search(CredentialType.ACCESS_TOKEN, { query: { home_account_id: home }, now: NOW }).length, 1);
    assert.equal(cache.enumerations, 0, 'no section was enumerated');
    assert.ok(cache.reads <= 20, `only the entries of that account were read (${cache.reads} reads)`);

    // Changes keep the indexes in step without reading the sections either.
    cache.add(entraEvent({}, entraResponse({ access_token: 'new-at', refresh_token: 'new-rt' }, { oid: 'oid-123', tid: TENANT, username: 'user123@contoso.com' })), NOW);
    assert.equal(cache.enumerations, 0);
    assert.equal(cache.findAccessToken({ ...query, scopes: [GRAPH_READ], now: NOW })?.secret, 'new-at');
    assert.equal(cache.findRefreshToken(query)?.secret, 'new-rt');
    cache.removeAccountData({ ...query });
    assert.equal(cache.enumerations, 0);
    assert.equal(cache.getAccounts().length, 499);
    assert.equal(cache.findRefreshToken(query), undefined);
  });

  test('loading a cache does not build indexes; a section is indexed on first use', () => {
    const cache = manyAccounts(50);
    cache.probe(CredentialType.ACCESS_TOKEN, CredentialType.ACCOUNT);
    cache.getAccounts();
    assert.equal(cache.enumerations, 1, 'the account section, once');
    cache.getAccounts();
    cache.findAccessToken({ homeAccountId: `oid-1.${TENANT}`, environments: ALIASES, clientId: CLIENT, realm: TENANT, scopes: [GRAPH_READ], now: NOW });
    cache.findAccessToken({ homeAccountId: `oid-2.${TENANT}`, environments: ALIASES, clientId: CLIENT, realm: TENANT, scopes: [GRAPH_READ], now: NOW });
    assert.equal(cache.enumerations, 2, 'and the access token section, once');
  });
});
