/**
 * The table of sign-in failures a new user meets, each as one message with the next step.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError, ServerError } from '../../../src/core/errors.js';
import { errorContextFor, explainMissingClientId, explainSignInError, type UserErrorContext } from '../../../src/vscode/user-errors.js';

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
