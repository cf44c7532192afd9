/**
 * Property tests of authority resolution: OpenID Connect discovery documents and Entra instance
 * discovery answers are outside input. Whatever they hold, resolution gives an Authority with
 * https endpoints or a typed error; valid documents still resolve.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { resolveAuthority } from '../../../src/core/authority.js';
import { type FetchLike, HttpPipeline } from '../../../src/core/http.js';
import { LogContext } from '../../../src/core/logger.js';
import { memoryCache } from './fakes.js';
import { bodyText, hostileValue, mutatedDocument, runOptions, typedOrValueAsync } from './property.js';

const OIDC = 'https://idp.example.com/realm';
const OIDC_DISCOVERY = {
  issuer: OIDC,
  authorization_endpoint: `${OIDC}/authorize`,
  token_endpoint: `${OIDC}/token`,
  device_authorization_endpoint: `${OIDC}/device`,
  jwks_uri: `${OIDC}/jwks`,
  end_session_endpoint: `${OIDC}/logout`,
  authorization_response_iss_parameter_supported: true,
};

/** URL-ish values a hostile document may carry where an endpoint belongs. */
const urlValue = fc.oneof(
  hostileValue,
  fc.constantFrom('http://idp.example.com/token', 'https://', 'javascript:alert(1)', 'https://user:pw@idp.example.com/t', '//idp.example.com/t', 'https://idp.example.com/t?x=1#f', 'https://[::1', 'https://idp.example.com:99999/t'),
  fc.webUrl(),
);

const statuses = fc.oneof(fc.constant(200), fc.constantFrom(301, 400, 404, 500, 503)).filter((s) => ![204, 205, 304].includes(s));

const ALLOWED = ['discovery_failed', 'invalid_authority', 'network_error', 'invalid_response', 'response_too_large'];

/** An Authority that resolved must name https endpoints and a string issuer. */
function assertUsable(authority: { metadata: Record<string, unknown> }): void {
  assert.equal(typeof authority.metadata.issuer, 'string');
  for (const name of ['authorization_endpoint', 'token_endpoint']) {
    assert.ok(typeof authority.metadata[name] === 'string' && (authority.metadata[name] as string).startsWith('https://'), name);
  }
  for (const name of ['device_authorization_endpoint', 'jwks_uri']) {
    const value = authority.metadata[name];
    assert.ok(value === undefined || (typeof value === 'string' && value.startsWith('https://')), name);
  }
}

/** A fetch serving fixed texts by URL; any other URL fails as the network would. */
function fetchServing(routes: Map<string, { status: number; text: string }>): FetchLike {
  return async (url) => {
    const route = routes.get(url);
    if (!route) throw new TypeError('fetch failed');
    return new Response(route.text, { status: route.status, headers: { 'content-type': 'application/json' } });
  };
}

describe('resolveAuthority: properties', () => {
  test('any OpenID Connect discovery answer resolves to https endpoints or fails typed', async () => {
    const doc = fc.oneof(
      mutatedDocument(OIDC_DISCOVERY),
      fc.record({ field: fc.constantFrom(...Object.keys(OIDC_DISCOVERY)), value: urlValue }).map(({ field, value }) => ({ ...OIDC_DISCOVERY, [field]: value })),
    );
    await fc.assert(
      fc.asyncProperty(statuses, bodyText(doc), async (status, text) => {
        const cache = memoryCache();
        const routes = new Map([[`${OIDC}/.well-known/openid-configuration`, { status, text }]]);
        const authority = await typedOrValueAsync(() => resolveAuthority({ oidcAuthority: OIDC }, new HttpPipeline(fetchServing(routes), cache), cache, new LogContext()), ALLOWED);
        if (authority) assertUsable(authority);
      }),
      runOptions(8414),
    );
    // The valid document still resolves.
    const cache = memoryCache();
    const routes = new Map([[`${OIDC}/.well-known/openid-configuration`, { status: 200, text: JSON.stringify(OIDC_DISCOVERY) }]]);
    const authority = await resolveAuthority({ oidcAuthority: OIDC }, new HttpPipeline(fetchServing(routes), cache), cache, new LogContext());
    assert.equal(authority.metadata.token_endpoint, OIDC_DISCOVERY.token_endpoint);
  });

  test('any instance discovery answer for an unknown Entra host resolves or fails typed', async () => {
    const host = 'login.contoso.example';
    const query = new URLSearchParams({ 'api-version': '1.1', authorization_endpoint: `https://${host}/contoso/oauth2/v2.0/authorize` });
    const instanceUrl = `https://login.microsoftonline.com/common/discovery/instance?${query}`;
    const tenantDiscovery = `https://${host}/contoso/v2.0/.well-known/openid-configuration`;
    const validInstance = {
      tenant_discovery_endpoint: tenantDiscovery,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host, 'login2.contoso.example'] }],
    };
    const aliasGroup = mutatedDocument(validInstance.metadata[0]);
    const instance = fc.oneof(
      mutatedDocument(validInstance),
      fc.array(fc.oneof(aliasGroup, hostileValue), { maxLength: 3 }).map((metadata) => ({ ...validInstance, metadata })),
      fc.array(fc.oneof(fc.constant(host), hostileValue), { maxLength: 4 }).map((aliases) => ({ ...validInstance, metadata: [{ aliases }] })),
      urlValue.map((endpoint) => ({ ...validInstance, tenant_discovery_endpoint: endpoint })),
      fc.constant({ error: 'invalid_instance', error_description: 'AADSTS50049' }),
    );
    const tenantDoc = {
      issuer: `https://${host}/{tenantid}/v2.0`,
      authorization_endpoint: `https://${host}/contoso/oauth2/v2.0/authorize`,
      token_endpoint: `https://${host}/contoso/oauth2/v2.0/token`,
      jwks_uri: `https://${host}/contoso/discovery/v2.0/keys`,
    };
    await fc.assert(
      fc.asyncProperty(statuses, bodyText(instance), async (status, text) => {
        const cache = memoryCache();
        const routes = new Map([
          [instanceUrl, { status, text }],
          [tenantDiscovery, { status: 200, text: JSON.stringify(tenantDoc) }],
        ]);
        const authority = await typedOrValueAsync(
          () => resolveAuthority({ authority: `https://${host}/contoso` }, new HttpPipeline(fetchServing(routes), cache), cache, new LogContext()),
          ALLOWED,
        );
        if (!authority) return;
        assertUsable(authority);
        assert.equal(authority.aliases[0], host);
        for (const alias of authority.aliases) assert.equal(typeof alias, 'string');
      }),
      runOptions(8415),
    );
  });
});
