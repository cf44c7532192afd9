/** Where the cross-window channel opens: only where windows do not share SecretStorage. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decidePeerChannel, type PeerEnvironment } from '../../../src/vscode/peer-gating.js';

// [what, uiKind, remoteName, appHost, extension host, Node, opens]
const TABLE: [string, PeerEnvironment['uiKind'], string | undefined, string, PeerEnvironment['extensionHost'], boolean, boolean][] = [
  ['desktop, local window', 'desktop', undefined, 'desktop', 'local', true, false],
  ['desktop, remote SSH', 'desktop', 'ssh-remote', 'desktop', 'remote', true, false],
  ['desktop, WSL', 'desktop', 'wsl', 'desktop', 'remote', true, false],
  ['desktop, dev container', 'desktop', 'dev-container', 'desktop', 'remote', true, false],
  ['desktop, tunnel', 'desktop', 'tunnel', 'desktop', 'remote', true, false],
  ['desktop, remote window, extension forced into the local host', 'desktop', 'ssh-remote', 'desktop', 'local', true, false],
  ['code-server, server Node host', 'web', 'localhost:8080', 'web', 'remote', true, true],
  ['Codespaces in a browser, server Node host', 'web', 'codespaces', 'codespaces', 'remote', true, true],
  ['code serve-web, server Node host', 'web', '127.0.0.1:8000', 'web', 'remote', true, true],
  ['code-server, extension in the web worker (BroadcastChannel)', 'web', 'localhost:8080', 'web', 'webWorker', false, true],
  ['vscode.dev / github.dev, no server (BroadcastChannel)', 'web', undefined, 'vscode.dev', 'webWorker', false, true],
  ['desktop VS Code running the web worker host', 'desktop', undefined, 'desktop', 'webWorker', false, false],
  ['a browser workbench without a server, Node somehow present', 'web', undefined, 'web', 'local', true, false],
  ['contradictory: web UI claiming the desktop app host', 'web', 'localhost:8080', 'desktop', 'remote', true, false],
];

describe('decidePeerChannel', () => {
  for (const [what, uiKind, remoteName, appHost, extensionHost, hasNode, opens] of TABLE) {
    test(`${what}: ${opens ? 'opens' : 'stays closed'}`, () => {
      const decision = decidePeerChannel({ uiKind, remoteName, appHost, extensionHost, hasNode });
      assert.equal(decision.open, opens);
      assert.ok(decision.reason.length > 0);
    });
  }
});
