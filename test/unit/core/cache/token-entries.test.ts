/**
 * `tokenEntries`: the entries one token response writes, worked out without a cache and with a
 * frozen clock, so every field and every time is pinned.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tokenEntries } from '../../../../src/core/cache/index.js';
import { ALICE, assertAuthError, b64u, CLIENT, clientInfo, entraEvent, entraIdToken, entraResponse, HOME, idToken, NOW, OID, TENANT } from './fixtures.js';

const GRAPH_READ = 'https://graph.microsoft.com/User.Read';
const GRAPH_MAIL = 'https://graph.microsoft.com/Mail.Read';
const ISSUER = 'https://idp.example';
const OIDC_ENDPOINT = `${ISSUER}/realms/demo/protocol/openid-connect/token`;

/** The times of the access token of {@link entraResponse} written at `now`: expires_in 4370, ext_expires_in 7200, refresh_in 2185. */
function timesFrom(now: number) {
  return { cached_at: String(now), expires_on: String(now + 4370), extended_expires_on: String(now + 7200), refresh_on: String(now + 2185) };
}

/** An event from an OpenID Connect issuer (no client_info, no foci) for `response`. */
function oidcEvent(response: Record<string, unknown>) {
  return { clientId: 'web-app', scope: ['api.read'], tokenEndpoint: OIDC_ENDPOINT, response, grantType: 'authorization_code' };
}

