/**
 * The table of sign-in failures a new user meets, each as one message with the next step.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError, ServerError } from '../../../src/core/errors.js';
import { errorContextFor, explainMissingClientId, explainSettingProblem, explainSignInError, type UserErrorContext } from '../../../src/vscode/user-errors.js';
import { LoopbackPortInUseError } from '../../../src/node/loopback-listener.js';
import { BrowserFetchError } from '../../../src/vscode/browser-http.js';
import { explainBrowserError } from '../../../src/vscode/browser-errors.js';
import { FlowUnavailableError } from '../../../src/vscode/flows.js';
import { explainLoopbackError } from '../../../src/vscode/loopback-errors.js';
import { parseSettings } from '../../../src/vscode/settings.js';

/** Stands in for vscode.l10n.t: fills {0}, {1}… as it does. */
const t = (message: string, ...args: string[]) => message.replace(/\{(\d+)\}/g, (_, index: string) => args[Number(index)]);

const oidc: UserErrorContext = { providerLabel: 'Keycloak', clientIdSetting: 'msalSignIn.oidcProviders', issuerSetting: 'msalSignIn.oidcProviders', issuer: 'https://kc.example/realms/dev' };

describe('explainSignInError', () => {
  const cases: { name: string; err: unknown; next: string; matches: RegExp }[] = [
    { name: 'unknown client id (OAuth)', err: new ServerError({ error: 'invalid_client' }), next: 'openSettings', matches: /does not accept the client id.*msalSignIn\.oidcProviders/ },
    { name: 'unknown client id (Entra AADSTS700016)', err: new ServerError({ error: 'unauthorized_client', errorCodes: [700016] }), next: 'openSettings', matches: /does not accept the client id/ },
    { name: 'redirect URI not registered (oidc-provider)', err: new ServerError({ error: 'invalid_redirect_uri' }), next: 'showLog', matches: /refused the redirect URI\. Register http:\/\/127\.0\.0\.1/ },
    { name: 'redirect URI not registered (Entra AADSTS50011)', err: new ServerError({ error: 'invalid_request', errorCodes: [50011] }), next: 'showLog', matches: /refused the redirect URI/ },
    { name: 'consent declined', err: new ServerError({ error: 'access_denied' }), next: 'none', matches: /was declined\. Sign in again and accept/ },
    { name: 'consent declined (Entra AADSTS65004)', err: new ServerError({ error: 'invalid_grant', errorCodes: [65004] }), next: 'none', matches: /was declined/ },
    { name: 'public client flows off (Entra AADSTS7000218)', err: new ServerError({ error: 'invalid_client', errorCodes: [7000218] }), next: 'none', matches: /Allow public client flows/ },
    { name: 'unreachable issuer', err: new AuthError('network_error', 'request to https://kc.example/x failed (ECONNREFUSED)'), next: 'openSettings', matches: /Could not reach Keycloak at https:\/\/kc\.example\/realms\/dev\. Check the URL in msalSignIn\.oidcProviders/ },
    { name: 'issuer too slow', err: new AuthError('timeout', 'request did not complete'), next: 'openSettings', matches: /Could not reach/ },
    { name: 'wrong issuer URL', err: new AuthError('discovery_failed', 'HTTP 404'), next: 'openSettings', matches: /does not answer as an OpenID Connect issuer.*well-known\/openid-configuration/ },
    { name: 'issuer URL not https', err: new AuthError('invalid_authority', 'not https'), next: 'openSettings', matches: /must be an https URL.*allowLoopbackHttp/ },
    { name: 'throttled', err: new AuthError('throttled', 'wait'), next: 'none', matches: /asked to wait/ },
    { name: 'another server error keeps its code', err: new ServerError({ error: 'invalid_scope', errorCodes: [70011] }), next: 'showLog', matches: /answered invalid_scope \(AADSTS70011\)/ },
    { name: 'another library error keeps its code', err: new AuthError('invalid_id_token', 'bad nonce'), next: 'showLog', matches: /failed: invalid_id_token: bad nonce/ },
    { name: 'anything else', err: new Error('boom'), next: 'showLog', matches: /failed\. See the log/ },
  ];
  for (const { name, err, next, matches } of cases) {
    test(name, () => {
      const explained = explainSignInError(err, oidc, t);
      assert.ok(explained);
      assert.equal(explained.next, next);
      assert.match(explained.message, matches);
      if (next === 'openSettings') assert.ok(explained.setting?.startsWith('msalSignIn.'));
    });
  }

  test('a cancel needs no message', () => {
    assert.equal(explainSignInError(new AuthError('cancelled', 'cancelled'), oidc, t), undefined);
  });

  test('never repeats what a server put in its description', () => {
    const explained = explainSignInError(new ServerError({ error: 'invalid_client', errorDescription: 'token=eyJsecret' }), oidc, t);
    assert.doesNotMatch(explained!.message, /eyJ/);
  });

  test('every message goes through the translate function', () => {
    const calls: string[] = [];
    explainSignInError(new ServerError({ error: 'access_denied' }), oidc, (message, ...args) => (calls.push(message), t(message, ...args)));
    assert.equal(calls.length, 1);
  });
});

