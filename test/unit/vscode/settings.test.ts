import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { CLOUD_HOSTS, OWNED_AUTHORIZATION_PARAMETERS, parseLoopbackRedirect, parseSettings, signsInAtEntra, type CloudName, type ProviderConfig } from '../../../src/vscode/settings.js';

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

describe('signsInAtEntra: which providers sign in at Microsoft Entra ID', () => {
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  test('the built-in provider, whatever its authority', () => {
    assert.equal(signsInAtEntra(entraOf()), true);
    assert.equal(signsInAtEntra(entraOf({ 'entra.authority': 'http://127.0.0.1:5380/oidc' })), true);
  });

  const cases: [string, boolean][] = [
    [`https://login.microsoftonline.com/${TENANT}/v2.0`, true],
    ['https://login.microsoftonline.com/organizations/v2.0', true],
    [`https://login.microsoftonline.us/${TENANT}/v2.0`, true],
    [`https://login.partner.microsoftonline.cn/${TENANT}/v2.0`, true],
    [`https://login.chinacloudapi.cn/${TENANT}/v2.0`, true],
    [`https://sts.windows.net/${TENANT}/`, true],
    [`https://LOGIN.MicrosoftOnline.com/${TENANT}/v2.0`, true],
    [`https://contoso.ciamlogin.com/${TENANT}/v2.0`, true],
    ['https://keycloak.example/realms/demo', false],
    ['https://login.microsoftonline.com.example/tenant/v2.0', false],
    ['https://ciamlogin.com.example/tenant', false],
  ];
  for (const [issuer, expected] of cases) {
    test(`an oidcProviders entry with the issuer ${issuer}: ${expected}`, () => {
      const { oidc, problems } = oidcOf([{ ...KEYCLOAK, issuer }]);
      assert.deepEqual(problems, []);
      assert.equal(signsInAtEntra(oidc[0]!), expected);
    });
  }
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

  test('"dpop": true is kept; anything else is no DPoP', () => {
    const { oidc } = oidcOf([
      { ...KEYCLOAK, dpop: true },
      { ...KEYCLOAK, id: 'string', dpop: 'true' },
      { ...KEYCLOAK, id: 'none' },
    ]);
    assert.deepEqual(
      oidc.map((p) => p.dpop),
      [true, undefined, undefined],
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

describe('parseSettings: a fixed loopback redirect URI (redirectUri)', () => {
  const accepted: [string, { host: string; port: number; path: string }][] = [
    ['http://127.0.0.1:8400/', { host: '127.0.0.1', port: 8400, path: '/' }],
    ['http://127.0.0.1:8400', { host: '127.0.0.1', port: 8400, path: '' }],
    ['http://localhost:8400/oauth2/callback', { host: 'localhost', port: 8400, path: '/oauth2/callback' }],
    ['http://[::1]:65535/cb', { host: '[::1]', port: 65535, path: '/cb' }],
    ['  http://127.0.0.1:1/  ', { host: '127.0.0.1', port: 1, path: '/' }],
  ];
  for (const [value, expected] of accepted) {
    test(`accepts ${JSON.stringify(value)}`, () => {
      const { oidc, problems } = oidcOf([{ ...KEYCLOAK, redirectUri: value }]);
      assert.deepEqual(problems, []);
      assert.deepEqual(oidc[0]!.redirectUri, { uri: value.trim(), ...expected });
      assert.equal(oidc[0]!.settingProblems, undefined);
    });
  }

  const refused = [
    'https://127.0.0.1:8400/', // the listener serves plain http
    'http://127.0.0.1/', // no port: nothing fixed
    'http://127.0.0.1:0/',
    'http://127.0.0.1:08400/', // would not be sent as written
    'http://127.0.0.1:65536/',
    'http://0.0.0.0:8400/',
    'http://192.168.1.10:8400/',
    'http://127.0.0.2:8400/',
    'http://localhost.example.com:8400/',
    'http://LOCALHOST:8400/',
    'http://user@127.0.0.1:8400/',
    'http://127.0.0.1:8400/cb?x=1',
    'http://127.0.0.1:8400/cb#f',
    'http://127.0.0.1:8400/a b',
    'vscode://msal-tools.msal-signin/signin-callback',
    '127.0.0.1:8400',
  ];
  for (const value of refused) {
    test(`refuses ${JSON.stringify(value)}: the provider stays, with a problem naming the setting`, () => {
      const { oidc, problems } = oidcOf([{ ...KEYCLOAK, redirectUri: value }]);
      assert.equal(oidc.length, 1, 'the provider is still registered');
      assert.equal(oidc[0]!.redirectUri, undefined);
      assert.deepEqual(oidc[0]!.settingProblems, [{ kind: 'redirectUri', where: { key: 'msalSignIn.oidcProviders', entry: { id: 'keycloak', field: 'redirectUri' } }, value }]);
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /^"redirectUri" of "keycloak" in msalSignIn\.oidcProviders: must be http:\/\/127\.0\.0\.1:<port>/);
    });
  }

  test('a value that is not a string is a problem; an empty one or none is the default (any port)', () => {
    assert.equal(oidcOf([{ ...KEYCLOAK, redirectUri: 8400 }]).oidc[0]!.settingProblems?.[0]?.kind, 'redirectUri');
    for (const value of [undefined, null, '', '   ']) {
      const { oidc, problems } = oidcOf([{ ...KEYCLOAK, redirectUri: value }]);
      assert.deepEqual(problems, []);
      assert.equal(oidc[0]!.redirectUri, undefined);
    }
  });

  test('Entra reads msalSignIn.entra.redirectUri', () => {
    assert.deepEqual(entraOf({ 'entra.redirectUri': 'http://localhost:3000/' }).redirectUri, { uri: 'http://localhost:3000/', host: 'localhost', port: 3000, path: '/' });
    const parsed = parseSettings(reader({ 'entra.redirectUri': 'http://example.com:3000/' }));
    assert.deepEqual(parsed.providers[0]!.settingProblems, [{ kind: 'redirectUri', where: { key: 'msalSignIn.entra.redirectUri' }, value: 'http://example.com:3000/' }]);
    assert.match(parsed.problems[0]!, /^msalSignIn\.entra\.redirectUri: /);
  });
});

describe('parseSettings: extra authorization parameters (authorizationParameters)', () => {
  test('an object of strings is kept as it is', () => {
    const parameters = { audience: 'https://api.example.com', resource: 'https://api.example.com/', acr_values: 'urn:mfa', ui_locales: 'fr-CA fr', prompt: 'login' };
    const { oidc, problems } = oidcOf([{ ...KEYCLOAK, authorizationParameters: parameters }]);
    assert.deepEqual(problems, []);
    assert.deepEqual(oidc[0]!.authorizationParameters, parameters);
  });

  test('none, null or an empty object: no parameters', () => {
    for (const value of [undefined, null, {}]) {
      const { oidc, problems } = oidcOf([{ ...KEYCLOAK, authorizationParameters: value }]);
      assert.deepEqual(problems, []);
      assert.equal(oidc[0]!.authorizationParameters, undefined);
    }
  });

  test('every parameter the library sets is refused, whatever its case, and named', () => {
    for (const name of ['client_id', 'redirect_uri', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'scope', 'response_type', 'response_mode', 'claims', 'max_age', 'login_hint', 'Client_ID']) {
      const { oidc, problems } = oidcOf([{ ...KEYCLOAK, authorizationParameters: { audience: 'x', [name]: 'attacker' } }]);
      assert.equal(oidc[0]!.authorizationParameters, undefined, name);
      assert.deepEqual(oidc[0]!.settingProblems, [
        { kind: 'authorizationParametersOwned', where: { key: 'msalSignIn.oidcProviders', entry: { id: 'keycloak', field: 'authorizationParameters' } }, names: [name] },
      ]);
      assert.match(problems[0]!, new RegExp(`"authorizationParameters" of "keycloak" in msalSignIn\\.oidcProviders: ${name} cannot be set here`));
    }
  });

  test('values that are not strings, or a value that is not an object, are refused', () => {
    const notStrings = oidcOf([{ ...KEYCLOAK, authorizationParameters: { audience: 'x', max_tries: 3, nested: { a: 1 }, none: null } }]).oidc[0]!;
    assert.deepEqual(notStrings.settingProblems?.[0], {
      kind: 'authorizationParametersType',
      where: { key: 'msalSignIn.oidcProviders', entry: { id: 'keycloak', field: 'authorizationParameters' } },
      names: ['max_tries', 'nested', 'none'],
    });
    for (const value of ['audience=x', ['audience', 'x'], 42, true]) {
      const provider = oidcOf([{ ...KEYCLOAK, authorizationParameters: value }]).oidc[0]!;
      assert.equal(provider.settingProblems?.[0]?.kind, 'authorizationParametersType', JSON.stringify(value));
      assert.deepEqual((provider.settingProblems?.[0] as { names: string[] }).names, []);
    }
  });

  test('a parameter named __proto__ stays plain data', () => {
    const raw = JSON.parse('{"__proto__": "x", "audience": "a"}') as Record<string, string>;
    const provider = oidcOf([{ ...KEYCLOAK, authorizationParameters: raw }]).oidc[0]!;
    assert.deepEqual(Object.keys(provider.authorizationParameters!), ['__proto__', 'audience']);
    assert.equal(Object.getPrototypeOf(provider.authorizationParameters), Object.prototype);
  });

  test('Entra reads msalSignIn.entra.authorizationParameters', () => {
    assert.deepEqual(entraOf({ 'entra.authorizationParameters': { domain_hint: 'contoso.com' } }).authorizationParameters, { domain_hint: 'contoso.com' });
    const parsed = parseSettings(reader({ 'entra.authorizationParameters': { nonce: 'n' } }));
    assert.deepEqual(parsed.providers[0]!.settingProblems?.[0]?.where, { key: 'msalSignIn.entra.authorizationParameters' });
  });

  test('both settings wrong: both problems, in the order of the settings', () => {
    const provider = oidcOf([{ ...KEYCLOAK, redirectUri: 'https://x', authorizationParameters: { scope: 'a' } }]).oidc[0]!;
    assert.deepEqual(
      provider.settingProblems?.map((problem) => problem.kind),
      ['redirectUri', 'authorizationParametersOwned'],
    );
  });
});

describe('package.json schema of redirectUri and authorizationParameters', () => {
  type Schema = { pattern?: string; propertyNames?: { not: { enum: string[] } }; markdownDescription?: string };
  const manifest = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8'));
  const nls = JSON.parse(readFileSync(new URL('../../../../package.nls.json', import.meta.url), 'utf8')) as Record<string, string>;
  const properties = manifest.contributes.configuration.properties as Record<string, Schema & { items?: { properties: Record<string, Schema> } }>;
  const entry = properties['msalSignIn.oidcProviders']!.items!.properties;

  test('the refused parameter names are the parser’s, for Entra and for OIDC entries', () => {
    for (const schema of [properties['msalSignIn.entra.authorizationParameters']!, entry.authorizationParameters!]) {
      assert.deepEqual([...schema.propertyNames!.not.enum].sort(), [...OWNED_AUTHORIZATION_PARAMETERS].sort());
    }
  });

  test('the redirect URI pattern accepts what the parser accepts', () => {
    const pattern = new RegExp(entry.redirectUri!.pattern!);
    const entraPattern = new RegExp(properties['msalSignIn.entra.redirectUri']!.pattern!);
    for (const value of ['http://127.0.0.1:8400/', 'http://localhost:1/cb', 'http://[::1]:65535', 'http://127.0.0.1:99999/', 'https://127.0.0.1:8400/', 'http://127.0.0.1/', 'http://127.0.0.1:8400/?x', 'http://0.0.0.0:80/']) {
      const parsed = parseLoopbackRedirect(value);
      // The schema cannot see the port range: the parser refuses 99999 on its own.
      if (value.includes('99999')) assert.equal(parsed, 'invalid');
      else assert.equal(pattern.test(value), parsed !== 'invalid', value);
      assert.equal(entraPattern.test(value), pattern.test(value), value);
    }
    assert.ok(entraPattern.test(''), 'Entra’s default is empty');
  });

  test('every description is in package.nls.json', () => {
    for (const schema of [properties['msalSignIn.entra.redirectUri']!, properties['msalSignIn.entra.authorizationParameters']!, entry.redirectUri!, entry.authorizationParameters!]) {
      const key = /^%(.+)%$/.exec(schema.markdownDescription ?? '')?.[1];
      assert.ok(key && nls[key], `${schema.markdownDescription} is translated`);
    }
  });
});
