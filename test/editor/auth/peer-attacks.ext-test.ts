/// <reference types="mocha" />
/**
 * A signed-in editor under attack by a process of the same user that is not a window (phase
 * `peer-attacks`, driven by test/editor/peer-attacks.test.ts). The window's role comes from its
 * workspace folder: `attacked-window` signs in, waits while the attacker tries to read and inject
 * through the window channel, then proves nothing changed and refreshes (a broadcast the
 * attacker's listener must not receive); `reloaded-window` opens afterwards (the attacker's
 * listener answers its catch-up with a forged cache) and proves it still holds exactly the cache
 * the first window stored. The stored cache is compared byte for byte.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { ACCOUNTS } from '../../idp/accounts.js';
import { introspect, scriptedUser, signInApi, testEnvironment } from './context.js';

const READ = ['api://demo/read'];
const env = testEnvironment();
const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
const role = basename(folder);
/** Where the first window leaves the hash of what it stored (never the cache itself). */
const HASH_FILE = join(dirname(folder), 'stored-cache.sha256');

async function barrier(name: string): Promise<void> {
  const response = await fetch(`${env.coordinator}/barrier/${name}`);
  assert.equal(response.status, 200, await response.text());
}

const sha256 = (text: string | undefined) => createHash('sha256').update(text ?? '<none>').digest('hex');

async function accountLabels(): Promise<string[]> {
  return (await vscode.authentication.getAccounts('entra')).map((account) => account.label).sort();
}

suite('the window channel under attack', function () {
  if (env.phase !== 'peer-attacks') return;

  test(`${role}: the channel is open in code-server`, async () => {
    const api = await signInApi();
    assert.ok(api.testing.peerChannel, 'code-server windows do not share SecretStorage: the channel must open');
  });

  if (role === 'attacked-window') {
    test('attacked-window: read, inject and listen change nothing and reveal nothing', async () => {
      const api = await signInApi();
      scriptedUser(api, 'alice');
      const signedIn = await api.getSession({ providerId: 'entra', scopes: READ, interactive: true, flow: 'deviceCode' });
      assert.equal(signedIn?.account.label, ACCOUNTS.alice.email);
      const before = await api.testing.storedTokenCache('entra');
      assert.ok(before && before.includes('RefreshToken'));
      let sessionEvents = 0;
      const subscription = vscode.authentication.onDidChangeSessions((event) => {
        if (event.provider.id === 'entra') sessionEvents += 1;
      });

      await barrier('signed-in'); // the attacker reads and injects now
      await barrier('attacked');

      assert.equal(await api.testing.storedTokenCache('entra'), before, 'the stored cache is byte-identical');
      assert.deepEqual(await accountLabels(), [ACCOUNTS.alice.email], 'no account appeared or disappeared');
      const silent = await api.getSession({ providerId: 'entra', scopes: READ });
      assert.equal(silent?.accessToken, signedIn!.accessToken, 'the same session, not a forged token');
      assert.equal(sessionEvents, 0, 'no session changed');
      subscription.dispose();

      // A refresh rotates the refresh token and is broadcast: the attacker's listeners must get nothing.
      const refreshed = await api.getSession({ providerId: 'entra', scopes: READ, forceRefresh: true });
      assert.equal((await introspect(env, refreshed!.accessToken)).active, true);
      const stored = await api.testing.storedTokenCache('entra');
      assert.notEqual(stored, before, 'the refresh was stored');
      writeFileSync(HASH_FILE, sha256(stored));
      await barrier('refreshed');
    });
  }

  if (role === 'reloaded-window') {
    test('reloaded-window: the forged catch-up answer is not adopted; the stored cache is the one the first window wrote', async () => {
      const api = await signInApi();
      const expected = readFileSync(HASH_FILE, 'utf8');
      assert.equal(sha256(await api.testing.storedTokenCache('entra')), expected, 'byte-identical to what the first window stored');
      assert.deepEqual(await accountLabels(), [ACCOUNTS.alice.email]);
      const session = await api.getSession({ providerId: 'entra', scopes: READ });
      assert.equal(session?.account.label, ACCOUNTS.alice.email);
      assert.equal((await introspect(env, session!.accessToken)).active, true, 'a real token of the identity provider');
      await barrier('reloaded'); // the attacker reads and injects against this window too
      await barrier('attacked-again');
      assert.equal(sha256(await api.testing.storedTokenCache('entra')), expected);
      assert.deepEqual(await accountLabels(), [ACCOUNTS.alice.email]);
      assert.equal((await api.getSession({ providerId: 'entra', scopes: READ }))?.accessToken, session!.accessToken);
    });
  }
});
