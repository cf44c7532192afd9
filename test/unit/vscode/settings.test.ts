import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLOUD_HOSTS, parseSettings, type CloudName, type ProviderConfig } from '../../../src/vscode/settings.js';

/** A settings reader over plain values, as `workspace.getConfiguration('msalSignIn').get` answers. */
function reader(values: Record<string, unknown> = {}): (key: string) => unknown {
  return (key) => (Object.hasOwn(values, key) ? values[key] : undefined);
}

function entraOf(values: Record<string, unknown> = {}): ProviderConfig {
  const provider = parseSettings(reader(values)).providers[0];
  assert.ok(provider);
  assert.equal(provider.id, 'entra');
  return provider;
}

function oidcOf(entries: unknown, values: Record<string, unknown> = {}) {
  const parsed = parseSettings(reader({ ...values, oidcProviders: entries }));
  return { oidc: parsed.providers.slice(1), problems: parsed.problems };
}

const KEYCLOAK = { id: 'keycloak', issuer: 'https://keycloak.example/realms/demo', clientId: 'vscode' };

describe('parseSettings: defaults', () => {
  test('nothing set: one Entra provider for organizations on AzureCloud, no problems', () => {
    const parsed = parseSettings(reader());
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.logPii, false);
    assert.equal(parsed.providers.length, 1);
    const entra = parsed.providers[0]!;
    assert.equal(entra.id, 'entra');
    assert.equal(entra.kind, 'entra');
    assert.equal(entra.label, 'Microsoft Entra ID');
    assert.equal(entra.clientId, '');
    assert.equal(entra.tenant, 'organizations');
    assert.equal(entra.authorityBase, 'https://login.microsoftonline.com');
    assert.equal(entra.authorityOverride, undefined);
    assert.equal(entra.issuer, undefined);
    assert.deepEqual(entra.defaultScopes, []);
    assert.equal(entra.preferredFlow, undefined);
    assert.equal(entra.allowLoopbackHttp, false);
  });

  test('the values of a fresh install (empty strings, empty arrays) read as the defaults', () => {
    const entra = entraOf({ 'entra.clientId': '', 'entra.tenant': '', 'entra.cloud': 'AzureCloud', 'entra.authority': '', 'entra.defaultScopes': [], oidcProviders: [] });
    assert.equal(entra.tenant, 'organizations');
    assert.equal(entra.authorityOverride, undefined);
    assert.equal(entra.authorityBase, 'https://login.microsoftonline.com');
  });

  test('Entra values are trimmed; default scopes keep only non-empty strings', () => {
    const entra = entraOf({
      'entra.clientId': ' 04b07795-8ddb-461a-bbee-02f9e1bf7b46 ',
      'entra.tenant': ' contoso.onmicrosoft.com ',
      'entra.defaultScopes': [' https://graph.microsoft.com/User.Read ', '', 42, null, 'https://graph.microsoft.com/Mail.Read'],
    });
    assert.equal(entra.clientId, '04b07795-8ddb-461a-bbee-02f9e1bf7b46');
    assert.equal(entra.tenant, 'contoso.onmicrosoft.com');
    assert.deepEqual(entra.defaultScopes, ['https://graph.microsoft.com/User.Read', 'https://graph.microsoft.com/Mail.Read']);
  });
});

