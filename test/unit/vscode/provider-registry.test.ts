/**
 * The provider registry over the `vscode` stand-in (test/support/vscode): settings changes
 * re-register only the providers they concern, and a starting provider catches up with the
 * other windows before its first use.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import '../../support/vscode/register.js';
import { FakeSecrets } from '../../support/fake-secrets.js';
import { stub } from '../../support/vscode/stub.js';

const { ProviderRegistry } = await import('../../../src/vscode/provider-registry.js');
const { PeerTopics } = await import('../../../src/vscode/peer-link.js');
const { parseSettings } = await import('../../../src/vscode/settings.js');
const vscode = await import('vscode');

const KEYCLOAK = { id: 'keycloak', label: 'Keycloak', issuer: 'https://keycloak.example/realms/dev', clientId: 'vscode' };

function settings(values: Record<string, unknown>) {
  return parseSettings((key) => values[key]);
}

describe('ProviderRegistry', () => {
  let broadcasts: Record<string, unknown>[];
  /** The providers a cross-window lock was made for. */
  let locked: string[];
  let peers: InstanceType<typeof PeerTopics>;
  let registry: InstanceType<typeof ProviderRegistry>;
  /** Whether a cache answers the other windows' messages of `topic` (the registry holds one for it). */
  const answers = async (topic: string) => (await peers.deliver({ kind: 'cache-state', topic })) !== undefined;

  beforeEach(() => {
    stub.reset();
    broadcasts = [];
    locked = [];
    peers = new PeerTopics();
    peers.connect({ broadcast: async (message) => (broadcasts.push(message), []) });
    registry = new ProviderRegistry({
      secrets: new FakeSecrets(),
      lockFor: (providerId) => (locked.push(providerId), { run: (work) => work() }),
      peers,
      log: vscode.window.createOutputChannel('test', { log: true }),
      shared: {} as never, // no sign-in happens here
    });
  });

  test('registers what the settings describe; each new store asks the other windows first', async () => {
    const changes: (readonly string[])[] = [];
    registry.onDidChange((ids) => changes.push(ids));
    await registry.apply(settings({ 'entra.clientId': 'app', oidcProviders: [KEYCLOAK] }));
    assert.deepEqual([...stub.providers.keys()], ['entra', 'keycloak']);
    assert.deepEqual(registry.providers.map((provider) => provider.config.id), ['entra', 'keycloak']);
    assert.deepEqual(changes, [['entra', 'keycloak']]);
    assert.deepEqual(
      broadcasts.map((message) => [message.kind, message.topic]),
      [
        ['cache-state', 'msalSignIn.tokenCache.entra'],
        ['cache-state', 'msalSignIn.tokenCache.keycloak'],
      ],
    );
    assert.ok(await answers('msalSignIn.tokenCache.keycloak'));
    assert.deepEqual(locked, ['entra', 'keycloak'], 'each cache has its own lock');
    registry.dispose();
    assert.deepEqual([...stub.providers.keys()], [], 'dispose unregisters everything');
  });

  test('a change re-registers only the provider it concerns; a removed one is unregistered', async () => {
    await registry.apply(settings({ 'entra.clientId': 'app', oidcProviders: [KEYCLOAK] }));
    const [entra, keycloak] = registry.providers;
    broadcasts.length = 0;

    await registry.apply(settings({ 'entra.clientId': 'app', oidcProviders: [KEYCLOAK] }));
    assert.equal(stub.registrations, 2, 'the same settings register nothing again');
    assert.deepEqual(registry.providers, [entra, keycloak]);

    await registry.apply(settings({ 'entra.clientId': 'app', oidcProviders: [{ ...KEYCLOAK, clientId: 'another' }] }));
    assert.equal(registry.providers[0], entra, 'entra untouched');
    assert.notEqual(registry.providers[1], keycloak, 'keycloak registered anew');
    assert.equal(registry.providers[1]!.config.clientId, 'another');
    assert.equal(stub.providers.get('keycloak') !== undefined, true);
    assert.deepEqual(broadcasts.map((message) => message.topic), ['msalSignIn.tokenCache.keycloak']);

    await registry.apply(settings({ 'entra.clientId': 'app', oidcProviders: [] }));
    assert.deepEqual([...stub.providers.keys()], ['entra']);
    assert.equal(await answers('msalSignIn.tokenCache.keycloak'), false);
    assert.ok(await answers('msalSignIn.tokenCache.entra'));
    registry.dispose();
  });

  test('turning PII logging on re-registers every provider with it', async () => {
    await registry.apply(settings({ 'entra.clientId': 'app' }));
    const [before] = registry.providers;
    await registry.apply(settings({ 'entra.clientId': 'app', logPii: true }));
    assert.notEqual(registry.providers[0], before);
    registry.dispose();
  });
});
