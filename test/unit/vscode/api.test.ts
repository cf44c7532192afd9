/**
 * The exported API, branch by branch: the providers it names and the event it passes on, sign-out,
 * an unknown provider, and getSession's ways to a session (silent first; interactive when asked,
 * after a silent miss or failure, or at once with `forceNewSession`; a tenant as VS Code's scope
 * modifier). The claims-challenge path (for editors before VS Code 1.105, and for what getSession
 * cannot express): a resource's WWW-Authenticate header becomes the claims challenge of the
 * silent attempt and, when that gives nothing, of the interactive sign-in.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as vscode from 'vscode';
import { createApi, type FetchService } from '../../../src/vscode/api.js';
import type { AuthenticatedFetchInit } from '../../../src/vscode/authenticated-fetch.js';
import type { FetchCaller } from '../../../src/vscode/fetch-consent.js';
import type { MsalAuthenticationProvider, SignInOptions } from '../../../src/vscode/auth-provider.js';

const ACRS = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
const session = { id: 's', accessToken: 'at', account: { id: 'a', label: 'alice' }, scopes: [] } as vscode.AuthenticationSession;

/** A provider whose silent attempt gives `silent` (or throws it, when it is an Error). */
function fakeProvider(silent: vscode.AuthenticationSession | Error | undefined, id = 'entra') {
  const calls: { silent: unknown[][]; signIn: [readonly string[], SignInOptions][]; signOut: string[] } = { silent: [], signIn: [], signOut: [] };
  const provider = {
    config: { id },
    acquireTokenSilently: async (...args: unknown[]) => {
      calls.silent.push(args);
      if (silent instanceof Error) throw silent;
      return silent;
    },
    signIn: async (scopes: readonly string[], options: SignInOptions) => (calls.signIn.push([scopes, options]), session),
    signOut: async (accountId: string) => void calls.signOut.push(accountId),
  } as unknown as MsalAuthenticationProvider;
  return { provider, calls };
}

const onDidChange = (() => ({ dispose() {} })) as unknown as vscode.Event<readonly string[]>;

/** The authenticated fetch behind `api.fetch`, recording whom each call was identified as. */
function fetchService() {
  const calls: [FetchCaller, string, AuthenticatedFetchInit][] = [];
  const service: FetchService = {
    identifyCaller: (extensionId) => ({ id: extensionId, label: extensionId ?? 'An extension' }),
    fetch: async (caller, url, init) => (calls.push([caller, url, init]), new Response('ok')),
  };
  return { service, calls };
}

for (const [name, claims] of [
  ['base64', Buffer.from(ACRS).toString('base64')],
  ['JSON', ACRS],
] as const) {
  test(`a WWW-Authenticate claims challenge (${name}) reaches the silent attempt, then the sign-in`, async () => {
    const header = `Bearer realm="", error="insufficient_claims", claims=${JSON.stringify(claims)}`;
    const silentOnly = fakeProvider(session);
    assert.equal(await createApi(() => [silentOnly.provider], onDidChange, fetchService().service).getSession({ providerId: 'entra', scopes: ['x'], wwwAuthenticate: header }), session);
    assert.deepEqual(silentOnly.calls.silent, [[['x'], undefined, { forceRefresh: undefined, claimsChallenge: ACRS }]]);
    const interactive = fakeProvider(undefined);
    await createApi(() => [interactive.provider], onDidChange, fetchService().service).getSession({ providerId: 'entra', scopes: ['x'], wwwAuthenticate: header, interactive: true });
    assert.deepEqual(interactive.calls.signIn, [[['x'], { claimsChallenge: ACRS, flow: undefined }]]);
  });
}

