/**
 * A provider's request settings over the `vscode` stand-in, against a scripted identity provider:
 * a setting that cannot be used stops an interactive sign-in before any request, with a message
 * naming it; an identity provider without a device authorization endpoint is never offered the
 * device code, and asking for it by name (the palette's "Sign In with a Device Code") says why
 * instead of trying. Requests are counted at the fake identity provider.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import '../../support/vscode/register.js';
import { stub } from '../../support/vscode/stub.js';
import { providerDependencies } from '../../support/provider-dependencies.js';
import { FakeFetch, jsonResponse } from '../core/fakes.js';

const { MsalAuthenticationProvider } = await import('../../../src/vscode/auth-provider.js');
const { ConfigurationError } = await import('../../../src/vscode/user-errors.js');
const { FlowUnavailableError } = await import('../../../src/vscode/flows.js');
const { reportSignInError } = await import('../../../src/vscode/report-errors.js');
const { parseSettings } = await import('../../../src/vscode/settings.js');
const { WEB_WORKER_FLOWS } = await import('../../../src/vscode/sign-in-flows.js');
type SignInFlow = import('../../../src/vscode/flows.js').SignInFlow;
type FlowContext = import('../../../src/vscode/flows.js').FlowContext;
type ExtensionHostKind = import('../../../src/vscode/flows.js').ExtensionHostKind;

const ORIGIN = 'https://idp.example';
const DEVICE_ENDPOINT = `${ORIGIN}/device/code`;

/** Discovery of an identity provider with or without a device authorization endpoint. */
function fakeIdp(deviceEndpoint: boolean): FakeFetch {
  return new FakeFetch().on(
    `${ORIGIN}/.well-known/openid-configuration`,
    jsonResponse({
      issuer: `${ORIGIN}/`,
      authorization_endpoint: `${ORIGIN}/authorize`,
      token_endpoint: `${ORIGIN}/token`,
      jwks_uri: `${ORIGIN}/jwks`,
      ...(deviceEndpoint ? { device_authorization_endpoint: DEVICE_ENDPOINT } : {}),
    }),
  );
}

/** Flows that record what they were given and fail, so the provider walks the whole list. */
function recordingFlows(triggered: { id: string; context: FlowContext }[]): SignInFlow[] {
  const flow = (id: SignInFlow['id'], remote: boolean, needsDevice: boolean): SignInFlow => ({
    id,
    label: id,
    supportsRemoteExtensionHost: remote,
    supportsWebWorkerExtensionHost: remote,
    needsDeviceAuthorizationEndpoint: needsDevice,
    trigger: async (context) => {
      triggered.push({ id, context });
      throw new Error(`${id} stops here`);
    },
  });
  return [flow('loopback', false, false), flow('uriHandler', true, false), flow('deviceCode', true, true)];
}

function providerFrom(entry: Record<string, unknown>, options: { deviceEndpoint?: boolean; extensionHost?: ExtensionHostKind } = {}) {
  const settings = parseSettings((key) => ({ oidcProviders: [entry] })[key]);
  const config = settings.providers.find((provider) => provider.id === entry.id);
  assert.ok(config);
  const idp = fakeIdp(options.deviceEndpoint ?? true);
  const triggered: { id: string; context: FlowContext }[] = [];
  const asked: string[] = [];
  const provider = new MsalAuthenticationProvider(
    config,
    providerDependencies(config.id, {
      httpClient: idp.fetch,
      flows: recordingFlows(triggered),
      extensionHost: options.extensionHost ?? 'local',
      ui: { askTryAnotherWay: async (failed, next) => (asked.push(`${failed.id}→${next.id}`), true) },
    }),
  );
  return { provider, idp, triggered, asked, problems: settings.problems };
}

const ENTRY = { id: 'auth0', label: 'Auth0', issuer: `${ORIGIN}/`, clientId: 'vscode' };

/** How `provider` refuses a sign-in that asks for `flow` by name: a FlowUnavailableError naming it. */
async function refusalOf(provider: Pick<InstanceType<typeof MsalAuthenticationProvider>, 'signIn'>, flow: SignInFlow['id']) {
  const err = await provider.signIn(undefined, { flow }).then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof FlowUnavailableError, String(err));
  assert.equal(err.flow, flow);
  return err;
}
const logChannel = { error: () => undefined, show: () => undefined } as unknown as import('vscode').LogOutputChannel;

