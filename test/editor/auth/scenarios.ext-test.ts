/// <reference types="mocha" />
/**
 * Scenarios that span editor runs, driven by test/editor/scenarios.test.ts through
 * MSAL_TEST_ENV's `phase`: `restart-before` / `restart-after` are the same editor (same origin,
 * same browser profile) before and after a restart of code-server.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ACCOUNTS } from '../../idp/accounts.js';
import { scriptedUser, signInApi, testEnvironment, tokenRequestCount } from './context.js';

const READ = ['api://demo/read'];
const env = testEnvironment();

async function entraAccounts(): Promise<string[]> {
  return (await vscode.authentication.getAccounts('entra')).map((account) => account.label);
}

suite('restart, before', function () {
  if (env.phase !== 'restart-before') return;

  test('signs in; the tokens go to SecretStorage', async () => {
    const api = await signInApi();
    scriptedUser(api, 'alice');
    const session = await api.getSession({ providerId: 'entra', scopes: READ, interactive: true, flow: 'deviceCode' });
    assert.equal(session?.account.label, ACCOUNTS.alice.email);
  });
});

suite('restart, after', function () {
  if (env.phase !== 'restart-after') return;

  test('the account and its valid token survive the restart, served without a request', async () => {
    const api = await signInApi();
    const before = await tokenRequestCount(env);
    assert.deepEqual(await entraAccounts(), [ACCOUNTS.alice.email]);
    const session = await api.getSession({ providerId: 'entra', scopes: READ });
    assert.equal(session?.account.label, ACCOUNTS.alice.email);
    assert.equal(await tokenRequestCount(env), before);
  });
});
