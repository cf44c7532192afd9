import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as vscode from 'vscode';
import { reportingSignInFailures } from '../../../src/vscode/report-errors.js';

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