beforeEach(() => stub.reset());

describe('provider settings: redirectUri and authorizationParameters reach the flows', () => {
  test('each flow gets the fixed redirect URI and the extra parameters', async () => {
    const { provider, triggered } = providerFrom({ ...ENTRY, redirectUri: 'http://127.0.0.1:8400/callback', authorizationParameters: { audience: 'https://api.example.com' } });
    await assert.rejects(provider.signIn(['api://x/read']), /stops here/);
    assert.deepEqual(
      triggered.map((entry) => entry.id),
      ['loopback', 'uriHandler', 'deviceCode'],
    );
    for (const { context } of triggered) {
      assert.deepEqual(context.loopbackRedirect, { uri: 'http://127.0.0.1:8400/callback', host: '127.0.0.1', port: 8400, path: '/callback' });
      assert.deepEqual(context.authorizationParameters, { audience: 'https://api.example.com' });
    }
  });

  test('without them: no fixed redirect, no extra parameters', async () => {
    const { provider, triggered } = providerFrom(ENTRY);
    await assert.rejects(provider.signIn(['api://x/read'], { flow: 'loopback' }), /stops here/);
    assert.equal(triggered[0]?.context.loopbackRedirect, undefined);
    assert.equal(triggered[0]?.context.authorizationParameters, undefined);
  });

  for (const [name, entry, matches] of [
    ['a redirect URI that is not loopback http', { redirectUri: 'https://auth.example/cb' }, /The redirect URI https:\/\/auth\.example\/cb in "redirectUri" of "auth0" in msalSignIn\.oidcProviders cannot be used/],
    ['parameters the library owns', { authorizationParameters: { audience: 'a', client_id: 'x', code_challenge: 'y' } }, /"authorizationParameters" of "auth0" in msalSignIn\.oidcProviders sets client_id, code_challenge, which the extension sets itself/],
  ] as const) {
    test(`${name}: a ConfigurationError naming the setting, before any request, shown with Open Settings`, async () => {
      const { provider, idp, triggered, problems } = providerFrom({ ...ENTRY, ...entry });
      assert.equal(problems.length, 1, 'the start-up warning lists it too');
      const err = await provider.signIn(['api://x/read']).then(
        () => assert.fail('expected a ConfigurationError'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConfigurationError);
      assert.equal(err.setting, 'msalSignIn.oidcProviders');
      assert.equal(err.problem, 'unusableSetting');
      assert.match(err.message, matches);
      assert.equal(idp.requests.length, 0, 'no request');
      assert.deepEqual(triggered, []);
      await reportSignInError(err, logChannel, provider.config);
      assert.deepEqual(
        stub.messages.map((message) => [message.severity, message.message]),
        [['error', err.message]],
      );
    });
  }
});

describe('provider settings: an identity provider without a device authorization endpoint', () => {
  for (const extensionHost of ['local', 'remote'] as const) {
    test(`is never offered the device code (${extensionHost} host), even when it is the preferred flow`, async () => {
      const { provider, idp, triggered, asked } = providerFrom({ ...ENTRY, flow: 'deviceCode' }, { deviceEndpoint: false, extensionHost });
      await assert.rejects(provider.signIn(['api://x/read']), /stops here/);
      const expected = extensionHost === 'local' ? ['loopback', 'uriHandler'] : ['uriHandler'];
      assert.deepEqual(
        triggered.map((entry) => entry.id),
        expected,
      );
      assert.ok(!asked.some((step) => step.includes('deviceCode')), 'not proposed as another way either');
      assert.equal(idp.count(DEVICE_ENDPOINT), 0);
    });
  }

  test('"Sign In with a Device Code" says why, naming the provider, and sends no device request', async () => {
    const { provider, idp, triggered } = providerFrom(ENTRY, { deviceEndpoint: false });
    const err = await refusalOf(provider, 'deviceCode');
    assert.equal(err.reason, 'noDeviceAuthorizationEndpoint');
    assert.deepEqual(triggered, []);
    assert.equal(idp.count(DEVICE_ENDPOINT), 0);
    assert.equal(idp.requests.length, 1, 'discovery only');
    await reportSignInError(err, logChannel, provider.config);
    assert.equal(stub.messages.length, 1);
    assert.match(stub.messages[0]!.message, /^Auth0 does not offer sign-in with a device code: its discovery document at https:\/\/idp\.example names no device_authorization_endpoint\./);
  });

  test('with the endpoint, the device code is asked for by name and runs', async () => {
    const { provider, triggered } = providerFrom(ENTRY, { deviceEndpoint: true, extensionHost: 'remote' });
    await assert.rejects(provider.signIn(undefined, { flow: 'deviceCode' }), /stops here/);
    assert.deepEqual(
      triggered.map((entry) => entry.id),
      ['deviceCode'],
    );
  });

  test('a flow asked for by name that needs no device endpoint does not wait for discovery', async () => {
    const { provider, idp, triggered } = providerFrom(ENTRY, { deviceEndpoint: false });
    await assert.rejects(provider.signIn(undefined, { flow: 'uriHandler' }), /stops here/);
    assert.deepEqual(
      triggered.map((entry) => entry.id),
      ['uriHandler'],
    );
    assert.equal(idp.requests.length, 0);
  });
});

describe('provider settings: Microsoft Entra ID named by an oidcProviders entry, in a browser (web worker host)', () => {
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  // Entra's device code endpoint sends no CORS headers: as for the built-in provider, the device
  // code is ruled out before any request, whichever cloud the issuer is in.
  for (const issuer of [`https://login.microsoftonline.com/${TENANT}/v2.0`, `https://login.microsoftonline.us/${TENANT}/v2.0`, `https://sts.windows.net/${TENANT}/`]) {
    test(`the issuer ${issuer}: "Sign In with a Device Code" says why, before any request`, async () => {
      const { provider, idp, triggered } = providerFrom({ ...ENTRY, label: 'Contoso', issuer }, { extensionHost: 'webWorker' });
      assert.equal((await refusalOf(provider, 'deviceCode')).reason, 'deviceEndpointRefusesBrowsers');
      assert.deepEqual(triggered, []);
      assert.equal(idp.requests.length, 0, 'not even discovery');
    });
  }

  test('a sign-in offers the URI handler alone, and no other way', async () => {
    const { provider, triggered, asked } = providerFrom({ ...ENTRY, issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`, flow: 'deviceCode' }, { extensionHost: 'webWorker' });
    await assert.rejects(provider.signIn(['api://x/read']), /stops here/);
    assert.deepEqual(
      triggered.map((entry) => entry.id),
      ['uriHandler'],
    );
    assert.deepEqual(asked, []);
  });

  test('another issuer keeps the device code in the browser; Entra keeps it on a desktop', async () => {
    const elsewhere = providerFrom(ENTRY, { extensionHost: 'webWorker' });
    await assert.rejects(elsewhere.provider.signIn(undefined, { flow: 'deviceCode' }), /stops here/);
    assert.deepEqual(
      elsewhere.triggered.map((entry) => entry.id),
      ['deviceCode'],
    );
    const issuer = `https://login.microsoftonline.com/${TENANT}/v2.0`;
    const desktop = providerFrom({ ...ENTRY, issuer }, { extensionHost: 'local' });
    const err = await desktop.provider.signIn(undefined, { flow: 'deviceCode' }).then(
      () => assert.fail('the fake serves no Entra discovery'),
      (e: unknown) => e,
    );
    assert.ok(!(err instanceof FlowUnavailableError), 'not ruled out up front');
    assert.equal(desktop.idp.count(`${issuer}/.well-known/openid-configuration`), 1, 'discovery decides, as for any issuer');
  });
});

describe('provider settings: the loopback flow asked for by name in a browser (web worker host)', () => {
  test('a web worker runs no loopback listener: the sign-in says why, before any request', async () => {
    const [config] = parseSettings((key) => ({ oidcProviders: [ENTRY] })[key]).providers.slice(1);
    assert.ok(config);
    const idp = fakeIdp(true);
    const provider = new MsalAuthenticationProvider(config, providerDependencies(config.id, { httpClient: idp.fetch, flows: WEB_WORKER_FLOWS, extensionHost: 'webWorker' }));
    assert.equal((await refusalOf(provider, 'loopback')).reason, 'noSocketsInWebWorker');
    assert.equal(idp.requests.length, 0);
  });
});
