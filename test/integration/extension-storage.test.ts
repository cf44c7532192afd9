/**
 * The extension activated in plain Node (test/support/vscode stands in for `vscode`) over a
 * SecretStorage holding an unreadable token cache: activation succeeds, the user is told once
 * however often the cache is read, the unreadable value is kept aside, other keys are left
 * alone, and a real sign-in at the local IdP then works and replaces the unreadable value.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as vscodeTypes from 'vscode';
import { completeAuthorization } from '../idp/headless-login.js';
import { ACCOUNTS, DEMO_API_SCOPES, type Idp, PUBLIC_CLIENT_ID, startIdp } from '../idp/server.js';
import { FakeSecrets } from '../support/fake-secrets.js';
import '../support/vscode/register.js';
import { activateWithStub } from '../support/activate-extension.js';
import { stub } from '../support/vscode/stub.js';

const LOCAL_KEY = 'msalSignIn.tokenCache.local';
const ENTRA_KEY = 'msalSignIn.tokenCache.entra';
/** Unreadable, and shaped like a leak: it must not reach the log or a message. */
const CORRUPT = '{"RefreshToken": {"k": {"secret": "corrupt-refresh-token-value"';

describe('activation over unreadable stored data', () => {
  let idp: Idp;
  let storageDir: string;
  const secrets = new FakeSecrets();
  const subscriptions: { dispose(): unknown }[] = [];
  /** The provider as registered with VS Code. */
  let provider: vscodeTypes.AuthenticationProvider;
  let setUi: (ui: unknown) => void;

  before(async () => {
    idp = await startIdp();
    storageDir = mkdtempSync(join(tmpdir(), 'msal-signin-storage-'));
    stub.reset();
    stub.settings.set('msalSignIn.allowLoopbackHttp', true);
    stub.settings.set('msalSignIn.preferredFlow', 'loopback');
    stub.settings.set('msalSignIn.oidcProviders', [
      { id: 'local', label: 'Local IdP', issuer: idp.urls.oidcIssuer, clientId: PUBLIC_CLIENT_ID, scopes: [DEMO_API_SCOPES.read] },
    ]);
    secrets.values.set(LOCAL_KEY, CORRUPT);
    secrets.values.set(ENTRA_KEY, '{"Account": {}}');
    secrets.values.set('another.extension.secret', 'not ours');
    const api = await activateWithStub({ secrets, storageDir, subscriptions });
    setUi = api.testing!.setUi as (ui: unknown) => void;
    provider = stub.providers.get('local') as typeof provider;
  });
  after(async () => {
    for (const subscription of subscriptions) subscription.dispose();
    delete process.env.MSAL_SIGNIN_TEST_HOOKS;
    rmSync(storageDir, { recursive: true, force: true });
    await idp.close();
  });

  it('activates and registers every provider', () => {
    assert.ok(provider, 'the local provider is registered');
    assert.ok(stub.providers.has('entra'));
    assert.deepEqual(secrets.stores, [], 'activation reads and writes nothing');
  });

  it('reads of an unreadable cache find no session; the user is told once; the value is kept aside', async () => {
    for (let i = 0; i < 3; i++) assert.deepEqual(await provider.getSessions(undefined, {}), []);
    const warnings = stub.messages.filter((message) => message.severity === 'warning');
    assert.equal(warnings.length, 1, `told once: ${JSON.stringify(warnings)}`);
    assert.match(warnings[0]!.message, /Local IdP could not be read/);
    assert.equal(stub.logLines.filter((line) => line.includes('unreadable')).length, 1);
    assert.equal(secrets.values.get(`${LOCAL_KEY}.unreadable`), CORRUPT, 'set aside, not lost');
    assert.equal(secrets.values.get(LOCAL_KEY), CORRUPT, 'the original stays until a sign-in replaces it');
    assert.equal(secrets.values.get(ENTRA_KEY), '{"Account": {}}');
    assert.equal(secrets.values.get('another.extension.secret'), 'not ours');
    const shown = [...stub.logLines, ...stub.messages.map((message) => message.message)].join('\n');
    assert.ok(!shown.includes('corrupt-refresh-token-value'), 'the unreadable value is neither logged nor shown');
  });

  it('a sign-in then works and replaces the unreadable value; the backup and other keys stay', async () => {
    setUi({
      openUri: async (url: string) => {
        const redirect = await completeAuthorization(url, { account: 'alice' });
        await (await fetch(redirect)).text();
        return true;
      },
      showDeviceCode: async () => false,
    });
    const session = await provider.createSession([DEMO_API_SCOPES.read], {});
    assert.equal(session.account.label, ACCOUNTS.alice.email);
    const stored = JSON.parse(secrets.values.get(LOCAL_KEY)!) as { Account: Record<string, unknown> };
    assert.equal(Object.keys(stored.Account).length, 1);
    assert.equal(secrets.values.get(`${LOCAL_KEY}.unreadable`), CORRUPT);
    assert.equal(secrets.values.get(ENTRA_KEY), '{"Account": {}}');
    assert.equal(secrets.values.get('another.extension.secret'), 'not ours');
    assert.equal((await provider.getSessions([DEMO_API_SCOPES.read], {})).length, 1);
    assert.equal(stub.messages.filter((message) => message.severity === 'warning').length, 1, 'still told only once');
    // The extension's log, at every level, holds none of the tokens this sign-in stored.
    const cached = JSON.parse(secrets.values.get(LOCAL_KEY)!) as Record<string, Record<string, { secret?: string }>>;
    const tokens = Object.values(cached).flatMap((section) => Object.values(section).map((entry) => entry.secret)).filter((secret) => typeof secret === 'string');
    assert.ok(tokens.length >= 3, 'access, refresh and ID tokens were stored');
    assert.ok(stub.logLines.length > 0);
    for (const token of [session.accessToken, ...tokens]) assert.ok(!stub.logLines.some((line) => line.includes(token!)), 'a token is in the log');
  });
});