describe('createApi', () => {
  test('fetch identifies the caller by the extension id it names, then hands the request on', async () => {
    const { service, calls } = fetchService();
    const api = createApi(() => [], onDidChange, service);
    assert.equal(await (await api.fetch('https://api.example/items', { extensionId: 'pub.ext', method: 'POST' })).text(), 'ok');
    await api.fetch('https://api.example/other');
    assert.deepEqual(calls.map(([caller, url, init]) => [caller.id, url, init.method]), [
      ['pub.ext', 'https://api.example/items', 'POST'],
      [undefined, 'https://api.example/other', undefined],
    ]);
  });

  test('providerIds follows the registered providers; onDidChangeProviders is the registry\'s event', () => {
    let current = [fakeProvider(undefined, 'entra').provider];
    const api = createApi(() => current, onDidChange, fetchService().service);
    assert.deepEqual(api.providerIds, ['entra']);
    current = [...current, fakeProvider(undefined, 'keycloak').provider];
    assert.deepEqual(api.providerIds, ['entra', 'keycloak'], 'read at each access');
    assert.equal(api.onDidChangeProviders, onDidChange);
  });

  test('signOut reaches the named provider with the account id', async () => {
    const entra = fakeProvider(undefined, 'entra');
    const keycloak = fakeProvider(undefined, 'keycloak');
    await createApi(() => [entra.provider, keycloak.provider], onDidChange, fetchService().service).signOut('keycloak', 'account-1');
    assert.deepEqual(keycloak.calls.signOut, ['account-1']);
    assert.deepEqual(entra.calls.signOut, []);
  });

  test('an unknown provider is refused, for getSession and signOut alike', async () => {
    const api = createApi(() => [fakeProvider(session).provider], onDidChange, fetchService().service);
    await assert.rejects(api.getSession({ providerId: 'okta', scopes: ['x'] }), /unknown provider okta/);
    // signOut refuses before it returns a promise: an awaiting caller gets the error all the same.
    assert.throws(() => api.signOut('okta', 'a'), /unknown provider okta/);
  });

  test('silent: the request\'s account, forceRefresh and scopes reach the provider; no claims without a header', async () => {
    const { provider, calls } = fakeProvider(session);
    const api = createApi(() => [provider], onDidChange, fetchService().service);
    assert.equal(await api.getSession({ providerId: 'entra', scopes: ['x'], accountId: 'a', forceRefresh: true }), session);
    assert.deepEqual(calls.silent, [[['x'], 'a', { forceRefresh: true, claimsChallenge: undefined }]]);
    assert.deepEqual(calls.signIn, [], 'a silent session needs no sign-in, interactive or not');
  });

  test('a tenant becomes the VSCODE_TENANT: modifier, for the silent attempt and the sign-in', async () => {
    const { provider, calls } = fakeProvider(undefined);
    await createApi(() => [provider], onDidChange, fetchService().service).getSession({ providerId: 'entra', scopes: ['x'], tenant: 'contoso', interactive: true });
    assert.deepEqual(calls.silent[0]![0], ['x', 'VSCODE_TENANT:contoso']);
    assert.deepEqual(calls.signIn.map(([scopes]) => scopes), [['x', 'VSCODE_TENANT:contoso']]);
  });

  test('nothing silently and not interactive: undefined, no sign-in', async () => {
    const { provider, calls } = fakeProvider(undefined);
    assert.equal(await createApi(() => [provider], onDidChange, fetchService().service).getSession({ providerId: 'entra', scopes: ['x'] }), undefined);
    assert.deepEqual(calls.signIn, []);
  });

  test('a silent failure: thrown when not interactive, else the sign-in follows with the flow asked for', async () => {
    const refused = new Error('invalid_grant');
    const silentOnly = fakeProvider(refused);
    await assert.rejects(createApi(() => [silentOnly.provider], onDidChange, fetchService().service).getSession({ providerId: 'entra', scopes: ['x'] }), (err: unknown) => err === refused);
    const interactive = fakeProvider(refused);
    assert.equal(await createApi(() => [interactive.provider], onDidChange, fetchService().service).getSession({ providerId: 'entra', scopes: ['x'], interactive: true, flow: 'deviceCode' }), session);
    assert.deepEqual(interactive.calls.signIn, [[['x'], { claimsChallenge: undefined, flow: 'deviceCode' }]]);
  });

  test('forceNewSession signs in at once when interactive, and is ignored otherwise', async () => {
    const forced = fakeProvider(session);
    await createApi(() => [forced.provider], onDidChange, fetchService().service).getSession({ providerId: 'entra', scopes: ['x'], interactive: true, forceNewSession: true, flow: 'loopback' });
    assert.deepEqual(forced.calls.silent, [], 'no silent attempt');
    assert.deepEqual(forced.calls.signIn, [[['x'], { claimsChallenge: undefined, flow: 'loopback' }]]);
    const notInteractive = fakeProvider(session);
    assert.equal(await createApi(() => [notInteractive.provider], onDidChange, fetchService().service).getSession({ providerId: 'entra', scopes: ['x'], forceNewSession: true }), session);
    assert.deepEqual(notInteractive.calls.signIn, []);
    assert.equal(notInteractive.calls.silent.length, 1);
  });
});
