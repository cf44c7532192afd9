/// <reference types="mocha" />
/**
 * Two windows of one editor, each running this suite in its own extension host (phase
 * `two-windows`, driven by test/editor/scenarios.test.ts). The window's role comes from its
 * workspace folder (`window-a` or `window-b`); the windows meet at barriers of the harness.
 * Proves that a sign-in, a refresh-token rotation race and a sign-out in one window leave the
 * other in step and signed in.
 */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { ACCOUNTS } from '../../idp/accounts.js';
import { introspect, scriptedUser, signInApi, testEnvironment, tokenRequestCount } from './context.js';

const READ = ['api://demo/read'];
const env = testEnvironment();
const role = basename(vscode.workspace.workspaceFolders?.[0]?.uri.path ?? '');

/** Waits until every window of the scenario reached `name`. */
async function barrier(name: string): Promise<void> {
  const response = await fetch(`${env.coordinator}/barrier/${name}`);
  assert.equal(response.status, 200, await response.text());
}

async function entraAccounts(): Promise<string[]> {
  return (await vscode.authentication.getAccounts('entra')).map((account) => account.label);
}

/** Resolves when the accounts of `entra` equal `expected`: now, or at a session change within the bound. */
function accountsBecome(expected: string[], timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      subscription.dispose();
      if (error) reject(error);
      else resolve();
    };
    const check = () =>
      entraAccounts().then(
        (labels) => {
          if (JSON.stringify(labels) === JSON.stringify(expected)) finish();
        },
        (err: Error) => finish(err),
      );
    const timer = setTimeout(() => void entraAccounts().then((labels) => finish(new Error(`accounts stayed ${JSON.stringify(labels)}, expected ${JSON.stringify(expected)}`))), timeoutMs);
    const subscription = vscode.authentication.onDidChangeSessions((event) => {
      if (event.provider.id === 'entra') void check();
    });
    void check();
  });
}

suite('two windows of one editor', function () {
  if (env.phase !== 'two-windows') return;

  test(`${role}: a sign-in in window A shows in window B, served from A's tokens`, async () => {
    const api = await signInApi();
    if (role === 'window-a') {
      scriptedUser(api, 'alice');
      const session = await api.getSession({ providerId: 'entra', scopes: READ, interactive: true, flow: 'deviceCode' });
      assert.equal(session?.account.label, ACCOUNTS.alice.email);
      await barrier('signed-in');
    } else {
      await barrier('signed-in');
      await accountsBecome([ACCOUNTS.alice.email]);
      const before = await tokenRequestCount(env);
      const session = await api.getSession({ providerId: 'entra', scopes: READ });
      assert.equal(session?.account.label, ACCOUNTS.alice.email);
      assert.equal(await tokenRequestCount(env), before, "window A's access token, no request");
    }
  });

  test(`${role}: both windows refresh at once; the rotated refresh token is never replayed`, async () => {
    const api = await signInApi();
    for (const round of [1, 2, 3]) {
      await barrier(`race-${round}`);
      const session = await api.getSession({ providerId: 'entra', scopes: READ, forceRefresh: true });
      assert.equal(session?.account.label, ACCOUNTS.alice.email, `round ${round}`);
      await barrier(`raced-${round}`);
      // A replayed refresh token would have revoked the grant and every token of it.
      assert.equal((await introspect(env, session!.accessToken)).active, true, `round ${round}: token still active`);
    }
  });

  test(`${role}: a sign-out in window A shows in window B`, async () => {
    const api = await signInApi();
    if (role === 'window-a') {
      const [account] = await vscode.authentication.getAccounts('entra');
      await api.signOut('entra', account!.id);
      assert.deepEqual(await entraAccounts(), []);
      await barrier('signed-out');
    } else {
      await barrier('signed-out');
      await accountsBecome([]);
      assert.equal(await api.getSession({ providerId: 'entra', scopes: READ }), undefined);
    }
  });
});
