/**
 * The applications of a provider: a `"dpop": true` entry gets a DPoP application of its
 * configured client beside the Bearer one (never the same object, so their tokens never mix); a
 * client named by a scope modifier, or an entry without the setting, stays Bearer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryDpopKeyStore, SerializableTokenCache } from '../../../src/core/index.js';
import type { ProviderConfig } from '../../../src/vscode/settings.js';
import { editorPlatform } from '../../../src/vscode/platform.js';
import { quietLogger } from '../../support/provider-dependencies.js';
import '../../support/vscode/register.js';

const { ProviderApps } = await import('../../../src/vscode/provider-apps.js');
const { SessionScopes } = await import('../../../src/vscode/session-scopes.js');

const CONFIG: ProviderConfig = { id: 'dp', label: 'DP', kind: 'oidc', clientId: 'client', issuer: 'https://idp.example', defaultScopes: [], allowLoopbackHttp: false };
const core = { httpClient: async () => new Response(null, { status: 404 }), platform: editorPlatform, logger: quietLogger, logPii: false };

describe('ProviderApps', () => {
  const configured = SessionScopes.parse(['api.read']);
  const otherClient = SessionScopes.parse(['api.read', 'VSCODE_CLIENT_ID:other']);

  test('"dpop": true: a DPoP application beside the Bearer one, made once; a scope modifier\'s client is Bearer', () => {
    const apps = new ProviderApps({ ...CONFIG, dpop: true }, new SerializableTokenCache(), core, new MemoryDpopKeyStore());
    const bearer = apps.for(configured);
    const dpop = apps.for(configured, { dpop: true });
    assert.notEqual(dpop, bearer);
    assert.equal(apps.for(configured, { dpop: true }), dpop);
    assert.equal(apps.usesDpop(configured), true);
    assert.equal(apps.usesDpop(otherClient), false);
    assert.equal(apps.for(otherClient, { dpop: true }), apps.for(otherClient));
  });

  test('without the setting, or without a key store, { dpop: true } is the Bearer application', () => {
    const plain = new ProviderApps(CONFIG, new SerializableTokenCache(), core, new MemoryDpopKeyStore());
    assert.equal(plain.for(configured, { dpop: true }), plain.for(configured));
    const keyless = new ProviderApps({ ...CONFIG, dpop: true }, new SerializableTokenCache(), core);
    assert.equal(keyless.usesDpop(configured), false);
    assert.equal(keyless.for(configured, { dpop: true }), keyless.for(configured));
  });
});
