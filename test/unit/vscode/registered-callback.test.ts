/**
 * registered-callback.ts: a registered client's URI-handler sign-in sends the editor's callback URI
 * of the moment, and the registration is updated (RFC 7592) first only when it does not hold that
 * URI. Refusals are RegisteredCallbackErrors, after which the provider's flow chain offers the
 * device code; stored registrations from before management existed still load.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { AuthError, type NativeClientRegistration, ServerError } from '../../../src/core/index.js';
import { FakeSecrets } from '../../support/fake-secrets.js';
import { providerDependencies } from '../../support/provider-dependencies.js';
import '../../support/vscode/register.js';
import { stub } from '../../support/vscode/stub.js';
import { FakeFetch, jsonResponse } from '../core/fakes.js';

const { EditorCallbackUris, RegisteredCallbackError, RegisteredCallbacks } = await import('../../../src/vscode/registered-callback.js');
const { LOOPBACK_REDIRECT_URI, REGISTERED_CLIENTS_KEY, RegisteredClients, registeredProviderConfig } = await import('../../../src/vscode/registered-clients.js');
const { MsalAuthenticationProvider } = await import('../../../src/vscode/auth-provider.js');
const { uriHandlerFlow } = await import('../../../src/vscode/sign-in-flows.js');
const { explainSignInError } = await import('../../../src/vscode/user-errors.js');
type SignInFlow = import('../../../src/vscode/flows.js').SignInFlow;
type UpdateClient = import('../../../src/vscode/registered-callback.js').UpdateClient;

const ISSUER = 'https://idp.example/realms/demo';
/** A browser-based editor's callback URI: each asExternalUri answer carries the next vscode-reqid. */
const callback = (reqid: number) => `https://editor.example/callback?vscode-reqid=${reqid}&vscode-scheme=code-oss&vscode-authority=msal-tools.msal-signin&vscode-path=%2Fsignin-callback`;

const registration: NativeClientRegistration = {
  issuer: ISSUER,
  client_id: 'dyn-1',
  redirect_uris: [LOOPBACK_REDIRECT_URI, callback(1)],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  registration_client_uri: `${ISSUER}/reg/dyn-1`,
  registration_access_token: 'rat-1',
};

/** An editor whose asExternalUri hands out the next reqid each time (`fixed`: the desktop's one URI). */
function editor(fixed?: string) {
  let reqid = 1;
  const asked: string[] = [];
  const uris = new EditorCallbackUris(async () => {
    const uri = fixed ?? callback(++reqid);
    asked.push(uri);
    return uri;
  });
  return { uris, asked };
}

/** A server that answers each update with the redirect URIs sent and a rotated token. */
function rotatingServer() {
  const updates: { token: string | undefined; redirectUris: string[] }[] = [];
  let issued = 1;
  const update: UpdateClient = async (current, redirectUris) => {
    updates.push({ token: current.registration_access_token, redirectUris });
    return { ...current, redirect_uris: redirectUris, registration_access_token: `rat-${++issued}` };
  };
  return { update, updates };
}

function stored(secrets: FakeSecrets): NativeClientRegistration | undefined {
  const text = secrets.values.get(REGISTERED_CLIENTS_KEY);
  return text ? (JSON.parse(text) as Record<string, NativeClientRegistration>)[ISSUER] : undefined;
}

function withStored(value: NativeClientRegistration): FakeSecrets {
  const secrets = new FakeSecrets();
  secrets.values.set(REGISTERED_CLIENTS_KEY, JSON.stringify({ [ISSUER]: value }));
  return secrets;
}

const noRegistration = async (): Promise<NativeClientRegistration> => {
  throw new Error('no registration in this test');
};

beforeEach(() => stub.reset());

