import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SessionScopes } from '../../../src/vscode/session-scopes.js';

const GRAPH_READ = 'https://graph.microsoft.com/User.Read';
const GRAPH_MAIL = 'https://graph.microsoft.com/Mail.Read';
const DEFAULTS = ['https://management.azure.com/.default'];

describe('SessionScopes.parse', () => {
  test('sorts, trims and removes duplicates and empty scopes', () => {
    const scopes = SessionScopes.parse([GRAPH_READ, ` ${GRAPH_MAIL} `, GRAPH_READ, '', '   ']);
    assert.deepEqual(scopes.requested, [GRAPH_MAIL, GRAPH_READ]);
    assert.deepEqual(scopes.resourceScopes, [GRAPH_MAIL, GRAPH_READ]);
    assert.equal(scopes.clientId, undefined);
    assert.equal(scopes.tenant, undefined);
  });

  test('takes VSCODE_CLIENT_ID: and VSCODE_TENANT: out of the resource scopes, keeping them in requested', () => {
    const scopes = SessionScopes.parse(['VSCODE_TENANT:contoso.onmicrosoft.com', GRAPH_READ, 'VSCODE_CLIENT_ID:my-client']);
    assert.equal(scopes.clientId, 'my-client');
    assert.equal(scopes.tenant, 'contoso.onmicrosoft.com');
    assert.deepEqual(scopes.resourceScopes, [GRAPH_READ]);
    assert.deepEqual(scopes.requested, ['VSCODE_CLIENT_ID:my-client', 'VSCODE_TENANT:contoso.onmicrosoft.com', GRAPH_READ]);
  });

  test('a modifier with an empty value is no override', () => {
    const scopes = SessionScopes.parse(['VSCODE_CLIENT_ID:', 'VSCODE_TENANT:', GRAPH_READ]);
    assert.equal(scopes.clientId, undefined);
    assert.equal(scopes.tenant, undefined);
    assert.deepEqual(scopes.resourceScopes, [GRAPH_READ]);
  });

  test('OpenID scopes in any case leave the resource scopes but stay in requested', () => {
    const scopes = SessionScopes.parse(['OpenID', 'profile', 'OFFLINE_ACCESS', 'Email', GRAPH_READ]);
    assert.deepEqual(scopes.resourceScopes, [GRAPH_READ]);
    assert.deepEqual(scopes.requested, ['Email', 'OFFLINE_ACCESS', 'OpenID', GRAPH_READ, 'profile']);
  });

  test('the defaults stand in when no resource scope remains', () => {
    assert.deepEqual(SessionScopes.parse(['openid', 'profile', 'offline_access', 'email'], DEFAULTS).resourceScopes, DEFAULTS);
    assert.deepEqual(SessionScopes.parse([], DEFAULTS).resourceScopes, DEFAULTS);
    assert.deepEqual(SessionScopes.parse(undefined, DEFAULTS).resourceScopes, DEFAULTS);
    const withModifiers = SessionScopes.parse(['VSCODE_CLIENT_ID:c', 'VSCODE_TENANT:t', 'openid'], DEFAULTS);
    assert.deepEqual(withModifiers.resourceScopes, DEFAULTS);
    assert.deepEqual(withModifiers.requested, ['VSCODE_CLIENT_ID:c', 'VSCODE_TENANT:t', 'openid']);
    assert.deepEqual(SessionScopes.parse(['openid']).resourceScopes, [], 'no defaults given: none');
  });

  test('scopes that differ only in case stay apart in requested, as VS Code compares them', () => {
    const scopes = SessionScopes.parse([GRAPH_READ, GRAPH_READ.toLowerCase(), 'openid', 'OpenID']);
    assert.deepEqual(scopes.requested, ['OpenID', GRAPH_READ, GRAPH_READ.toLowerCase(), 'openid']);
    assert.deepEqual(scopes.resourceScopes, [GRAPH_READ, GRAPH_READ.toLowerCase()]);
  });

  test('the defaults are copied, not shared', () => {
    const defaults = [...DEFAULTS];
    const scopes = SessionScopes.parse([], defaults);
    defaults.push('another');
    assert.deepEqual(scopes.resourceScopes, DEFAULTS);
  });

  test('does not change the array it was given', () => {
    const input = [GRAPH_READ, 'openid', GRAPH_MAIL];
    SessionScopes.parse(input);
    assert.deepEqual(input, [GRAPH_READ, 'openid', GRAPH_MAIL]);
  });
});

describe('SessionScopes.key', () => {
  test('the key is the same for the same scopes in another order, with duplicates', () => {
    const a = SessionScopes.parse(['VSCODE_TENANT:t', GRAPH_READ, 'openid', GRAPH_MAIL]);
    const b = SessionScopes.parse([GRAPH_MAIL, 'openid', GRAPH_READ, 'VSCODE_TENANT:t', GRAPH_MAIL]);
    assert.equal(a.key, b.key);
    assert.equal(a.key, `VSCODE_TENANT:t ${GRAPH_MAIL} ${GRAPH_READ}`);
  });

  test('the key differs for different scopes and modifiers, not for OpenID scopes', () => {
    assert.notEqual(SessionScopes.parse([GRAPH_READ]).key, SessionScopes.parse([GRAPH_MAIL]).key);
    assert.equal(SessionScopes.parse([GRAPH_READ]).key, SessionScopes.parse([GRAPH_READ, 'openid', 'Offline_Access']).key);
    assert.notEqual(SessionScopes.parse([GRAPH_READ]).key, SessionScopes.parse([GRAPH_READ, 'VSCODE_CLIENT_ID:other']).key);
    assert.notEqual(SessionScopes.parse([GRAPH_READ]).key, SessionScopes.parse([GRAPH_READ, 'VSCODE_TENANT:contoso']).key);
  });

});
