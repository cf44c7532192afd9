/**
 * The exported API's claims-challenge path (for editors before VS Code 1.105, and for what
 * getSession cannot express): a resource's WWW-Authenticate header becomes the claims challenge of
 * the silent attempt and, when that gives nothing, of the interactive sign-in.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as vscode from 'vscode';
import { createApi } from '../../../src/vscode/api.js';
import type { MsalAuthenticationProvider, SignInOptions } from '../../../src/vscode/auth-provider.js';

const ACRS = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
const session = { id: 's', accessToken: 'at', account: { id: 'a', label: 'alice' }, scopes: [] } as vscode.AuthenticationSession;

function fakeProvider(silent: vscode.AuthenticationSession | undefined) {
  const calls: { silent: unknown[][]; signIn: SignInOptions[] } = { silent: [], signIn: [] };
  const provider = {
    config: { id: 'entra' },
    acquireTokenSilently: async (...args: unknown[]) => (calls.silent.push(args), silent),
    signIn: async (_scopes: readonly string[], options: SignInOptions) => (calls.signIn.push(options), session),
  } as unknown as MsalAuthenticationProvider;
  return { provider, calls };
}

const onDidChange = (() => ({ dispose() {} })) as unknown as vscode.Event<readonly string[]>;

for (const [name, claims] of [
  ['base64', Buffer.from(ACRS).toString('base64')],
  ['JSON', ACRS],
] as const) {
  test(`a WWW-Authenticate claims challenge (${name}) reaches the silent attempt, then the sign-in`, async () => {
    const header = `Bearer realm="", error="insufficient_claims", claims=${JSON.stringify(claims)}`;
    const silentOnly = fakeProvider(session);
    assert.equal(await createApi(() => [silentOnly.provider], onDidChange).getSession({ providerId: 'entra', scopes: ['x'], wwwAuthenticate: header }), session);
    assert.deepEqual(silentOnly.calls.silent, [[['x'], undefined, { forceRefresh: undefined, claimsChallenge: ACRS }]]);
    const interactive = fakeProvider(undefined);
    await createApi(() => [interactive.provider], onDidChange).getSession({ providerId: 'entra', scopes: ['x'], wwwAuthenticate: header, interactive: true });
    assert.deepEqual(interactive.calls.signIn, [{ claimsChallenge: ACRS, flow: undefined }]);
  });
}
