import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CredentialType,
  makeAccountKey,
  makeAppMetadataKey,
  makeCredentialKey,
  makeKey,
  type SerializedCache,
} from '../../../../src/core/cache/index.js';
import { ALICE, CLIENT, clientInfo, entraIdToken, fakeEntraNetwork, msalNodePublicClient, OID, TENANT } from './fixtures.js';

describe('key makers', () => {
  // The expected keys of MSAL for Python's tests/test_token_cache.py (testAddByAad).
  test('access token key: home-env-accesstoken-client-realm-target, lower-cased', () => {
    assert.equal(
      makeCredentialKey({
        home_account_id: 'uid.utid',
        environment: 'login.example.com',
        credential_type: 'AccessToken',
        client_id: 'my_client_id',
        realm: 'contoso',
        target: 's1 s2 s3',
      }),
      'uid.utid-login.example.com-accesstoken-my_client_id-contoso-s1 s2 s3',
    );
    assert.equal(
      makeCredentialKey({
        home_account_id: 'UID.UTID',
        environment: 'Login.Example.com',
        credential_type: 'AccessToken',
        client_id: 'My_Client_Id',
        realm: 'Contoso',
        target: 'https://graph.microsoft.com/User.Read',
      }),
      'uid.utid-login.example.com-accesstoken-my_client_id-contoso-https://graph.microsoft.com/user.read',
    );
  });

  test('ID token key has an empty target', () => {
    assert.equal(
      makeCredentialKey({
        home_account_id: 'uid.utid',
        environment: 'login.example.com',
        credential_type: 'IdToken',
        client_id: 'my_client_id',
        realm: 'contoso',
        target: 'ignored',
      }),
      'uid.utid-login.example.com-idtoken-my_client_id-contoso-',
    );
  });

  test("refresh token key is msal-node's: empty realm, target and scheme, the family id in place of the client id", () => {
    const rt = {
      home_account_id: 'uid.utid',
      environment: 'login.example.com',
      credential_type: 'RefreshToken',
      client_id: 'my_client_id',
      realm: 'contoso',
      target: 's1 s2 s3',
    };
    assert.equal(makeCredentialKey(rt), 'uid.utid-login.example.com-refreshtoken-my_client_id---');
    assert.equal(makeCredentialKey({ ...rt, family_id: '1' }), 'uid.utid-login.example.com-refreshtoken-1---');
  });

  test('app-only access tokens have an empty home_account_id (null counts as empty)', () => {
    const at = { environment: 'login.microsoftonline.com', credential_type: 'AccessToken', client_id: 'c', realm: 't', target: 's' };
    assert.equal(makeCredentialKey({ ...at, home_account_id: '' }), '-login.microsoftonline.com-accesstoken-c-t-s');
    assert.equal(makeCredentialKey({ ...at, home_account_id: null }), '-login.microsoftonline.com-accesstoken-c-t-s');
  });

  test('an access token of another scheme gets the scheme as a seventh segment; Bearer does not', () => {
    const at = { home_account_id: 'h', environment: 'e', credential_type: 'AccessToken', client_id: 'c', realm: 'r', target: 's' };
    assert.equal(makeCredentialKey({ ...at, token_type: 'Bearer' }), 'h-e-accesstoken-c-r-s');
    assert.equal(makeCredentialKey({ ...at, token_type: 'bearer' }), 'h-e-accesstoken-c-r-s');
    assert.equal(makeCredentialKey({ ...at, token_type: 'pop' }), 'h-e-accesstoken-c-r-s-pop');
  });

  test('account and app metadata keys', () => {
    assert.equal(makeAccountKey({ home_account_id: 'uid.utid', environment: 'login.example.com', realm: 'contoso' }), 'uid.utid-login.example.com-contoso');
    assert.equal(makeAppMetadataKey({ environment: 'login.example.com', client_id: 'my_client_id' }), 'appmetadata-login.example.com-my_client_id');
    assert.equal(makeAppMetadataKey({ environment: 'Login.Example.com', client_id: 'My_Client_Id' }), 'appmetadata-login.example.com-my_client_id');
  });

  test('makeKey dispatches on the section', () => {
    const entry = { home_account_id: 'h', environment: 'e', client_id: 'c', realm: 'r', target: 't', credential_type: 'AccessToken' };
    assert.equal(makeKey(CredentialType.ACCESS_TOKEN, entry), 'h-e-accesstoken-c-r-t');
    assert.equal(makeKey(CredentialType.ID_TOKEN, { ...entry, credential_type: 'IdToken' }), 'h-e-idtoken-c-r-');
    assert.equal(makeKey(CredentialType.REFRESH_TOKEN, { ...entry, credential_type: 'RefreshToken' }), 'h-e-refreshtoken-c---');
    assert.equal(makeKey(CredentialType.ACCOUNT, entry), 'h-e-r');
    assert.equal(makeKey(CredentialType.APP_METADATA, entry), 'appmetadata-e-c');
  });
});

describe('key makers against the keys msal-node writes', () => {
  test('msal-node keys every entry as we do (its access and ID token keys add an empty scheme segment)', async () => {
    const network = fakeEntraNetwork(() => ({
      token_type: 'Bearer',
      scope: 'https://graph.microsoft.com/User.Read https://graph.microsoft.com/Mail.Read openid profile',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: 'at',
      refresh_token: 'rt',
      id_token: entraIdToken(ALICE, CLIENT),
      client_info: clientInfo(OID, TENANT),
      foci: '1',
    }));
    const pca = msalNodePublicClient(CLIENT, network);
    await pca.acquireTokenByCode({ code: 'code', scopes: ['https://graph.microsoft.com/User.Read'], redirectUri: 'http://localhost' });
    const written = JSON.parse(pca.getTokenCache().serialize()) as SerializedCache;

    const sections = [
      CredentialType.ACCESS_TOKEN,
      CredentialType.REFRESH_TOKEN,
      CredentialType.ID_TOKEN,
      CredentialType.ACCOUNT,
      CredentialType.APP_METADATA,
    ] as const;
    for (const type of sections) {
      const entries = Object.entries(written[type] ?? {});
      assert.equal(entries.length, 1, `msal-node wrote one ${type}`);
      const [nodeKey, entry] = entries[0]!;
      const ours = makeKey(type, entry as Record<string, unknown>);
      // Access and ID token keys: msal-node adds an empty scheme segment. Refresh token keys: the same key.
      const addsScheme = type === CredentialType.ACCESS_TOKEN || type === CredentialType.ID_TOKEN;
      assert.equal(nodeKey, addsScheme ? `${ours}-` : ours, `${type} key`);
    }
    // The family refresh token is keyed by its family id, in both.
    assert.match(Object.keys(written.RefreshToken!)[0]!, /-refreshtoken-1---$/);
  });
});
