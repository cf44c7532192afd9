/**
 * The SecretStorage DPoP key store: a key per account survives a new store over the same secrets
 * (a reload), under a name that hides the account, is written once, removed at sign-out, and a
 * damaged entry is no key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDpopProof } from '../../../src/core/dpop.js';
import { dpopKeySecretName, SecretDpopKeyStore } from '../../../src/vscode/dpop-key-store.js';
import { FakeSecrets } from '../../support/fake-secrets.js';

const ALICE = { homeAccountId: 'alice-sub.issuer-hash', environment: 'idp.example' };
const BOB = { homeAccountId: 'bob-sub.issuer-hash', environment: 'idp.example' };

describe('SecretDpopKeyStore', () => {
  test('a saved key comes back from a new store over the same secrets, and signs', async () => {
    const secrets = new FakeSecrets();
    const key = await new SecretDpopKeyStore(secrets, 'keycloak').create();
    assert.equal(key.privateKey.extractable, true, 'kept across restarts, so extractable');
    await new SecretDpopKeyStore(secrets, 'keycloak').save(ALICE, key);
    const reloaded = await new SecretDpopKeyStore(secrets, 'keycloak').get(ALICE);
    assert.equal(reloaded?.thumbprint, key.thumbprint);
    assert.match(await createDpopProof(reloaded!, { method: 'GET', url: 'https://api.example/v1' }), /^ey/);
    assert.equal(await new SecretDpopKeyStore(secrets, 'keycloak').get(BOB), undefined);
    assert.equal(await new SecretDpopKeyStore(secrets, 'other').get(ALICE), undefined, 'per provider');
  });

  test('stored as a private JWK under a name that does not show the account; saved again, not rewritten', async () => {
    const secrets = new FakeSecrets();
    const store = new SecretDpopKeyStore(secrets, 'keycloak');
    const key = await store.create();
    await store.save(ALICE, key);
    await store.save(ALICE, key);
    const name = await dpopKeySecretName('keycloak', ALICE);
    assert.match(name, /^msalSignIn\.dpopKey\.keycloak\.[0-9a-f]{32}$/);
    assert.ok(!name.includes('alice'));
    assert.deepEqual(secrets.stores, [name]);
    const jwk = JSON.parse(secrets.values.get(name)!);
    assert.deepEqual(Object.keys(jwk).sort(), ['crv', 'd', 'kty', 'x', 'y']);
    assert.equal(await dpopKeySecretName('keycloak', { ...ALICE, homeAccountId: ALICE.homeAccountId.toUpperCase() }), name, 'ids compared without case, as the cache does');
  });

  test('remove forgets the key; a damaged entry is no key', async () => {
    const secrets = new FakeSecrets();
    const store = new SecretDpopKeyStore(secrets, 'keycloak');
    await store.save(ALICE, await store.create());
    await store.remove(ALICE);
    assert.equal(await store.get(ALICE), undefined);
    assert.equal(secrets.values.size, 0);
    secrets.values.set(await dpopKeySecretName('keycloak', BOB), '{"kty":"EC"');
    assert.equal(await store.get(BOB), undefined);
    secrets.values.set(await dpopKeySecretName('keycloak', BOB), '{"kty":"RSA","n":"x","e":"AQAB","d":"y"}');
    assert.equal(await store.get(BOB), undefined);
  });

  test('another window replacing the key is seen at the next read', async () => {
    const secrets = new FakeSecrets();
    const mine = new SecretDpopKeyStore(secrets, 'keycloak');
    const first = await mine.create();
    await mine.save(ALICE, first);
    assert.equal((await mine.get(ALICE))?.thumbprint, first.thumbprint);
    const other = new SecretDpopKeyStore(secrets, 'keycloak');
    const second = await other.create();
    await other.save(ALICE, second);
    assert.equal((await mine.get(ALICE))?.thumbprint, second.thumbprint);
  });
});
