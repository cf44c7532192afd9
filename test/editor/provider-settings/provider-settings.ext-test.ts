/// <reference types="mocha" />
/**
 * A provider entry with the settings real identity providers need, in a real editor: a fixed
 * loopback `redirectUri` and `authorizationParameters`. The sign-in runs through the extension's
 * loopback flow in code-server's extension host; the harness (provider-settings.test.ts) then
 * checks at the identity provider what arrived. A fixed port another program holds fails with the
 * typed error whose message names the port and the setting.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ACCOUNTS } from '../../idp/accounts.js';
import { introspect, scriptedUser, signInApi, testEnvironment } from '../auth/context.js';

const READ = ['api://demo/read'];
const env = testEnvironment();
/** Set by the harness: the entries it configured and the port it holds. */
const fixture = JSON.parse(process.env.PROVIDER_SETTINGS_FIXTURE ?? '{}') as { redirectUri: string; audience: string; busyPort: number };

suite('provider settings in the editor', () => {
  test('a provider with a fixed redirectUri and authorizationParameters signs in through the loopback flow', async () => {
    const api = await signInApi();
    assert.ok(api.providerIds.includes('fixed-port'), `registered: ${api.providerIds.join(', ')}`);
    const user = scriptedUser(api, 'alice');
    const session = await api.getSession({ providerId: 'fixed-port', scopes: READ, interactive: true, forceNewSession: true, flow: 'loopback' });
    assert.equal(session?.account.label, ACCOUNTS.alice.email);
    assert.equal((await introspect(env, session!.accessToken)).active, true);
    const opened = new URL(user.opened[0]!);
    assert.equal(opened.searchParams.get('redirect_uri'), fixture.redirectUri);
    assert.equal(opened.searchParams.get('audience'), fixture.audience);
    assert.deepEqual((await vscode.authentication.getAccounts('fixed-port')).map((account) => account.label), [ACCOUNTS.alice.email]);
  });

  test('a fixed port another program holds: a typed error naming the port, no browser opened', async () => {
    const api = await signInApi();
    const user = scriptedUser(api, 'alice');
    const err = await api.getSession({ providerId: 'busy-port', scopes: READ, interactive: true, forceNewSession: true, flow: 'loopback' }).then(
      () => assert.fail('expected the port to be refused'),
      (e: unknown) => e as Error & { port?: number; code?: string },
    );
    assert.equal(err.name, 'LoopbackPortInUseError');
    assert.equal(err.code, 'network_error');
    assert.equal(err.port, fixture.busyPort);
    assert.deepEqual(user.opened, []);
  });
});