describe('explainMissingClientId', () => {
  test('says what to register and which setting to fill', () => {
    const explained = explainMissingClientId(errorContextFor({ id: 'entra', label: 'Microsoft Entra ID', kind: 'entra', clientId: '', authorityBase: 'https://login.microsoftonline.com', tenant: 'organizations', defaultScopes: [], allowLoopbackHttp: false }), t);
    assert.equal(explained.next, 'openSettings');
    assert.equal(explained.setting, 'msalSignIn.entra.clientId');
    assert.match(explained.message, /Microsoft Entra ID has no client id\. Register a public client application .*http:\/\/127\.0\.0\.1.*msalSignIn\.entra\.clientId/);
  });
});

describe('errorContextFor', () => {
  test('points Entra at its tenant or authority setting, OIDC at its provider list', () => {
    const base = { id: 'entra', label: 'Entra', kind: 'entra' as const, clientId: 'x', defaultScopes: [], allowLoopbackHttp: false };
    assert.deepEqual(errorContextFor({ ...base, authorityBase: 'https://login.microsoftonline.com', tenant: 'contoso.com' }), {
      providerLabel: 'Entra', clientIdSetting: 'msalSignIn.entra.clientId', issuerSetting: 'msalSignIn.entra.tenant', issuer: 'https://login.microsoftonline.com/contoso.com',
    });
    assert.equal(errorContextFor({ ...base, authorityOverride: 'https://b2c.example/tfp/x' }).issuerSetting, 'msalSignIn.entra.authority');
    assert.equal(errorContextFor({ ...base, kind: 'oidc', issuer: 'https://kc.example' }).issuer, 'https://kc.example');
  });
});

describe('explainSignInError: a fixed loopback port in use (the Node host\'s words), a flow the provider lacks', () => {
  const contextOf = (values: Record<string, unknown>, id: string) => {
    const config = parseSettings((key) => values[key]).providers.find((provider) => provider.id === id);
    assert.ok(config);
    return errorContextFor(config);
  };

  test('the port and the setting that fixed it are named, with Open Settings', () => {
    const context = contextOf({ oidcProviders: [{ id: 'llng', label: 'LemonLDAP::NG', issuer: 'https://auth.example', clientId: 'c', redirectUri: 'http://127.0.0.1:8400/' }] }, 'llng');
    const explained = explainSignInError(new LoopbackPortInUseError(8400, '127.0.0.1'), context, t, explainLoopbackError);
    assert.equal(explained?.next, 'openSettings');
    assert.equal(explained?.setting, 'msalSignIn.oidcProviders');
    assert.equal(
      explained?.message,
      'Port 8400 on 127.0.0.1 is in use by another program, so the browser sign-in to LemonLDAP::NG cannot receive its redirect. Close that program, or choose another port in "redirectUri" of "llng" in msalSignIn.oidcProviders (and register that redirect URI at the identity provider).',
    );
    const entra = contextOf({ 'entra.clientId': 'c', 'entra.redirectUri': 'http://localhost:3000/' }, 'entra');
    const forEntra = explainSignInError(new LoopbackPortInUseError(3000, '127.0.0.1'), entra, t, explainLoopbackError);
    assert.equal(forEntra?.setting, 'msalSignIn.entra.redirectUri');
    assert.match(forEntra!.message, /Port 3000 on 127\.0\.0\.1 is in use.*choose another port in msalSignIn\.entra\.redirectUri/);
  });

  test('without a fixed port (a race for the one the system gave): no setting to open', () => {
    const explained = explainSignInError(new LoopbackPortInUseError(51234, '127.0.0.1'), oidc, t, explainLoopbackError);
    assert.equal(explained?.next, 'none');
    assert.match(explained!.message, /^Port 51234 on 127\.0\.0\.1 is in use .* Try again\.$/);
  });

  test('a port in use is not mistaken for an unreachable issuer (it is a network_error too)', () => {
    const err = new LoopbackPortInUseError(8400, '127.0.0.1');
    assert.equal(err.code, 'network_error');
    assert.doesNotMatch(explainSignInError(err, oidc, t, explainLoopbackError)!.message, /Could not reach/);
  });

  test('no device authorization endpoint: says so, naming the provider and its issuer', () => {
    const explained = explainSignInError(new FlowUnavailableError('deviceCode', 'noDeviceAuthorizationEndpoint'), oidc, t);
    assert.equal(explained?.next, 'none');
    assert.equal(
      explained?.message,
      'Keycloak does not offer sign-in with a device code: its discovery document at https://kc.example/realms/dev names no device_authorization_endpoint. Use MSAL Sign-In: Sign In instead, or enable the device authorization grant for the client at the identity provider.',
    );
  });
});

