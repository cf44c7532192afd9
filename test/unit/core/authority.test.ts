import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import {
  aliasesOf,
  Authority,
  type AuthorityMetadata,
  type AuthorityOptions,
  getCachedJson,
  isEntraHost,
  parseAuthority,
  resolveAuthority,
} from '../../../src/core/authority.js';
import { HttpPipeline } from '../../../src/core/http.js';
import { LogContext } from '../../../src/core/logger.js';
import { FakeFetch, jsonResponse, memoryCache, rejectsWithCode, textResponse, throwsWithCode } from './fakes.js';

const MS = 'https://login.microsoftonline.com';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';

function entraDiscovery(origin: string, tenant: string, issuer = `${origin}/{tenantid}/v2.0`): AuthorityMetadata {
  return {
    issuer,
    authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/authorize`,
    token_endpoint: `${origin}/${tenant}/oauth2/v2.0/token`,
    device_authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/devicecode`,
    jwks_uri: `${origin}/${tenant}/discovery/v2.0/keys`,
    end_session_endpoint: `${origin}/${tenant}/oauth2/v2.0/logout`,
  };
}

function instanceDiscoveryUrl(authorityOrigin: string, tenant: string, discoveryOrigin = MS): string {
  const query = new URLSearchParams({ 'api-version': '1.1', authorization_endpoint: `${authorityOrigin}/${tenant}/oauth2/v2.0/authorize` });
  return `${discoveryOrigin}/common/discovery/instance?${query}`;
}

function setup() {
  const fake = new FakeFetch();
  const cache = memoryCache();
  const pipeline = new HttpPipeline(fake.fetch, cache);
  const resolve = (options: AuthorityOptions) => resolveAuthority(options, pipeline, cache, new LogContext());
  return { fake, cache, pipeline, resolve };
}