describe('RegisteredCallbacks', () => {
  test('the callback URI the registration holds (the desktop\'s vscode:// URI): no update', async () => {
    const desktop = 'vscode://msal-tools.msal-signin/signin-callback';
    const secrets = withStored({ ...registration, redirect_uris: [LOOPBACK_REDIRECT_URI, desktop] });
    const server = rotatingServer();
    const { uris, asked } = editor(desktop);
    const callbacks = new RegisteredCallbacks(new RegisteredClients(secrets, noRegistration), uris, server.update);
    assert.equal(await callbacks.callbackUriFor(ISSUER), desktop);
    assert.equal(await callbacks.callbackUriFor(ISSUER), desktop);
    assert.deepEqual(asked, [desktop, desktop], 'the editor is asked for each sign-in');
    assert.deepEqual(server.updates, []);
    assert.deepEqual(secrets.stores, [], 'nothing stored');
  });

  test('the first sign-in after a registration in this window sends the URI registered, unasked and without an update', async () => {
    const secrets = new FakeSecrets();
    const server = rotatingServer();
    const { uris, asked } = editor();
    const clients = new RegisteredClients(secrets, async () => ({ ...registration, redirect_uris: [LOOPBACK_REDIRECT_URI, await uris.forRegistration()] }));
    await clients.obtain({ issuer: ISSUER, authorization_endpoint: `${ISSUER}/auth`, token_endpoint: `${ISSUER}/token`, registration_endpoint: `${ISSUER}/reg` });
    const callbacks = new RegisteredCallbacks(clients, uris, server.update);
    assert.equal(await callbacks.callbackUriFor(ISSUER), callback(2));
    assert.deepEqual(asked, [callback(2)], 'asked once, for the registration');
    assert.deepEqual(server.updates, []);
    // The next sign-in (after a sign-out): that URI was spent, a new one needs the registration updated.
    assert.equal(await callbacks.callbackUriFor(ISSUER), callback(3));
    assert.deepEqual(server.updates, [{ token: 'rat-1', redirectUris: [LOOPBACK_REDIRECT_URI, callback(3)] }]);
  });

  test('a callback URI the registration lacks: updated to loopback + the new URI, stored with the rotated token, before the URI is handed out', async () => {
    const secrets = withStored(registration);
    const server = rotatingServer();
    const { uris } = editor();
    const logged: string[] = [];
    const callbacks = new RegisteredCallbacks(new RegisteredClients(secrets, noRegistration), uris, server.update, (message) => logged.push(message));
    assert.equal(await callbacks.callbackUriFor(ISSUER), callback(2));
    assert.deepEqual(stored(secrets), { ...registration, redirect_uris: [LOOPBACK_REDIRECT_URI, callback(2)], registration_access_token: 'rat-2' });
    assert.equal(await callbacks.callbackUriFor(ISSUER), callback(3));
    assert.deepEqual(server.updates.map((entry) => entry.token), ['rat-1', 'rat-2'], 'each update with the token the last one gave');
    assert.equal(stored(secrets)?.registration_access_token, 'rat-3');
    assert.ok(logged.length === 2 && logged.every((line) => !line.includes('rat-')), 'logged, never with the token');
  });

  test('concurrent sign-ins in one window update one after the other, each with the token the other stored', async () => {
    const secrets = withStored(registration);
    const server = rotatingServer();
    const callbacks = new RegisteredCallbacks(new RegisteredClients(secrets, noRegistration), editor().uris, server.update);
    const got = await Promise.all([callbacks.callbackUriFor(ISSUER), callbacks.callbackUriFor(ISSUER)]);
    assert.deepEqual(new Set(got).size, 2);
    assert.deepEqual(server.updates.map((entry) => entry.token), ['rat-1', 'rat-2']);
  });

  test('an entry stored before management existed still loads; it cannot be updated: notManageable, nothing stored', async () => {
    const { registration_client_uri: _uri, registration_access_token: _token, ...old } = registration;
    const secrets = withStored(old);
    const clients = new RegisteredClients(secrets, noRegistration);
    assert.deepEqual(await clients.all(), [old]);
    const update: UpdateClient = async () => {
      throw new AuthError('not_supported', 'no registration_client_uri');
    };
    const callbacks = new RegisteredCallbacks(clients, editor().uris, update);
    await assert.rejects(callbacks.callbackUriFor(ISSUER), (err: unknown) => err instanceof RegisteredCallbackError && err.problem === 'notManageable' && err.issuer === ISSUER);
    assert.deepEqual(secrets.stores, []);
  });

  test('a refused update (403, an unusable answer) is a RegisteredCallbackError; the stored registration is left as it was', async () => {
    for (const [thrown, problem] of [
      [new ServerError({ error: 'invalid_request', status: 403 }), 'refused'],
      [new AuthError('invalid_response', 'client update: HTTP 500'), 'failed'],
    ] as const) {
      const secrets = withStored(registration);
      const callbacks = new RegisteredCallbacks(new RegisteredClients(secrets, noRegistration), editor().uris, async () => {
        throw thrown;
      });
      await assert.rejects(callbacks.callbackUriFor(ISSUER), (err: unknown) => err instanceof RegisteredCallbackError && err.problem === problem && err.cause === thrown);
      assert.deepEqual(secrets.stores, []);
    }
  });

  test('a token another window rotated (401): once more with the token stored since; a second 401 is refused', async () => {
    const secrets = withStored(registration);
    const clients = new RegisteredClients(secrets, noRegistration);
    const tokens: (string | undefined)[] = [];
    let current = 'rat-1';
    const update: UpdateClient = async (sent, redirectUris) => {
      tokens.push(sent.registration_access_token);
      if (sent.registration_access_token !== current) throw new ServerError({ error: 'invalid_token', status: 401 });
      current = 'rat-9';
      return { ...sent, redirect_uris: redirectUris, registration_access_token: current };
    };
    const callbacks = new RegisteredCallbacks(clients, editor().uris, update);
    // Another window updated and stored its rotated token after this one read the registration.
    current = 'rat-5';
    const read = clients.find.bind(clients);
    let reads = 0;
    clients.find = async (issuer) => (++reads === 1 ? read(issuer) : { ...registration, registration_access_token: 'rat-5' });
    assert.equal(await callbacks.callbackUriFor(ISSUER), callback(2));
    assert.deepEqual(tokens, ['rat-1', 'rat-5']);
    assert.equal(stored(secrets)?.registration_access_token, 'rat-9');

    const dead = new RegisteredCallbacks(new RegisteredClients(withStored(registration), noRegistration), editor().uris, async () => {
      throw new ServerError({ error: 'invalid_token', status: 401 });
    });
    await assert.rejects(dead.callbackUriFor(ISSUER), (err: unknown) => err instanceof RegisteredCallbackError && err.problem === 'refused');
  });
});

