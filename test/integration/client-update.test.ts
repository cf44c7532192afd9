/**
 * RFC 7592 against oidc-provider (registration management on, its registration access token
 * rotated on every update): a client registered with a browser-based editor's callback URI is
 * updated for the next callback URI, the authorization request with the new URI is accepted and
 * the old one refused, and the rotated token is what registered-callback.ts stores and uses next.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isManageableRegistration, type NativeClientRegistration, registerNativeClient, updateNativeClient } from '../../src/core/client-registration.js';
import { generatePkce } from '../../src/core/crypto.js';
import { ServerError } from '../../src/core/errors.js';
import { createGlobalFetch } from '../../src/core/http.js';
import { type AuthorizationServerMetadata, fetchAuthorizationServerMetadata } from '../../src/core/resource-metadata.js';
import { EditorCallbackUris, RegisteredCallbacks } from '../../src/vscode/registered-callback.js';
import { editorClientUpdate, LOOPBACK_REDIRECT_URI, REGISTERED_CLIENTS_KEY, RegisteredClients } from '../../src/vscode/registered-clients.js';
import { FakeSecrets } from '../support/fake-secrets.js';
import { completeAuthorization, CookieJar } from '../idp/headless-login.js';
import { type Idp, startIdp } from '../idp/server.js';

const LOOPBACK = { allowInsecureLoopbackHttp: true } as const;
const fetchLike = createGlobalFetch(10_000);
/** code-server's callback URI for its n-th asExternalUri answer. */
const callback = (reqid: number) => `https://editor.example/callback?vscode-reqid=${reqid}&vscode-scheme=code-oss&vscode-authority=msal-tools.msal-signin&vscode-path=%2Fsignin-callback`;

describe('client update (RFC 7592) at oidc-provider', () => {
  let idp: Idp;
  let metadata: AuthorizationServerMetadata;
  let registration: NativeClientRegistration;

  /** The IdP's answer to an authorization request of the registered client with `redirectUri`: its status and where it goes. */
  async function authorize(redirectUri: string): Promise<{ status: number; location: string | null }> {
    const url = new URL(metadata.authorization_endpoint);
    const pkce = await generatePkce();
    url.search = new URLSearchParams({
      client_id: registration.client_id, response_type: 'code', redirect_uri: redirectUri, scope: 'openid', state: 's', code_challenge: pkce.codeChallenge, code_challenge_method: 'S256',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    await response.body?.cancel();
    return { status: response.status, location: response.headers.get('location') };
  }
  const puts = () => idp.requests.filter((entry) => entry.method === 'PUT' && entry.path.includes('/reg/'));

  before(async () => {
    idp = await startIdp({ registration: true });
    metadata = await fetchAuthorizationServerMetadata(fetchLike, idp.urls.oidcIssuer, LOOPBACK);
    registration = await registerNativeClient(fetchLike, metadata, { clientName: 'MSAL Sign-In test', redirectUris: [LOOPBACK_REDIRECT_URI, callback(1)], ...LOOPBACK });
  });
  after(async () => idp.close());

  it('the registration answer is manageable: a client configuration endpoint and a token are kept', () => {
    assert.ok(isManageableRegistration(registration));
    assert.ok(registration.registration_client_uri.startsWith(`${idp.urls.oidcIssuer}/reg/`));
  });

  it('updates the redirect URIs; the new callback is accepted, the old one refused; the token was rotated', async () => {
    const before = await authorize(callback(2));
    assert.equal(before.status, 400, 'an unregistered callback is refused before the update');
    const updated = await updateNativeClient(fetchLike, registration, { clientName: 'MSAL Sign-In test', redirectUris: [LOOPBACK_REDIRECT_URI, callback(2)], ...LOOPBACK });
    assert.equal(updated.client_id, registration.client_id);
    assert.deepEqual(updated.redirect_uris, [LOOPBACK_REDIRECT_URI, callback(2)]);
    assert.notEqual(updated.registration_access_token, registration.registration_access_token, 'oidc-provider rotates the token');
    assert.equal(puts().at(-1)?.status, 200);

    const accepted = await authorize(callback(2));
    assert.equal(accepted.status, 303, 'the authorization request with the new callback goes on to the login');
    assert.equal((await authorize(callback(1))).status, 400, 'the old callback is no longer registered');
    // The whole sign-in comes back to the new callback with a code.
    const url = new URL(metadata.authorization_endpoint);
    url.search = new URLSearchParams({ client_id: registration.client_id, response_type: 'code', redirect_uri: callback(2), scope: 'openid', state: 's2', code_challenge: (await generatePkce()).codeChallenge, code_challenge_method: 'S256' }).toString();
    const redirect = await completeAuthorization(url.href, { account: 'alice', jar: new CookieJar() });
    assert.equal(`${redirect.origin}${redirect.pathname}`, 'https://editor.example/callback');
    assert.equal(redirect.searchParams.get('vscode-reqid'), '2');
    assert.ok(redirect.searchParams.get('code'));

    // The old token died with the rotation.
    await assert.rejects(
      updateNativeClient(fetchLike, registration, { clientName: 'MSAL Sign-In test', redirectUris: [LOOPBACK_REDIRECT_URI, callback(3)], ...LOOPBACK }),
      (err: unknown) => err instanceof ServerError && err.status === 401 && err.error === 'invalid_token',
    );
    registration = updated;
  });

  it('a sign-in of the registered client in a new window: one PUT, the rotated token stored, no new registration', async () => {
    const secrets = new FakeSecrets();
    secrets.values.set(REGISTERED_CLIENTS_KEY, JSON.stringify({ [registration.issuer]: registration }));
    const clients = new RegisteredClients(secrets, async () => assert.fail('no second registration'));
    let reqid = 3;
    const callbacks = new RegisteredCallbacks(clients, new EditorCallbackUris(async () => callback(++reqid)), editorClientUpdate(fetchLike, () => true));
    const putsBefore = puts().length;
    const registrationsBefore = idp.requests.filter((entry) => entry.method === 'POST' && entry.path.endsWith('/reg')).length;
    const uri = await callbacks.callbackUriFor(registration.issuer);
    assert.equal(uri, callback(4));
    assert.equal(puts().length - putsBefore, 1);
    assert.equal(idp.requests.filter((entry) => entry.method === 'POST' && entry.path.endsWith('/reg')).length, registrationsBefore);
    const stored = (await clients.find(registration.issuer))!;
    assert.deepEqual(stored.redirect_uris, [LOOPBACK_REDIRECT_URI, callback(4)]);
    assert.notEqual(stored.registration_access_token, registration.registration_access_token, 'the rotated token is stored');
    assert.equal((await authorize(callback(4))).status, 303);
    // The next window updates with the stored (rotated) token.
    assert.equal(await callbacks.callbackUriFor(registration.issuer), callback(5));
    assert.equal(puts().at(-1)?.status, 200);
  });
});