describe("each host's words: what only the loopback listener or a browser meets", () => {
  const portInUse = new LoopbackPortInUseError(8400, '127.0.0.1');
  const refused = new AuthError('network_error', 'the request to https://kc.example failed', {
    cause: new BrowserFetchError('https://kc.example', 'https://vscode.dev', { cause: new TypeError('Failed to fetch') }),
  });
  const deviceRefused = new FlowUnavailableError('deviceCode', 'deviceEndpointRefusesBrowsers');
  const noSockets = new FlowUnavailableError('loopback', 'noSocketsInWebWorker');

  test('the browser words a refused request and the flows a web worker cannot run', () => {
    assert.match(explainSignInError(refused, oidc, t, explainBrowserError)!.message, /^The browser could not send the sign-in request to Keycloak at https:\/\/kc\.example\. .* origin https:\/\/vscode\.dev/);
    assert.match(explainSignInError(deviceRefused, oidc, t, explainBrowserError)!.message, /^Sign-in to Keycloak with a device code cannot run in the browser/);
    assert.match(explainSignInError(noSockets, oidc, t, explainBrowserError)!.message, /^The loopback sign-in to Keycloak cannot run in an editor in the browser/);
  });

  test("neither host words the other's failures; the shared words come first", () => {
    assert.equal(explainLoopbackError(refused, oidc, t), undefined);
    assert.equal(explainLoopbackError(noSockets, oidc, t), undefined);
    assert.equal(explainBrowserError(portInUse, oidc, t), undefined);
    // Without the browser's words a refused request is the network failure it is.
    assert.match(explainSignInError(refused, oidc, t, explainLoopbackError)!.message, /^Could not reach Keycloak/);
    const noEndpoint = new FlowUnavailableError('deviceCode', 'noDeviceAuthorizationEndpoint');
    assert.match(explainSignInError(noEndpoint, oidc, t, explainBrowserError)!.message, /does not offer sign-in with a device code/);
  });
});

describe('explainSettingProblem', () => {
  const problemOf = (entry: Record<string, unknown>) => {
    const [problem] = parseSettings((key) => (key === 'oidcProviders' ? [{ id: 'auth0', issuer: 'https://t.auth0.com/', clientId: 'c', ...entry }] : undefined)).providers[1]!.settingProblems ?? [];
    assert.ok(problem);
    return explainSettingProblem(problem, t);
  };

  test('a redirect URI that is not loopback http with a port', () => {
    const explained = problemOf({ redirectUri: 'https://example.com/cb' });
    assert.equal(explained.next, 'openSettings');
    assert.equal(explained.setting, 'msalSignIn.oidcProviders');
    assert.match(explained.message, /^The redirect URI https:\/\/example\.com\/cb in "redirectUri" of "auth0" in msalSignIn\.oidcProviders cannot be used: it must be a loopback http URI with a port/);
  });

  test('parameters the extension sets, each named', () => {
    const explained = problemOf({ authorizationParameters: { audience: 'a', redirect_uri: 'x', state: 's' } });
    assert.equal(explained.setting, 'msalSignIn.oidcProviders');
    assert.match(explained.message, /^"authorizationParameters" of "auth0" in msalSignIn\.oidcProviders sets redirect_uri, state, which the extension sets itself\./);
  });

  test('values that are not text, or no object at all', () => {
    assert.match(problemOf({ authorizationParameters: { audience: 1 } }).message, /must map parameter names to text; these values are not text: audience\./);
    assert.match(problemOf({ authorizationParameters: 'audience=x' }).message, /must be an object that maps parameter names to text/);
  });

  test('every message goes through the translate function', () => {
    const [problem] = parseSettings((key) => (key === 'entra.redirectUri' ? 'x' : undefined)).providers[0]!.settingProblems!;
    const calls: string[] = [];
    explainSettingProblem(problem!, (message, ...args) => (calls.push(message), t(message, ...args)));
    assert.equal(calls.length, 1);
  });
});
