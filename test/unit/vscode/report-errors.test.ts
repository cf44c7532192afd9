import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as vscode from 'vscode';
import '../../support/vscode/register.js';

const { reportingSignInFailures } = await import('../../../src/vscode/report-errors.js');

test('a failed createSession is reported and still rejects; the rest passes through', async () => {
  const failure = new Error('invalid_client');
  const session = { id: 's' } as vscode.AuthenticationSession;
  const calls: string[] = [];
  const provider = {
    onDidChangeSessions: (() => ({ dispose() {} })) as unknown as vscode.Event<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>,
    getSessions: async () => (calls.push('get'), [session]),
    createSession: async (scopes: readonly string[]) => {
      if (scopes[0] === 'fail') throw failure;
      return session;
    },
    removeSession: async () => void calls.push('remove'),
  } as vscode.AuthenticationProvider;
  const reported: unknown[] = [];
  const wrapped = reportingSignInFailures(provider, async (err) => void reported.push(err));
  assert.equal(wrapped.onDidChangeSessions, provider.onDidChangeSessions);
  assert.deepEqual(await wrapped.getSessions(undefined, {}), [session]);
  assert.equal(await wrapped.createSession(['ok'], {}), session);
  await assert.rejects(Promise.resolve(wrapped.createSession(['fail'], {})), (err: unknown) => err === failure);
  await wrapped.removeSession('s');
  assert.deepEqual(reported, [failure]);
  assert.deepEqual(calls, ['get', 'remove']);
});

test('a setting that cannot work is reported once from silent requests; challenge sign-ins every time', async () => {
  const { ConfigurationError } = await import('../../../src/vscode/user-errors.js');
  const misconfigured = new ConfigurationError('The issuer URL http://x cannot be used', 'msalSignIn.oidcProviders', 'unusableIssuer');
  const declined = new Error('access_denied');
  const provider = {
    onDidChangeSessions: (() => ({ dispose() {} })) as unknown as vscode.Event<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>,
    getSessions: async () => {
      throw misconfigured;
    },
    getSessionsFromChallenges: async () => {
      throw misconfigured;
    },
    createSession: async () => {
      throw declined;
    },
    createSessionFromChallenges: async () => {
      throw declined;
    },
    removeSession: async () => undefined,
  } as vscode.AuthenticationProvider;
  const reported: unknown[] = [];
  const wrapped = reportingSignInFailures(provider, async (err) => void reported.push(err));
  const constraint = { challenges: [], fallbackScopes: ['x'] };
  for (let call = 0; call < 3; call++) {
    await assert.rejects(Promise.resolve(wrapped.getSessions(['x'], {})), (err: unknown) => err === misconfigured);
    await assert.rejects(Promise.resolve(wrapped.getSessionsFromChallenges!(constraint, {})), (err: unknown) => err === misconfigured);
  }
  await assert.rejects(Promise.resolve(wrapped.createSessionFromChallenges!(constraint, {})), (err: unknown) => err === declined);
  await assert.rejects(Promise.resolve(wrapped.createSessionFromChallenges!(constraint, {})), (err: unknown) => err === declined);
  assert.deepEqual(reported, [misconfigured, declined, declined]);
});

test('a provider without challenge support is presented without it', () => {
  const provider = { onDidChangeSessions: undefined, getSessions: async () => [], createSession: async () => ({}), removeSession: async () => undefined } as unknown as vscode.AuthenticationProvider;
  const wrapped = reportingSignInFailures(provider, async () => undefined);
  assert.equal(wrapped.getSessionsFromChallenges, undefined);
  assert.equal(wrapped.createSessionFromChallenges, undefined);
});