describe('tokenEntries', () => {
  test('Entra with client_info: every entry, its times counted from the clock it is given', () => {
    const entries = tokenEntries(entraEvent(), NOW);
    const environment = 'login.microsoftonline.com';
    // What every entry of one response shares; the granted scopes, sorted, are the target.
    const account = { home_account_id: HOME, environment };
    const credential = { ...account, client_id: CLIENT };
    const target = `email ${GRAPH_MAIL} ${GRAPH_READ} openid profile`;
    assert.deepEqual(entries.result, { homeAccountId: HOME, environment, realm: TENANT });
    assert.deepEqual(entries.accessToken, {
      ...credential,
      credential_type: 'AccessToken',
      secret: `at-${OID}`,
      target,
      realm: TENANT,
      token_type: 'Bearer',
      ...timesFrom(NOW),
    });
    assert.deepEqual(entries.account, {
      ...account,
      realm: TENANT,
      local_account_id: OID,
      username: ALICE.username,
      authority_type: 'MSSTS',
      name: ALICE.name,
      account_source: 'authorization_code',
    });
    assert.deepEqual(entries.idToken, { ...credential, credential_type: 'IdToken', secret: entraIdToken(), realm: TENANT });
    assert.deepEqual(entries.refreshToken, {
      ...credential,
      credential_type: 'RefreshToken',
      secret: `rt-${OID}`,
      target,
      last_modification_time: String(NOW),
      family_id: '1',
    });
    assert.deepEqual(entries.appMetadata, { client_id: CLIENT, environment, family_id: '1' });
  });

  test('another clock gives the same entries at other times, and a fractional clock is floored', () => {
    const { accessToken, refreshToken } = tokenEntries(entraEvent(), NOW + 1000.9);
    const { cached_at, expires_on, extended_expires_on, refresh_on } = accessToken!;
    assert.deepEqual({ cached_at, expires_on, extended_expires_on, refresh_on }, timesFrom(NOW + 1000));
    assert.equal(refreshToken?.last_modification_time, String(NOW + 1000));
    assertAuthError(() => tokenEntries(entraEvent(), Number.NaN), 'invalid_argument');
  });

  test('OpenID Connect without client_info: the account is the ID token’s sub, the realm the endpoint’s first segment', () => {
    const claims = { iss: ISSUER, sub: 'user-42', aud: 'web-app', email: 'jane@example.com', name: 'Jane Doe', iat: NOW, exp: NOW + 300 };
    const entries = tokenEntries(oidcEvent({ access_token: 'at', token_type: 'Bearer', expires_in: 300, id_token: idToken(claims), refresh_token: 'rt' }), NOW);
    assert.deepEqual(entries.result, { homeAccountId: 'user-42', environment: 'idp.example', realm: 'realms' });
    assert.equal(entries.account?.username, 'jane@example.com');
    assert.equal(entries.account?.local_account_id, 'user-42');
    assert.equal(entries.accessToken?.target, 'api.read', 'no scope in the response: the requested ones');
    assert.equal(entries.accessToken?.extended_expires_on, String(NOW + 300), 'no ext_expires_in: expires_in');
    assert.equal(entries.accessToken?.refresh_on, undefined, 'no refresh_in: no refresh_on');
    assert.equal(entries.refreshToken?.family_id, undefined);
    assert.deepEqual(entries.appMetadata, { client_id: 'web-app', environment: 'idp.example' });
  });

  test('no ID token: no account and no ID token entry, unless the refresh names whose it was', () => {
    const appOnly = tokenEntries(oidcEvent({ access_token: 'at', expires_in: 60 }), NOW);
    assert.equal(appOnly.result.homeAccountId, '');
    assert.equal(appOnly.account, undefined);
    assert.equal(appOnly.idToken, undefined);
    assert.equal(appOnly.accessToken?.home_account_id, '');
    assert.equal(appOnly.accessToken?.expires_on, String(NOW + 60));

    const refresh = tokenEntries({ ...oidcEvent({ access_token: 'at', refresh_token: 'rt2' }), homeAccountId: 'user-42' }, NOW);
    assert.equal(refresh.accessToken?.home_account_id, 'user-42');
    assert.equal(refresh.refreshToken?.home_account_id, 'user-42');
    assert.equal(refresh.account, undefined, 'the account entry is written by the sign-in, not by a refresh');
    assert.equal(refresh.accessToken?.expires_on, String(NOW + 600), 'no lifetime given: 600 s, as MSAL for Python');
  });

  test('refresh_in and expires_on given as strings are read as numbers', () => {
    const entries = tokenEntries(entraEvent({}, entraResponse({ expires_in: undefined, expires_on: String(NOW + 900), ext_expires_in: undefined, refresh_in: '450' })), NOW);
    assert.equal(entries.accessToken?.expires_on, String(NOW + 900));
    assert.equal(entries.accessToken?.extended_expires_on, String(NOW + 900));
    assert.equal(entries.accessToken?.refresh_on, String(NOW + 450));
  });

  test('a family id of any client is kept on the refresh token and the app metadata; none without foci', () => {
    const family = tokenEntries(entraEvent({ clientId: 'sibling' }, entraResponse({ foci: 1 })), NOW);
    assert.equal(family.refreshToken?.family_id, '1');
    assert.equal(family.appMetadata?.family_id, '1');
    const single = tokenEntries(entraEvent({}, entraResponse({ foci: undefined })), NOW);
    assert.equal(single.refreshToken?.family_id, undefined);
    assert.deepEqual(single.appMetadata, { client_id: CLIENT, environment: 'login.microsoftonline.com' });
    assertAuthError(() => tokenEntries(entraEvent({}, entraResponse({ foci: { id: 1 } })), NOW), 'invalid_response');
  });

  test('a key-bound token of another scheme keeps its token_type and its key id', () => {
    const entries = tokenEntries(entraEvent({ data: { key_id: 'key-1', token_type: 'ssh-cert' } }, entraResponse({ token_type: 'ssh-cert' })), NOW);
    assert.equal(entries.accessToken?.token_type, 'ssh-cert');
    assert.equal(entries.accessToken?.key_id, 'key-1');
    const numeric = tokenEntries(entraEvent({ data: { key_id: 7 } }, entraResponse({ token_type: 'pop' })), NOW);
    assert.equal(numeric.accessToken?.key_id, '7');
    assert.equal(numeric.accessToken?.token_type, 'pop');
    const unbound = tokenEntries(entraEvent({ data: { key_id: '' } }), NOW);
    assert.equal('key_id' in unbound.accessToken!, false, 'an empty key id binds nothing');
  });

  test('the event’s overrides win: environment, realm, authority type, the userinfo profile', () => {
    const claims = { iss: ISSUER, sub: 'user-42', aud: 'web-app', iat: NOW, exp: NOW + 300 };
    const entries = tokenEntries(
      {
        ...oidcEvent({ access_token: 'at', id_token: idToken(claims) }),
        environment: 'cache-alias.example',
        realm: '',
        authorityType: 'Generic' as const,
        profile: { username: 'jane', name: 'Jane' },
      },
      NOW,
    );
    assert.deepEqual(entries.result, { homeAccountId: 'user-42', environment: 'cache-alias.example', realm: '' });
    assert.equal(entries.account?.authority_type, 'Generic');
    assert.equal(entries.account?.username, 'jane');
    assert.equal(entries.account?.name, 'Jane');
    assert.equal(tokenEntries({ ...entraEvent(), skipAccountCreation: true }, NOW).account, undefined);
  });

  test('an empty response writes nothing; a malformed one is refused before any entry is made', () => {
    assert.deepEqual(tokenEntries(entraEvent({}, {}), NOW), { result: { homeAccountId: '', environment: '', realm: '' } });
    assertAuthError(() => tokenEntries(entraEvent({}, entraResponse({ client_info: 'not json' })), NOW), 'invalid_response');
    assertAuthError(() => tokenEntries(entraEvent({}, entraResponse({ client_info: b64u(['x']) })), NOW), 'invalid_response');
    assertAuthError(() => tokenEntries(entraEvent({}, entraResponse({ client_info: undefined, id_token: 'a.b' })), NOW), 'invalid_id_token');
    assertAuthError(() => tokenEntries(entraEvent({ tokenEndpoint: 'not a url' }), NOW), 'invalid_argument');
    assertAuthError(() => tokenEntries(entraEvent({ clientId: '' }), NOW), 'invalid_argument');
  });

  test('client_info wins over the ID token’s sub', () => {
    const entries = tokenEntries(entraEvent({}, entraResponse({ client_info: clientInfo('uid', 'utid') })), NOW);
    assert.equal(entries.result.homeAccountId, 'uid.utid');
    assert.equal(entries.account?.local_account_id, OID, 'the local id is still the ID token’s oid');
  });
});