describe('a registered provider whose registration cannot follow the callback URI', () => {
  test('the URI-handler flow fails before opening the browser, and the chain offers the device code', async () => {
    const { registration_client_uri: _uri, registration_access_token: _token, ...old } = registration;
    const secrets = withStored(old);
    const updateFetch = new FakeFetch();
    const callbacks = new RegisteredCallbacks(new RegisteredClients(secrets, noRegistration), editor().uris, async (current, redirectUris) => {
      const { updateNativeClient } = await import('../../../src/core/index.js');
      return updateNativeClient(updateFetch.fetch, current, { clientName: 'test', redirectUris });
    });
    const idp = new FakeFetch().on(
      'https://idp.example/realms/demo/.well-known/openid-configuration',
      jsonResponse({ issuer: ISSUER, authorization_endpoint: `${ISSUER}/auth`, token_endpoint: `${ISSUER}/token`, jwks_uri: `${ISSUER}/jwks`, device_authorization_endpoint: `${ISSUER}/device` }),
    );
    const opened: string[] = [];
    const asked: string[] = [];
    const triggered: string[] = [];
    const deviceCode: SignInFlow = {
      id: 'deviceCode',
      label: 'device code',
      supportsRemoteExtensionHost: true,
      supportsWebWorkerExtensionHost: true,
      needsDeviceAuthorizationEndpoint: true,
      trigger: async () => {
        triggered.push('deviceCode');
        throw new Error('device code stops here');
      },
    };
    const config = registeredProviderConfig(old, false);
    const provider = new MsalAuthenticationProvider(
      config,
      providerDependencies(config.id, {
        httpClient: idp.fetch,
        flows: [uriHandlerFlow, deviceCode],
        extensionHost: 'remote',
        signIn: { registeredCallbackUri: (issuer) => callbacks.callbackUriFor(issuer), externalCallbackUri: async () => assert.fail('a registered provider asks through its registration') },
        ui: { openUri: async (url) => (opened.push(url), true), askTryAnotherWay: async (failed, next) => (asked.push(`${failed.id}→${next.id}`), true) },
      }),
    );
    await assert.rejects(provider.signIn(['api://demo/read']), /device code stops here/);
    assert.deepEqual(asked, ['uriHandler→deviceCode']);
    assert.deepEqual(triggered, ['deviceCode']);
    assert.deepEqual(opened, [], 'no browser opened for a sign-in that could not come back');
    assert.equal(updateFetch.requests.length, 0);
  });

  test('the person is told to use the device code or the desktop editor', () => {
    const explained = explainSignInError(new RegisteredCallbackError('refused', ISSUER), { providerLabel: 'idp.example', clientIdSetting: 'x', issuerSetting: 'y', issuer: ISSUER }, (message, ...args) =>
      message.replace(/\{(\d)\}/g, (_, index: string) => args[Number(index)]!),
    );
    assert.match(explained!.message, /^idp\.example did not let the editor add .* Device Code, or sign in from the desktop editor\.$/);
    assert.equal(explained!.next, 'showLog');
  });
});