describe('parseSettings: Entra clouds and authority', () => {
  const expected: Record<CloudName, string> = {
    AzureCloud: 'https://login.microsoftonline.com',
    AzureUSGovernment: 'https://login.microsoftonline.us',
    AzureChinaCloud: 'https://login.chinacloudapi.cn',
  };
  for (const [cloud, base] of Object.entries(expected)) {
    test(`${cloud} → ${base}`, () => {
      const parsed = parseSettings(reader({ 'entra.cloud': cloud }));
      assert.equal(parsed.providers[0]!.authorityBase, base);
      assert.deepEqual(parsed.problems, []);
    });
  }

  test('the table above covers every cloud the settings know', () => {
    assert.deepEqual(Object.keys(CLOUD_HOSTS).sort(), Object.keys(expected).sort());
  });

  test('an unknown cloud falls back to AzureCloud with a problem', () => {
    for (const cloud of ['AzureGermanCloud', 'azurecloud', 'toString', 'constructor', '__proto__']) {
      const parsed = parseSettings(reader({ 'entra.cloud': cloud }));
      assert.equal(parsed.providers[0]!.authorityBase, 'https://login.microsoftonline.com', cloud);
      assert.equal(parsed.problems.length, 1, cloud);
      assert.match(parsed.problems[0]!, /msalSignIn\.entra\.cloud/);
    }
  });

  test('an authority override is kept (trimmed) next to the cloud host and tenant', () => {
    const entra = entraOf({ 'entra.authority': ' https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin ', 'entra.tenant': 'contoso' });
    assert.equal(entra.authorityOverride, 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin');
    assert.equal(entra.authorityBase, 'https://login.microsoftonline.com');
    assert.equal(entra.tenant, 'contoso');
  });
});

describe('parseSettings: OIDC providers', () => {
  test('a valid entry: issuer without trailing slash, label defaulting to the id, flow and scopes kept', () => {
    const { oidc, problems } = oidcOf([{ ...KEYCLOAK, issuer: 'https://keycloak.example/realms/demo//', scopes: ['api.read', ' '], flow: 'deviceCode' }]);
    assert.deepEqual(problems, []);
    assert.equal(oidc.length, 1);
    const provider = oidc[0]!;
    assert.equal(provider.id, 'keycloak');
    assert.equal(provider.kind, 'oidc');
    assert.equal(provider.label, 'keycloak');
    assert.equal(provider.clientId, 'vscode');
    assert.equal(provider.issuer, 'https://keycloak.example/realms/demo');
    assert.deepEqual(provider.defaultScopes, ['api.read']);
    assert.equal(provider.preferredFlow, 'deviceCode');
    assert.equal(provider.allowLoopbackHttp, false);
    assert.equal(provider.tenant, undefined);
    assert.equal(provider.authorityBase, undefined);
  });

  test('a label, when given, is used; a blank one falls back to the id', () => {
    const { oidc } = oidcOf([
      { ...KEYCLOAK, label: 'Keycloak (demo)' },
      { ...KEYCLOAK, id: 'other', label: '   ' },
    ]);
    assert.deepEqual(
      oidc.map((p) => p.label),
      ['Keycloak (demo)', 'other'],
    );
  });

  test('an unknown flow in an entry is ignored', () => {
    const { oidc, problems } = oidcOf([{ ...KEYCLOAK, flow: 'implicit' }]);
    assert.deepEqual(problems, []);
    assert.equal(oidc[0]!.preferredFlow, undefined);
  });

  test('invalid entries are skipped with one problem each; the valid ones stay', () => {
    const entries = [
      'keycloak',
      null,
      42,
      { ...KEYCLOAK, id: 'Bad Id' },
      { ...KEYCLOAK, id: '' },
      { ...KEYCLOAK, id: undefined },
      { ...KEYCLOAK, id: '-starts-with-dash' },
      { ...KEYCLOAK, id: 'x'.repeat(65) },
      { ...KEYCLOAK, id: 'entra' },
      { ...KEYCLOAK, id: 'github' },
      { ...KEYCLOAK, id: 'microsoft' },
      KEYCLOAK,
      { ...KEYCLOAK, issuer: 'https://elsewhere.example' },
      { ...KEYCLOAK, id: 'no-url', issuer: 'keycloak.example/realms/demo' },
      { ...KEYCLOAK, id: 'ftp', issuer: 'ftp://keycloak.example' },
      { ...KEYCLOAK, id: 'no-host', issuer: 'https://' },
      { ...KEYCLOAK, id: 'no-issuer', issuer: undefined },
      { ...KEYCLOAK, id: 'second' },
    ];
    const { oidc, problems } = oidcOf(entries);
    assert.deepEqual(
      oidc.map((p) => p.id),
      ['keycloak', 'second'],
    );
    assert.equal(problems.length, entries.length - 2, problems.join('\n'));
    const problemIndexes = problems.map((problem) => Number(/^msalSignIn\.oidcProviders\[(\d+)\]: /.exec(problem)?.[1]));
    assert.deepEqual(
      problemIndexes,
      entries.map((_, index) => index).filter((index) => index !== 11 && index !== 17),
    );
    assert.match(problems[0]!, /not an object/);
    assert.match(problems[8]!, /built-in provider id/);
    assert.match(problems[11]!, /"keycloak" is used twice/);
    assert.match(problems[12]!, /"issuer"/);
  });

  test('an id is accepted up to 64 characters with lower-case letters, digits, dot, underscore and dash', () => {
    const ids = ['a', '0', 'my.idp_1-x', 'x'.repeat(64)];
    const { oidc, problems } = oidcOf(ids.map((id) => ({ ...KEYCLOAK, id })));
    assert.deepEqual(problems, []);
    assert.deepEqual(
      oidc.map((p) => p.id),
      ids,
    );
  });

  test('oidcProviders that is not an array gives no providers and no crash', () => {
    for (const value of [undefined, null, 'x', { 0: KEYCLOAK }]) {
      const { oidc } = oidcOf(value);
      assert.deepEqual(oidc, []);
    }
  });
});

describe('parseSettings: shared switches', () => {
  test('preferredFlow goes to Entra and to OIDC providers that set no flow of their own', () => {
    const parsed = parseSettings(
      reader({
        preferredFlow: 'uriHandler',
        oidcProviders: [KEYCLOAK, { ...KEYCLOAK, id: 'own', flow: 'loopback' }],
      }),
    );
    assert.deepEqual(
      parsed.providers.map((p) => [p.id, p.preferredFlow]),
      [
        ['entra', 'uriHandler'],
        ['keycloak', 'uriHandler'],
        ['own', 'loopback'],
      ],
    );
  });

  test('an unknown preferredFlow is ignored', () => {
    const parsed = parseSettings(reader({ preferredFlow: 'implicit', oidcProviders: [KEYCLOAK] }));
    assert.deepEqual(
      parsed.providers.map((p) => p.preferredFlow),
      [undefined, undefined],
    );
  });

  test('logPii is on only for true', () => {
    assert.equal(parseSettings(reader({ logPii: true })).logPii, true);
    for (const value of [false, 'true', 1, undefined]) assert.equal(parseSettings(reader({ logPii: value })).logPii, false, String(value));
  });

  test('allowLoopbackHttp (only true) reaches every provider', () => {
    const on = parseSettings(reader({ allowLoopbackHttp: true, oidcProviders: [{ ...KEYCLOAK, issuer: 'http://127.0.0.1:3000/' }] }));
    assert.deepEqual(
      on.providers.map((p) => p.allowLoopbackHttp),
      [true, true],
    );
    assert.equal(on.providers[1]!.issuer, 'http://127.0.0.1:3000');
    const off = parseSettings(reader({ allowLoopbackHttp: 'yes', oidcProviders: [KEYCLOAK] }));
    assert.deepEqual(
      off.providers.map((p) => p.allowLoopbackHttp),
      [false, false],
    );
  });
});