describe('parseAuthority: Microsoft Entra', () => {
  test('defaults to https://login.microsoftonline.com/common', () => {
    const parsed = parseAuthority({});
    assert.equal(parsed.type, 'AAD');
    assert.equal(parsed.tenant, 'common');
    assert.equal(parsed.url.href, `${MS}/common`);
    assert.equal(parsed.discoveryUrl, `${MS}/common/v2.0/.well-known/openid-configuration`);
  });

  for (const tenant of ['common', 'organizations', 'consumers', TENANT_ID, 'contoso.onmicrosoft.com']) {
    test(`tenant ${tenant}`, () => {
      const parsed = parseAuthority({ authority: `${MS}/${tenant}` });
      assert.equal(parsed.type, 'AAD');
      assert.equal(parsed.tenant, tenant);
      assert.equal(parsed.url.href, `${MS}/${tenant}`);
      assert.equal(parsed.discoveryUrl, `${MS}/${tenant}/v2.0/.well-known/openid-configuration`);
    });
  }

  test('trailing slashes and extra path segments are dropped', () => {
    assert.equal(parseAuthority({ authority: `${MS}/common/` }).url.href, `${MS}/common`);
    assert.equal(parseAuthority({ authority: `${MS}/contoso.onmicrosoft.com/v2.0` }).url.href, `${MS}/contoso.onmicrosoft.com`);
  });

  for (const host of ['login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn']) {
    test(`sovereign host ${host}`, () => {
      const parsed = parseAuthority({ authority: `https://${host}/${TENANT_ID}` });
      assert.equal(parsed.type, 'AAD');
      assert.equal(parsed.tenant, TENANT_ID);
      assert.equal(parsed.discoveryUrl, `https://${host}/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
    });
  }

  test('an Entra host without a tenant is rejected (invalid_authority)', () => {
    throwsWithCode(() => parseAuthority({ authority: MS }), 'invalid_authority');
    throwsWithCode(() => parseAuthority({ authority: `${MS}/` }), 'invalid_authority');
  });
});

describe('isEntraHost', () => {
  test('every alias of every Entra cloud and External ID hosts, in any case', () => {
    for (const host of ['login.microsoftonline.com', 'LOGIN.WINDOWS.NET', 'sts.windows.net', 'login.partner.microsoftonline.cn', 'login.chinacloudapi.cn', 'login.microsoftonline.us', 'login.usgovcloudapi.net', 'login-us.microsoftonline.com', 'login.microsoftonline.de', 'contoso.ciamlogin.com']) {
      assert.equal(isEntraHost(host), true, host);
    }
  });
  test('not other hosts, nor look-alikes', () => {
    for (const host of ['example.com', 'login.microsoftonline.com.example.com', 'evil-login.microsoftonline.com', 'ciamlogin.com', 'contoso.b2clogin.com', 'localhost']) {
      assert.equal(isEntraHost(host), false, host);
    }
  });
});

describe('parseAuthority: B2C, CIAM, ADFS', () => {
  test('b2clogin.com with its policy', () => {
    const parsed = parseAuthority({ authority: 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signupsignin/' });
    assert.equal(parsed.type, 'B2C');
    assert.equal(parsed.tenant, 'contoso.onmicrosoft.com');
    assert.equal(parsed.url.href, 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signupsignin');
    assert.equal(
      parsed.discoveryUrl,
      'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signupsignin/v2.0/.well-known/openid-configuration',
    );
  });

  for (const host of ['contoso.b2clogin.cn', 'contoso.b2clogin.us', 'contoso.b2clogin.de']) {
    test(`B2C on the sovereign B2C host ${host}`, () => {
      const parsed = parseAuthority({ authority: `https://${host}/contoso.onmicrosoft.com/B2C_1_susi` });
      assert.equal(parsed.type, 'B2C');
      assert.equal(parsed.url.href, `https://${host}/contoso.onmicrosoft.com/B2C_1_susi`);
      assert.equal(parsed.discoveryUrl, `https://${host}/contoso.onmicrosoft.com/B2C_1_susi/v2.0/.well-known/openid-configuration`);
    });
  }

  test('b2clogin.com with a custom policy name (not B2C_1_) is still B2C', () => {
    const parsed = parseAuthority({ authority: 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/my_policy' });
    assert.equal(parsed.type, 'B2C');
  });

  test('b2clogin.com without a policy is rejected (invalid_authority)', () => {
    throwsWithCode(() => parseAuthority({ authority: 'https://contoso.b2clogin.com/contoso.onmicrosoft.com' }), 'invalid_authority');
  });

  test('login.microsoftonline.com/<tenant>/B2C_1_x is B2C', () => {
    const parsed = parseAuthority({ authority: `${MS}/contoso.onmicrosoft.com/B2C_1_x` });
    assert.equal(parsed.type, 'B2C');
    assert.equal(parsed.tenant, 'contoso.onmicrosoft.com');
    assert.equal(parsed.url.href, `${MS}/contoso.onmicrosoft.com/B2C_1_x`);
    assert.equal(parsed.discoveryUrl, `${MS}/contoso.onmicrosoft.com/B2C_1_x/v2.0/.well-known/openid-configuration`);
  });

  test('the policy prefix is recognised in any case (b2c_1_x)', () => {
    assert.equal(parseAuthority({ authority: `${MS}/contoso.onmicrosoft.com/b2c_1_x` }).type, 'B2C');
  });

  test('CIAM with a tenant path', () => {
    const parsed = parseAuthority({ authority: 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com' });
    assert.equal(parsed.type, 'CIAM');
    assert.equal(parsed.tenant, 'contoso.onmicrosoft.com');
    assert.equal(parsed.url.href, 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com');
    assert.equal(parsed.discoveryUrl, 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration');
  });

  test('CIAM with a tenant id path', () => {
    const parsed = parseAuthority({ authority: `https://contoso.ciamlogin.com/${TENANT_ID}/` });
    assert.equal(parsed.type, 'CIAM');
    assert.equal(parsed.tenant, TENANT_ID);
  });

  test('CIAM without a tenant path means <subdomain>.onmicrosoft.com', () => {
    for (const authority of ['https://contoso.ciamlogin.com', 'https://contoso.ciamlogin.com/']) {
      const parsed = parseAuthority({ authority });
      assert.equal(parsed.type, 'CIAM');
      assert.equal(parsed.tenant, 'contoso.onmicrosoft.com');
      assert.equal(parsed.url.href, 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com');
      assert.equal(parsed.discoveryUrl, 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration');
    }
  });

  test('ADFS', () => {
    for (const authority of ['https://fs.contoso.com/adfs', 'https://fs.contoso.com/adfs/', 'https://fs.contoso.com/ADFS']) {
      const parsed = parseAuthority({ authority });
      assert.equal(parsed.type, 'ADFS');
      assert.equal(parsed.tenant, 'adfs');
      assert.equal(parsed.url.href, 'https://fs.contoso.com/adfs');
      assert.equal(parsed.discoveryUrl, 'https://fs.contoso.com/adfs/.well-known/openid-configuration');
    }
  });
});

describe('parseAuthority: OIDC', () => {
  test('keeps the issuer path', () => {
    const parsed = parseAuthority({ oidcAuthority: 'https://idp.example.com/realms/dev/' });
    assert.equal(parsed.type, 'OIDC');
    assert.equal(parsed.tenant, 'realms/dev');
    assert.equal(parsed.url.href, 'https://idp.example.com/realms/dev');
    assert.equal(parsed.discoveryUrl, 'https://idp.example.com/realms/dev/.well-known/openid-configuration');
  });

  test('oidcAuthority wins over authority', () => {
    const parsed = parseAuthority({ authority: `${MS}/common`, oidcAuthority: 'https://idp.example.com/x' });
    assert.equal(parsed.type, 'OIDC');
  });

  test('an issuer at the root of its host gets /.well-known/openid-configuration without a double slash', () => {
    for (const oidcAuthority of ['https://accounts.example.com', 'https://accounts.example.com/']) {
      const parsed = parseAuthority({ oidcAuthority });
      assert.equal(parsed.tenant, '');
      assert.equal(parsed.discoveryUrl, 'https://accounts.example.com/.well-known/openid-configuration');
    }
  });

  test('a port is kept', () => {
    const parsed = parseAuthority({ oidcAuthority: 'https://idp.example.com:8443/oidc' });
    assert.equal(parsed.discoveryUrl, 'https://idp.example.com:8443/oidc/.well-known/openid-configuration');
  });
});

describe('parseAuthority: rejected URLs (invalid_authority)', () => {
  const rejected: [string, AuthorityOptions][] = [
    ['http on a public host', { authority: 'http://login.microsoftonline.com/common' }],
    ['http on a public host even with the loopback switch', { authority: 'http://login.microsoftonline.com/common', allowInsecureLoopbackAuthority: true }],
    ['http OIDC on a public host', { oidcAuthority: 'http://idp.example.com/x', allowInsecureLoopbackAuthority: true }],
    ['http on 127.0.0.1 without the switch', { oidcAuthority: 'http://127.0.0.1:8080/x' }],
    ['http on localhost without the switch', { authority: 'http://localhost:8080/common' }],
    ['a query', { authority: `${MS}/common?x=1` }],
    ['a fragment', { authority: `${MS}/common#frag` }],
    ['a query on an OIDC authority', { oidcAuthority: 'https://idp.example.com/x?tenant=1' }],
    ['credentials', { authority: 'https://user:pass@login.microsoftonline.com/common' }],
    ['a user name only', { oidcAuthority: 'https://user@idp.example.com/x' }],
    ['a relative URL', { authority: '/common' }],
    ['garbage', { authority: 'not a url' }],
    ['another scheme', { authority: 'ftp://login.microsoftonline.com/common' }],
  ];
  for (const [label, options] of rejected) {
    test(label, () => {
      throwsWithCode(() => parseAuthority(options), 'invalid_authority');
    });
  }

  test('the http message names the loopback switch when the host is a loopback', () => {
    const err = throwsWithCode(() => parseAuthority({ oidcAuthority: 'http://127.0.0.1:8080/x' }), 'invalid_authority');
    assert.match(err.message, /allowInsecureLoopbackAuthority/);
  });

  for (const origin of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080']) {
    test(`http on loopback ${origin} with allowInsecureLoopbackAuthority`, () => {
      const parsed = parseAuthority({ oidcAuthority: `${origin}/oidc`, allowInsecureLoopbackAuthority: true });
      assert.equal(parsed.discoveryUrl, `${origin}/oidc/.well-known/openid-configuration`);
      const entra = parseAuthority({ authority: `${origin}/common`, allowInsecureLoopbackAuthority: true });
      assert.equal(entra.type, 'AAD');
    });
  }

  test('the IPv4-mapped 127.0.0.1 is a loopback host, in either spelling', () => {
    for (const origin of ['http://[::ffff:7f00:1]:8080', 'http://[::ffff:127.0.0.1]:8080']) {
      const parsed = parseAuthority({ oidcAuthority: `${origin}/oidc`, allowInsecureLoopbackAuthority: true });
      assert.equal(parsed.discoveryUrl, 'http://[::ffff:7f00:1]:8080/oidc/.well-known/openid-configuration');
      throwsWithCode(() => parseAuthority({ oidcAuthority: `${origin}/oidc` }), 'invalid_authority');
    }
  });

  test('other IPv4-mapped addresses are not loopback hosts', () => {
    throwsWithCode(() => parseAuthority({ oidcAuthority: 'http://[::ffff:a00:1]:8080/oidc', allowInsecureLoopbackAuthority: true }), 'invalid_authority');
  });
});

describe('aliasesOf', () => {
  test('Entra worldwide aliases, the given host first', () => {
    assert.deepEqual(aliasesOf('login.windows.net'), ['login.windows.net', 'login.microsoftonline.com', 'login.microsoft.com', 'sts.windows.net']);
  });

  test('sovereign clouds', () => {
    assert.deepEqual(aliasesOf('login.microsoftonline.us'), ['login.microsoftonline.us', 'login.usgovcloudapi.net']);
    assert.deepEqual(aliasesOf('login.chinacloudapi.cn'), ['login.chinacloudapi.cn', 'login.partner.microsoftonline.cn']);
  });

  test('an unknown host is its own only alias', () => {
    assert.deepEqual(aliasesOf('idp.example.com'), ['idp.example.com']);
  });
});

describe('Authority.expectedIssuer', () => {
  const metadata = (issuer: string): AuthorityMetadata => ({ issuer, authorization_endpoint: 'https://a/authorize', token_endpoint: 'https://a/token' });

  test('a fixed issuer is returned as is', () => {
    const authority = new Authority(`${MS}/${TENANT_ID}`, 'AAD', 'login.microsoftonline.com', TENANT_ID, metadata(`${MS}/${TENANT_ID}/v2.0`), []);
    assert.equal(authority.expectedIssuer({}), `${MS}/${TENANT_ID}/v2.0`);
  });

  test('{tenantid} is filled from the tid claim', () => {
    const authority = new Authority(`${MS}/common`, 'AAD', 'login.microsoftonline.com', 'common', metadata(`${MS}/{tenantid}/v2.0`), []);
    assert.equal(authority.expectedIssuer({ tid: TENANT_ID }), `${MS}/${TENANT_ID}/v2.0`);
  });

  test('{tenantid} without a tid claim is invalid_id_token', () => {
    const authority = new Authority(`${MS}/common`, 'AAD', 'login.microsoftonline.com', 'common', metadata(`${MS}/{tenantid}/v2.0`), []);
    throwsWithCode(() => authority.expectedIssuer({}), 'invalid_id_token');
    throwsWithCode(() => authority.expectedIssuer({ tid: '' }), 'invalid_id_token');
    throwsWithCode(() => authority.expectedIssuer({ tid: 42 }), 'invalid_id_token');
  });

  test('isMultiTenant for common, organizations, consumers only', () => {
    const make = (tenant: string, type: 'AAD' | 'OIDC' = 'AAD') => new Authority(`${MS}/${tenant}`, type, 'h', tenant, metadata('https://i'), []);
    assert.equal(make('common').isMultiTenant, true);
    assert.equal(make('Organizations').isMultiTenant, true);
    assert.equal(make('consumers').isMultiTenant, true);
    assert.equal(make(TENANT_ID).isMultiTenant, false);
    assert.equal(make('common', 'OIDC').isMultiTenant, false);
  });
});

describe('resolveAuthority', () => {
  test('a known Entra host skips instance discovery and reads its tenant discovery document', async () => {
    const { fake, resolve } = setup();
    fake.on(`${MS}/common/v2.0/.well-known/openid-configuration`, jsonResponse(entraDiscovery(MS, 'common')));
    const authority = await resolve({ authority: `${MS}/common` });
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.requests[0].init.method, 'GET');
    assert.equal(authority.type, 'AAD');
    assert.equal(authority.url, `${MS}/common`);
    assert.equal(authority.instance, 'login.microsoftonline.com');
    assert.equal(authority.tenant, 'common');
    assert.equal(authority.isMultiTenant, true);
    assert.equal(authority.metadata.token_endpoint, `${MS}/common/oauth2/v2.0/token`);
    assert.equal(authority.metadata.device_authorization_endpoint, `${MS}/common/oauth2/v2.0/devicecode`);
    assert.equal(authority.metadata.end_session_endpoint, `${MS}/common/oauth2/v2.0/logout`);
    assert.deepEqual(authority.aliases, ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net']);
  });

  test('the tenant discovery document is cached in the HttpCache: a second resolve sends nothing', async () => {
    const { fake, resolve } = setup();
    fake.on(`${MS}/common/v2.0/.well-known/openid-configuration`, jsonResponse(entraDiscovery(MS, 'common')));
    const first = await resolve({ authority: `${MS}/common` });
    const second = await resolve({ authority: `${MS}/common` });
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(second.metadata, first.metadata);
  });

  test('a sovereign cloud (login.microsoftonline.us) skips instance discovery too', async () => {
    const { fake, resolve } = setup();
    const origin = 'https://login.microsoftonline.us';
    fake.on(`${origin}/${TENANT_ID}/v2.0/.well-known/openid-configuration`, jsonResponse(entraDiscovery(origin, TENANT_ID, `${origin}/${TENANT_ID}/v2.0`)));
    const authority = await resolve({ authority: `${origin}/${TENANT_ID}` });
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(authority.aliases, ['login.microsoftonline.us', 'login.usgovcloudapi.net']);
  });

  test('an issuer on an alias of the authority host is accepted (sts.windows.net)', async () => {
    const { fake, resolve } = setup();
    fake.on(`${MS}/${TENANT_ID}/v2.0/.well-known/openid-configuration`, jsonResponse(entraDiscovery(MS, TENANT_ID, `https://sts.windows.net/${TENANT_ID}/`)));
    const authority = await resolve({ authority: `${MS}/${TENANT_ID}` });
    assert.equal(authority.metadata.issuer, `https://sts.windows.net/${TENANT_ID}/`);
  });

  test('an Entra issuer on an unrelated host is discovery_failed', async () => {
    const { fake, resolve } = setup();
    fake.on(`${MS}/common/v2.0/.well-known/openid-configuration`, jsonResponse(entraDiscovery(MS, 'common', 'https://evil.example.com/{tenantid}/v2.0')));
    await rejectsWithCode(resolve({ authority: `${MS}/common` }), 'discovery_failed');
  });

  test('a discovery document refused for its issuer is not cached: the next call asks again', async () => {
    const { fake, resolve } = setup();
    const url = `${MS}/common/v2.0/.well-known/openid-configuration`;
    fake.on(url, jsonResponse(entraDiscovery(MS, 'common', 'https://evil.example.com/{tenantid}/v2.0')), jsonResponse(entraDiscovery(MS, 'common')));
    await rejectsWithCode(resolve({ authority: `${MS}/common` }), 'discovery_failed');
    const authority = await resolve({ authority: `${MS}/common` });
    assert.equal(authority.metadata.issuer, `${MS}/{tenantid}/v2.0`);
    assert.equal(fake.count(url), 2);
  });

  test('an unknown host is validated by instance discovery at the worldwide endpoint', async () => {
    const { fake, resolve } = setup();
    const origin = 'https://login.contoso.example';
    const tenantDiscovery = `${origin}/${TENANT_ID}/v2.0/.well-known/openid-configuration`;
    fake.on(
      instanceDiscoveryUrl(origin, TENANT_ID),
      jsonResponse({
        tenant_discovery_endpoint: tenantDiscovery,
        'api-version': '1.1',
        metadata: [{ preferred_network: 'login.contoso.example', aliases: ['login.contoso.example', 'login2.contoso.example'] }],
      }),
    );
    fake.on(tenantDiscovery, jsonResponse(entraDiscovery(origin, TENANT_ID, `${origin}/${TENANT_ID}/v2.0`)));
    const authority = await resolve({ authority: `${origin}/${TENANT_ID}` });
    assert.deepEqual(
      fake.requests.map((r) => r.url),
      [instanceDiscoveryUrl(origin, TENANT_ID), tenantDiscovery],
    );
    assert.deepEqual(authority.aliases, ['login.contoso.example', 'login2.contoso.example']);
    assert.equal(authority.metadata.token_endpoint, `${origin}/${TENANT_ID}/oauth2/v2.0/token`);
  });

  test('instance discovery metadata with null entries and non-string aliases is read safely (found by a property test)', async () => {
    const { fake, resolve } = setup();
    const origin = 'https://login.contoso.example';
    const tenantDiscovery = `${origin}/${TENANT_ID}/v2.0/.well-known/openid-configuration`;
    fake.on(
      instanceDiscoveryUrl(origin, TENANT_ID),
      jsonResponse({ tenant_discovery_endpoint: tenantDiscovery, metadata: [null, 7, { aliases: ['login.contoso.example', null, 42, '', 'login2.contoso.example'] }] }),
    );
    fake.on(tenantDiscovery, jsonResponse(entraDiscovery(origin, TENANT_ID, `${origin}/${TENANT_ID}/v2.0`)));
    const authority = await resolve({ authority: `${origin}/${TENANT_ID}` });
    assert.deepEqual(authority.aliases, ['login.contoso.example', 'login2.contoso.example']);
  });

  test('a tenant_discovery_endpoint that is not an https URL is discovery_failed, and nothing is fetched from it', async () => {
    for (const endpoint of ['http://login.contoso.example/t/v2.0/.well-known/openid-configuration', 'not a url', 'javascript:alert(1)']) {
      const { fake, resolve } = setup();
      const origin = 'https://login.contoso.example';
      fake.on(instanceDiscoveryUrl(origin, TENANT_ID), jsonResponse({ tenant_discovery_endpoint: endpoint, metadata: [] }));
      await rejectsWithCode(resolve({ authority: `${origin}/${TENANT_ID}` }), 'discovery_failed');
      assert.equal(fake.requests.length, 1);
    }
  });

  test('instance discovery answering invalid_instance is invalid_authority', async () => {
    const { fake, resolve } = setup();
    const origin = 'https://login.contoso.example';
    fake.on(
      instanceDiscoveryUrl(origin, 'common'),
      jsonResponse({ error: 'invalid_instance', error_description: 'AADSTS50049: Unknown or invalid instance.' }, 400),
    );
    const err = await rejectsWithCode(resolve({ authority: `${origin}/common` }), 'invalid_authority');
    assert.match(err.message, /validateAuthority/);
    assert.equal(fake.requests.length, 1);
  });

  test('instance discovery failing otherwise is discovery_failed', async () => {
    const { fake, resolve } = setup();
    const origin = 'https://login.contoso.example';
    fake.on(instanceDiscoveryUrl(origin, 'common'), textResponse('<html>oops</html>', 500));
    await rejectsWithCode(resolve({ authority: `${origin}/common` }), 'discovery_failed');
  });

  test('instance discovery is cached as well', async () => {
    const { fake, resolve } = setup();
    const origin = 'https://login.contoso.example';
    fake.on(instanceDiscoveryUrl(origin, 'common'), jsonResponse({ tenant_discovery_endpoint: `${origin}/common/v2.0/.well-known/openid-configuration` }));
    fake.on(`${origin}/common/v2.0/.well-known/openid-configuration`, jsonResponse(entraDiscovery(origin, 'common')));
    await resolve({ authority: `${origin}/common` });
    await resolve({ authority: `${origin}/common` });
    assert.equal(fake.requests.length, 2);
  });

  test('validateAuthority: false skips instance discovery for an unknown host', async () => {
    const { fake, resolve } = setup();
    const origin = 'https://login.contoso.example';
    fake.on(`${origin}/common/v2.0/.well-known/openid-configuration`, jsonResponse(entraDiscovery(origin, 'common')));
    const authority = await resolve({ authority: `${origin}/common`, validateAuthority: false });
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.count(instanceDiscoveryUrl(origin, 'common')), 0);
    assert.deepEqual(authority.aliases, ['login.contoso.example']);
  });

  test('instanceDiscovery: false skips instance discovery for an unknown host', async () => {
    const { fake, resolve } = setup();
    const origin = 'https://login.contoso.example';
    fake.on(`${origin}/common/v2.0/.well-known/openid-configuration`, jsonResponse(entraDiscovery(origin, 'common')));
    await resolve({ authority: `${origin}/common`, instanceDiscovery: false });
    assert.deepEqual(
      fake.requests.map((r) => r.url),
      [`${origin}/common/v2.0/.well-known/openid-configuration`],
    );
  });

  test('B2C and ADFS never use instance discovery', async () => {
    const { fake, resolve } = setup();
    const b2c = 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_susi';
    fake.on(
      `${b2c}/v2.0/.well-known/openid-configuration`,
      jsonResponse({
        issuer: `https://contoso.b2clogin.com/${TENANT_ID}/v2.0/`,
        authorization_endpoint: `${b2c}/oauth2/v2.0/authorize`,
        token_endpoint: `${b2c}/oauth2/v2.0/token`,
        jwks_uri: `${b2c}/discovery/v2.0/keys`,
      }),
    );
    fake.on(
      'https://fs.contoso.com/adfs/.well-known/openid-configuration',
      jsonResponse({
        issuer: 'https://fs.contoso.com/adfs',
        authorization_endpoint: 'https://fs.contoso.com/adfs/oauth2/authorize/',
        token_endpoint: 'https://fs.contoso.com/adfs/oauth2/token/',
      }),
    );
    const b2cAuthority = await resolve({ authority: b2c });
    const adfsAuthority = await resolve({ authority: 'https://fs.contoso.com/adfs' });
    assert.equal(b2cAuthority.type, 'B2C');
    assert.equal(b2cAuthority.url, b2c);
    assert.equal(adfsAuthority.type, 'ADFS');
    assert.equal(fake.requests.length, 2);
    assert.ok(fake.requests.every((r) => !r.url.includes('/discovery/instance')));
  });

  test('CIAM accepts an issuer on another ciamlogin.com host', async () => {
    const { fake, resolve } = setup();
    const discovery = 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration';
    fake.on(
      discovery,
      jsonResponse({
        issuer: `https://${TENANT_ID}.ciamlogin.com/${TENANT_ID}/v2.0`,
        authorization_endpoint: 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
        token_endpoint: 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      }),
    );
    const authority = await resolve({ authority: 'https://contoso.ciamlogin.com/' });
    assert.equal(authority.type, 'CIAM');
    assert.equal(authority.url, 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com');
    assert.equal(authority.tenant, 'contoso.onmicrosoft.com');
    assert.equal(fake.requests.length, 1);
  });

  test('CIAM rejects an issuer outside ciamlogin.com (discovery_failed)', async () => {
    const { fake, resolve } = setup();
    fake.on(
      'https://contoso.ciamlogin.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration',
      jsonResponse({
        issuer: `https://evil.example.com/${TENANT_ID}/v2.0`,
        authorization_endpoint: 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
        token_endpoint: 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      }),
    );
    await rejectsWithCode(resolve({ authority: 'https://contoso.ciamlogin.com' }), 'discovery_failed');
  });

  describe('OIDC', () => {
    const issuer = 'https://idp.example.com/realms/dev';
    const doc = (overrides: Record<string, unknown> = {}) => ({
      issuer,
      authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
      token_endpoint: `${issuer}/protocol/openid-connect/token`,
      jwks_uri: `${issuer}/protocol/openid-connect/certs`,
      ...overrides,
    });

    test('keeps the issuer path and its metadata', async () => {
      const { fake, resolve } = setup();
      fake.on(`${issuer}/.well-known/openid-configuration`, jsonResponse(doc({ end_session_endpoint: `${issuer}/logout` })));
      const authority = await resolve({ oidcAuthority: `${issuer}/` });
      assert.equal(authority.type, 'OIDC');
      assert.equal(authority.url, issuer);
      assert.equal(authority.instance, 'idp.example.com');
      assert.equal(authority.tenant, 'realms/dev');
      assert.deepEqual(authority.aliases, ['idp.example.com']);
      assert.equal(authority.metadata.jwks_uri, `${issuer}/protocol/openid-connect/certs`);
      assert.equal(authority.metadata.end_session_endpoint, `${issuer}/logout`);
      assert.equal(fake.requests.length, 1);
    });

    test('an issuer with a trailing slash is the same issuer', async () => {
      const { fake, resolve } = setup();
      fake.on(`${issuer}/.well-known/openid-configuration`, jsonResponse(doc({ issuer: `${issuer}/` })));
      await resolve({ oidcAuthority: issuer });
    });

    test('an issuer at the root of its host resolves', async () => {
      const { fake, resolve } = setup();
      const root = 'https://accounts.example.com';
      fake.on(
        `${root}/.well-known/openid-configuration`,
        jsonResponse({ issuer: root, authorization_endpoint: `${root}/authorize`, token_endpoint: `${root}/token` }),
      );
      const authority = await resolve({ oidcAuthority: `${root}/` });
      assert.equal(authority.url, root);
      assert.equal(authority.tenant, '');
    });

    test('an issuer other than the configured authority is discovery_failed', async () => {
      for (const other of ['https://idp.example.com/realms/prod', 'https://evil.example.com/realms/dev', 'https://idp.example.com/realms/dev/x']) {
        const { fake, resolve } = setup();
        fake.on(`${issuer}/.well-known/openid-configuration`, jsonResponse(doc({ issuer: other })));
        await rejectsWithCode(resolve({ oidcAuthority: issuer }), 'discovery_failed');
      }
    });

    test('a missing or non-string issuer is discovery_failed', async () => {
      for (const bad of [undefined, 42, null]) {
        const { fake, resolve } = setup();
        fake.on(`${issuer}/.well-known/openid-configuration`, jsonResponse(doc({ issuer: bad })));
        await rejectsWithCode(resolve({ oidcAuthority: issuer }), 'discovery_failed');
      }
    });

    test('a missing token_endpoint is discovery_failed', async () => {
      const { fake, resolve } = setup();
      fake.on(`${issuer}/.well-known/openid-configuration`, jsonResponse(doc({ token_endpoint: undefined })));
      const err = await rejectsWithCode(resolve({ oidcAuthority: issuer }), 'discovery_failed');
      assert.match(err.message, /token_endpoint/);
    });

    test('a missing authorization_endpoint is discovery_failed', async () => {
      const { fake, resolve } = setup();
      fake.on(`${issuer}/.well-known/openid-configuration`, jsonResponse(doc({ authorization_endpoint: undefined })));
      const err = await rejectsWithCode(resolve({ oidcAuthority: issuer }), 'discovery_failed');
      assert.match(err.message, /authorization_endpoint/);
    });

    for (const field of ['token_endpoint', 'authorization_endpoint', 'jwks_uri', 'device_authorization_endpoint']) {
      test(`a non-https ${field} is discovery_failed`, async () => {
        const { fake, resolve } = setup();
        fake.on(`${issuer}/.well-known/openid-configuration`, jsonResponse(doc({ [field]: `http://idp.example.com/realms/dev/${field}` })));
        const err = await rejectsWithCode(resolve({ oidcAuthority: issuer }), 'discovery_failed');
        assert.match(err.message, new RegExp(field));
      });
    }

    test('a non-string optional endpoint is discovery_failed', async () => {
      const { fake, resolve } = setup();
      fake.on(`${issuer}/.well-known/openid-configuration`, jsonResponse(doc({ jwks_uri: 42 })));
      await rejectsWithCode(resolve({ oidcAuthority: issuer }), 'discovery_failed');
    });

    test('an endpoint with a query string is accepted', async () => {
      const { fake, resolve } = setup();
      fake.on(`${issuer}/.well-known/openid-configuration`, jsonResponse(doc({ authorization_endpoint: `${issuer}/auth?p=B2C_1_x` })));
      const authority = await resolve({ oidcAuthority: issuer });
      assert.equal(authority.metadata.authorization_endpoint, `${issuer}/auth?p=B2C_1_x`);
    });

    test('a loopback http authority with http endpoints resolves with allowInsecureLoopbackAuthority', async () => {
      const { fake, resolve } = setup();
      const local = 'http://127.0.0.1:4000/oidc';
      fake.on(
        `${local}/.well-known/openid-configuration`,
        jsonResponse({ issuer: local, authorization_endpoint: `${local}/auth`, token_endpoint: `${local}/token`, jwks_uri: `${local}/jwks` }),
      );
      const authority = await resolve({ oidcAuthority: local, allowInsecureLoopbackAuthority: true });
      assert.equal(authority.url, local);
      assert.equal(authority.instance, '127.0.0.1:4000');
    });

    test('discovery answering 404 is discovery_failed', async () => {
      const { fake, resolve } = setup();
      fake.on(`${issuer}/.well-known/openid-configuration`, jsonResponse({ error: 'not_found' }, 404));
      const err = await rejectsWithCode(resolve({ oidcAuthority: issuer }), 'discovery_failed');
      assert.match(err.message, /404/);
    });

    test('discovery answering HTML is discovery_failed', async () => {
      const { fake, resolve } = setup();
      fake.on(`${issuer}/.well-known/openid-configuration`, textResponse('<html></html>'));
      await rejectsWithCode(resolve({ oidcAuthority: issuer }), 'discovery_failed');
    });

    test('discovery answering a JSON array is discovery_failed', async () => {
      const { fake, resolve } = setup();
      fake.on(`${issuer}/.well-known/openid-configuration`, jsonResponse([doc()]));
      await rejectsWithCode(resolve({ oidcAuthority: issuer }), 'discovery_failed');
    });

    test('a network failure during discovery is network_error', async () => {
      const { fake, resolve } = setup();
      fake.on(`${issuer}/.well-known/openid-configuration`, () => {
        throw new TypeError('fetch failed');
      });
      await rejectsWithCode(resolve({ oidcAuthority: issuer }), 'network_error');
    });

    test('a failed discovery is not cached', async () => {
      const { fake, resolve } = setup();
      fake.on(`${issuer}/.well-known/openid-configuration`, jsonResponse({}, 503), jsonResponse(doc()));
      await rejectsWithCode(resolve({ oidcAuthority: issuer }), 'discovery_failed');
      await resolve({ oidcAuthority: issuer });
      assert.equal(fake.requests.length, 2);
    });
  });
});

describe('getCachedJson (frozen clock)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: Date.UTC(2025, 0, 1) }));
  afterEach(() => mock.timers.reset());

  test('serves from the cache for 24 hours, then fetches again', async () => {
    const { fake, cache, pipeline } = setup();
    const url = 'https://idp.example.com/.well-known/openid-configuration';
    fake.on(url, jsonResponse({ n: 1 }), jsonResponse({ n: 2 }));
    assert.deepEqual(await getCachedJson(pipeline, cache, url, 'doc'), { n: 1 });
    mock.timers.tick(24 * 60 * 60 * 1000 - 1);
    assert.deepEqual(await getCachedJson(pipeline, cache, url, 'doc'), { n: 1 });
    assert.equal(fake.requests.length, 1);
    mock.timers.tick(1);
    assert.deepEqual(await getCachedJson(pipeline, cache, url, 'doc'), { n: 2 });
    assert.equal(fake.requests.length, 2);
  });

  test('a stored entry whose value is no JSON object is fetched again, not served (found by a property test)', async () => {
    const url = 'https://idp.example.com/.well-known/openid-configuration';
    for (const value of ['\u0000', ['x'], 42, null]) {
      const { fake, cache, pipeline } = setup();
      fake.on(url, jsonResponse({ n: 1 }));
      cache.set(`json:${url}`, { expiresAt: 1e308, value });
      assert.deepEqual(await getCachedJson(pipeline, cache, url, 'doc'), { n: 1 });
      assert.equal(fake.requests.length, 1);
    }
  });

  test('refresh: true bypasses a fresh entry; ttlMs shortens the lifetime', async () => {
    const { fake, cache, pipeline } = setup();
    const url = 'https://idp.example.com/jwks';
    fake.on(url, jsonResponse({ n: 1 }), jsonResponse({ n: 2 }), jsonResponse({ n: 3 }));
    await getCachedJson(pipeline, cache, url, 'doc', { ttlMs: 1000 });
    assert.deepEqual(await getCachedJson(pipeline, cache, url, 'doc', { refresh: true, ttlMs: 1000 }), { n: 2 });
    mock.timers.tick(1000);
    assert.deepEqual(await getCachedJson(pipeline, cache, url, 'doc'), { n: 3 });
  });

  test('a cached entry of the wrong shape is ignored', async () => {
    const { fake, cache, pipeline } = setup();
    const url = 'https://idp.example.com/doc';
    cache.set(`json:${url}`, 'garbage');
    fake.on(url, jsonResponse({ ok: true }));
    assert.deepEqual(await getCachedJson(pipeline, cache, url, 'doc'), { ok: true });
  });

  test('expired tenant discovery makes resolveAuthority fetch again', async () => {
    const { fake, resolve } = setup();
    fake.on(`${MS}/common/v2.0/.well-known/openid-configuration`, jsonResponse(entraDiscovery(MS, 'common')));
    await resolve({ authority: `${MS}/common` });
    mock.timers.tick(24 * 60 * 60 * 1000);
    await resolve({ authority: `${MS}/common` });
    assert.equal(fake.requests.length, 2);
  });
});
