/**
 * Authorities: parsing and canonicalising the URL the app was given, finding the authority's
 * OpenID Connect metadata (tenant discovery, with Entra instance discovery in front of unknown
 * hosts) and checking issuers, including Entra's `{tenantid}` placeholder.
 */
import { AuthError, type AuthErrorCode } from './errors.js';
import { discardBody, getJson, type HttpCache, type HttpPipeline, readJsonObject } from './http.js';
import { describeUrl, type LogContext } from './logger.js';
import { isJsonObject } from './json.js';
import { isLoopbackHost, parseSecureUrl } from './secure-url.js';

/** Kinds of authority, as MSAL distinguishes them. */
export type AuthorityType = 'AAD' | 'B2C' | 'CIAM' | 'ADFS' | 'OIDC';

/** Microsoft Entra's public cloud, China and US Government hosts, for {@link AuthorityBuilder} (MSAL's names). */
export const AZURE_PUBLIC = 'login.microsoftonline.com';
export const AZURE_CHINA = 'login.chinacloudapi.cn';
export const AZURE_US_GOVERNMENT = 'login.microsoftonline.us';

/**
 * An Entra authority from a cloud host and a tenant, as MSAL's `AuthorityBuilder(AZURE_PUBLIC,
 * "contoso.onmicrosoft.com")`: pass it as `authority`. It only spells the URL; the URL's checks
 * run when the application is made, as for a string.
 */
export class AuthorityBuilder {
  constructor(
    readonly instance: string,
    readonly tenant: string,
  ) {
    if (typeof instance !== 'string' || !/^[a-z0-9.-]+(:\d+)?$/i.test(instance)) {
      throw new AuthError('invalid_authority', 'AuthorityBuilder needs a host name, such as AZURE_PUBLIC');
    }
    if (typeof tenant !== 'string' || !/^[^/?#\s]+$/.test(tenant)) {
      throw new AuthError('invalid_authority', 'AuthorityBuilder needs a tenant (an id, a domain, common, organizations or consumers)');
    }
  }

  toString(): string {
    return `https://${this.instance}/${this.tenant}`;
  }
}

/** The host MSAL asks to validate unknown Entra hosts. */
export const WORLD_WIDE_HOST = AZURE_PUBLIC;

/**
 * Microsoft Entra clouds: each group lists the hosts that serve the same accounts, the first one
 * being the preferred host. Tokens cached under one alias are found under the others.
 */
const CLOUD_ALIAS_GROUPS: readonly (readonly string[])[] = [
  [AZURE_PUBLIC, 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'],
  ['login.partner.microsoftonline.cn', AZURE_CHINA],
  [AZURE_US_GOVERNMENT, 'login.usgovcloudapi.net'],
  ['login-us.microsoftonline.com'],
  ['login.microsoftonline.de'],
];

const KNOWN_HOSTS = new Set(CLOUD_ALIAS_GROUPS.flat());

/** Whether `host` is Microsoft Entra ID's: a host of one of its clouds (any alias) or External ID's `*.ciamlogin.com`. */
export function isEntraHost(host: string): boolean {
  const name = host.toLowerCase();
  return KNOWN_HOSTS.has(name) || name.endsWith('.ciamlogin.com');
}

/** Tenant aliases that are not a tenant: the issuer then carries `{tenantid}`. */
const MULTI_TENANT_SEGMENTS = new Set(['common', 'organizations', 'consumers']);

/** The authority endpoints the library uses, from its OpenID Connect discovery document. */
export interface AuthorityMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  device_authorization_endpoint?: string;
  jwks_uri?: string;
  end_session_endpoint?: string;
  [name: string]: unknown;
}

/** What the application says about its authority. */
export interface AuthorityOptions {
  /** An Entra/B2C/CIAM/ADFS authority URL, or an {@link AuthorityBuilder}. Not with `oidcAuthority`. */
  authority?: string | AuthorityBuilder;
  /** Any OpenID Connect issuer; discovery at `<oidcAuthority>/.well-known/openid-configuration`. */
  oidcAuthority?: string;
  /** Reject Entra hosts that instance discovery does not know. Default true. */
  validateAuthority?: boolean;
  /** Ask Entra's instance discovery about unknown hosts. Default true. */
  instanceDiscovery?: boolean;
  /**
   * Accept `http://127.0.0.1`, `http://[::1]`, `http://[::ffff:127.0.0.1]` and `http://localhost`
   * authorities. Only for tests and identity providers running on this machine; every other
   * authority must use https.
   */
  allowInsecureLoopbackAuthority?: boolean;
}

function fail(message: string): never {
  throw new AuthError('invalid_authority', message);
}

/** One of the authority's URLs (itself, its issuer, an endpoint): {@link parseSecureUrl} under its loopback opt-in. */
function parseAuthorityUrl(value: unknown, what: string, code: AuthErrorCode, allowLoopback: boolean): URL {
  return parseSecureUrl(value, what, code, { allowInsecureLoopbackHttp: allowLoopback }, 'allowInsecureLoopbackAuthority');
}

/** The authority or its issuer: also without a query; returned without a trailing slash. */
function parseIssuerUrl(value: unknown, what: string, code: AuthErrorCode, allowLoopback: boolean): URL {
  const url = parseAuthorityUrl(value, what, code, allowLoopback);
  if (url.search) throw new AuthError(code, `${what} must not carry a query`);
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

/** Origin and path without a trailing slash: a URL's pathname is never empty, so the root is '/'. */
function withoutTrailingSlash(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function pathSegments(url: URL): string[] {
  return url.pathname.split('/').filter((part) => part.length > 0);
}

/** An authority whose metadata has been resolved. Build one with {@link resolveAuthority}. */
export class Authority {
  constructor(
    /** The canonical authority URL, without trailing slash. */
    readonly url: string,
    readonly type: AuthorityType,
    /** `host[:port]`: the cache's `environment`. */
    readonly instance: string,
    /** The tenant segment (`common`, a tenant id or domain, `adfs`), or the issuer path for OIDC. */
    readonly tenant: string,
    readonly metadata: AuthorityMetadata,
    /** Hosts that serve the same accounts as `instance`, `instance` first. */
    readonly aliases: readonly string[],
  ) {}

  /**
   * True for Microsoft's authorities (Entra ID, B2C, External ID / CIAM, ADFS), false for a generic
   * OpenID Connect issuer (`oidcAuthority`): what only Microsoft's servers read, such as the
   * `X-AnchorMailbox` routing hint, is sent to them alone. Elsewhere an unknown header costs, in a
   * browser, a CORS preflight the issuer need not allow.
   */
  get isMicrosoft(): boolean {
    return this.type !== 'OIDC';
  }

  /** True for `common`, `organizations` and `consumers`. */
  get isMultiTenant(): boolean {
    return this.type === 'AAD' && MULTI_TENANT_SEGMENTS.has(this.tenant.toLowerCase());
  }

  /** The issuer an ID token must carry, with Entra's `{tenantid}` filled from its `tid`. */
  expectedIssuer(claims: Record<string, unknown>): string {
    const issuer = this.metadata.issuer;
    if (!issuer.includes('{tenantid}')) return issuer;
    if (typeof claims.tid !== 'string' || claims.tid.length === 0) {
      throw new AuthError('invalid_id_token', 'the issuer is tenant-independent but the ID token has no tid claim');
    }
    return issuer.replace('{tenantid}', claims.tid);
  }
}

/** Hosts serving the same accounts as `host`, `host` first. */
export function aliasesOf(host: string): string[] {
  const group = CLOUD_ALIAS_GROUPS.find((hosts) => hosts.includes(host));
  return group ? [host, ...group.filter((alias) => alias !== host)] : [host];
}

/** How an authority URL is classified before any request. */
export interface ParsedAuthority {
  url: URL;
  type: AuthorityType;
  tenant: string;
  discoveryUrl: string;
}

/** One of Microsoft's authorities, its URL cut to `path`: discovery is under it (under `v2.0` but for ADFS). */
function microsoftAuthority(url: URL, type: AuthorityType, tenant: string, path: string): ParsedAuthority {
  url.pathname = `/${path}`;
  return { url, type, tenant, discoveryUrl: `${url.origin}/${path}${type === 'ADFS' ? '' : '/v2.0'}/.well-known/openid-configuration` };
}

/** Classifies an authority without network access: Entra, B2C, CIAM, ADFS or generic OIDC. */
export function parseAuthority(options: AuthorityOptions): ParsedAuthority {
  const allowLoopback = options.allowInsecureLoopbackAuthority === true;
  if (options.oidcAuthority !== undefined) {
    const url = parseIssuerUrl(options.oidcAuthority, 'oidcAuthority', 'invalid_authority', allowLoopback);
    return {
      url,
      type: 'OIDC',
      tenant: pathSegments(url).join('/'),
      discoveryUrl: `${withoutTrailingSlash(url)}/.well-known/openid-configuration`,
    };
  }
  const given = options.authority instanceof AuthorityBuilder ? options.authority.toString() : options.authority;
  // Never String() of anything else: an object or a boolean must not become a host name.
  if (given !== undefined && typeof given !== 'string') fail('the authority must be a URL string or an AuthorityBuilder');
  const url = parseIssuerUrl(given ?? `https://${WORLD_WIDE_HOST}/common`, 'the authority', 'invalid_authority', allowLoopback);
  const segments = pathSegments(url);
  const host = url.hostname.toLowerCase();
  if (host.endsWith('.ciamlogin.com')) {
    // CIAM authorities may omit the tenant: https://contoso.ciamlogin.com/ means contoso.onmicrosoft.com.
    const tenant = segments[0] ?? `${host.split('.')[0]}.onmicrosoft.com`;
    return microsoftAuthority(url, 'CIAM', tenant, tenant);
  }
  if (segments.length === 0) fail('the authority must name a tenant, for example https://login.microsoftonline.com/common');
  const tenant = segments[0];
  if (tenant.toLowerCase() === 'adfs') return microsoftAuthority(url, 'ADFS', 'adfs', 'adfs');
  // B2C's older `tfp` form (https://<tenant>.b2clogin.com/tfp/<tenant>/<policy>) puts the tenant
  // second: the policy is then the third segment, and discovery is at the whole path, as MSAL
  // for Python asks it. The cache realm is unaffected: it comes from the discovered token
  // endpoint (cache-realm.ts), which B2C spells without `tfp`.
  const tfp = tenant.toLowerCase() === 'tfp';
  const policyIndex = tfp ? 2 : 1;
  const isB2c = host.endsWith('.b2clogin.com') || (segments.length > policyIndex && /^b2c_/i.test(segments[policyIndex]));
  if (isB2c) {
    if (segments.length <= policyIndex) fail('a B2C authority must name its policy: https://<tenant>.b2clogin.com/<tenant>/<policy>');
    return microsoftAuthority(url, 'B2C', segments[policyIndex - 1], segments.slice(0, policyIndex + 1).join('/'));
  }
  return microsoftAuthority(url, 'AAD', tenant, tenant);
}

/** How long discovery documents are kept in the http cache. */
const METADATA_TTL_MS = 24 * 60 * 60 * 1000;

interface CachedDocument {
  expiresAt: number;
  value: Record<string, unknown>;
}

/** A fresh document from the http cache, or undefined when absent, expired or unusable. */
function readCachedDocument(cache: HttpCache, url: string): Record<string, unknown> | undefined {
  // The caller persists the http cache: an entry may come back as anything. Only a fresh JSON
  // object is served; anything else is fetched again (and then overwritten), never trusted.
  const cached = cache.get(`json:${url}`) as Partial<CachedDocument> | null | undefined;
  if (!(typeof cached?.expiresAt === 'number' && cached.expiresAt > Date.now())) return undefined;
  return isJsonObject(cached.value) ? cached.value : undefined;
}

function storeCachedDocument(cache: HttpCache, url: string, value: Record<string, unknown>, ttlMs = METADATA_TTL_MS): void {
  cache.set(`json:${url}`, { expiresAt: Date.now() + ttlMs, value } satisfies CachedDocument);
}

/** GETs a JSON document, served from the http cache while fresh. */
export async function getCachedJson(
  pipeline: HttpPipeline,
  cache: HttpCache,
  url: string,
  what: string,
  options: {
    ttlMs?: number;
    refresh?: boolean;
    headers?: Record<string, string>;
    /** Throws when the document is unusable; runs before it is cached, so a bad one is not kept. */
    validate?: (value: Record<string, unknown>) => void;
  } = {},
): Promise<Record<string, unknown>> {
  const cached = options.refresh ? undefined : readCachedDocument(cache, url);
  if (cached) return cached;
  const response = await getJson(pipeline, url, { headers: options.headers, throttleKey: `GET ${url}` });
  if (response.status !== 200) {
    await discardBody(response);
    throw new AuthError('discovery_failed', `${what}: HTTP ${response.status} from ${describeUrl(url)}`);
  }
  const value = await readJsonObject(response, what).catch((err: unknown) => {
    throw err instanceof AuthError && err.code === 'invalid_response' ? new AuthError('discovery_failed', err.message) : err;
  });
  options.validate?.(value);
  storeCachedDocument(cache, url, value, options.ttlMs);
  return value;
}

/** The endpoints the library sends to, each checked when a discovery document has it; `true`: it must. */
const ENDPOINTS = { authorization_endpoint: true, token_endpoint: true, device_authorization_endpoint: false, jwks_uri: false };

/** Checks that the discovery document speaks for the authority the app configured. */
function checkDiscoveredIssuer(parsed: ParsedAuthority, issuer: string, allowLoopback: boolean): void {
  const issuerUrl = parseIssuerUrl(issuer, "the discovery document's issuer", 'discovery_failed', allowLoopback);
  if (parsed.type === 'OIDC') {
    const expected = withoutTrailingSlash(parsed.url);
    if (issuer.replace(/\/+$/, '') !== expected) {
      throw new AuthError('discovery_failed', `the discovery document's issuer ${issuer} is not the configured authority ${expected}`);
    }
    return;
  }
  const authorityHost = parsed.url.host.toLowerCase();
  const issuerHost = issuerUrl.host.toLowerCase();
  const sameCloud = issuerHost === authorityHost || aliasesOf(authorityHost).includes(issuerHost);
  const ciamIssuer = parsed.type === 'CIAM' && issuerUrl.hostname.endsWith('.ciamlogin.com');
  if (!sameCloud && !ciamIssuer) {
    throw new AuthError('discovery_failed', `the discovery document's issuer host ${issuerHost} does not belong to ${authorityHost}`);
  }
}

/** The authority's metadata from its discovery document, once the issuer and endpoints pass. */
function checkedMetadata(parsed: ParsedAuthority, doc: Record<string, unknown>, allowLoopback: boolean): AuthorityMetadata {
  const issuer = doc.issuer;
  if (typeof issuer !== 'string') throw new AuthError('discovery_failed', 'the discovery document has no issuer');
  checkDiscoveredIssuer(parsed, issuer, allowLoopback);
  for (const [name, required] of Object.entries(ENDPOINTS)) {
    const value = doc[name];
    if (value === undefined && !required) continue;
    if (typeof value !== 'string') throw new AuthError('discovery_failed', `the discovery document has no ${name}`);
    parseAuthorityUrl(value, `the discovery document's ${name}`, 'discovery_failed', allowLoopback);
  }
  // A copy: the document in the http cache stays as it was read.
  return { ...doc } as AuthorityMetadata;
}

/** Where to send Entra instance discovery for `host`. */
function instanceDiscoveryHost(url: URL): string {
  // Known clouds and loopback test servers answer for themselves; any other host is validated
  // by the worldwide endpoint, as MSAL does.
  return KNOWN_HOSTS.has(url.hostname) || isLoopbackHost(url.hostname) ? url.origin : `https://${WORLD_WIDE_HOST}`;
}

/** Asks Entra's instance discovery about an AAD authority; returns the tenant discovery URL and aliases. */
async function discoverInstance(
  pipeline: HttpPipeline,
  cache: HttpCache,
  parsed: ParsedAuthority,
  allowLoopback: boolean,
): Promise<{ tenantDiscoveryUrl: string; aliases: string[] }> {
  const authorizeUrl = `${parsed.url.origin}/${parsed.tenant}/oauth2/v2.0/authorize`;
  const query = new URLSearchParams({ 'api-version': '1.1', authorization_endpoint: authorizeUrl });
  const url = `${instanceDiscoveryHost(parsed.url)}/common/discovery/instance?${query}`;
  let doc = readCachedDocument(cache, url);
  if (!doc) {
    // Not getCachedJson: an unknown host is answered with a 400 whose body says invalid_instance.
    const response = await getJson(pipeline, url, { throttleKey: `GET ${url}` });
    const body = await readJsonObject(response, 'instance discovery').catch(() => undefined);
    if (body && body.error === 'invalid_instance') {
      throw new AuthError('invalid_authority', `${parsed.url.host} is not a known Microsoft Entra host; set validateAuthority: false to use it anyway`);
    }
    if (response.status !== 200 || !body) throw new AuthError('discovery_failed', `instance discovery: HTTP ${response.status}`);
    doc = body;
    storeCachedDocument(cache, url, doc);
  }
  const tenantDiscoveryUrl = typeof doc.tenant_discovery_endpoint === 'string' ? doc.tenant_discovery_endpoint : parsed.discoveryUrl;
  parseAuthorityUrl(tenantDiscoveryUrl, "instance discovery's tenant_discovery_endpoint", 'discovery_failed', allowLoopback);
  const host = parsed.url.host;
  // The answer is outside input: entries may be anything, aliases anything but strings.
  const groups: unknown[] = Array.isArray(doc.metadata) ? doc.metadata : [];
  const group = groups.find((entry): entry is { aliases: unknown[] } => {
    const aliases = typeof entry === 'object' && entry !== null ? (entry as { aliases?: unknown }).aliases : undefined;
    return Array.isArray(aliases) && aliases.includes(host);
  });
  const aliases = group ? [host, ...group.aliases.filter((alias): alias is string => typeof alias === 'string' && alias !== '' && alias !== host)] : aliasesOf(host);
  return { tenantDiscoveryUrl, aliases };
}

/**
 * Resolves an authority's metadata: instance discovery when Entra needs it, then the OpenID
 * Connect discovery document, both kept in the http cache.
 */
export async function resolveAuthority(
  options: AuthorityOptions,
  pipeline: HttpPipeline,
  cache: HttpCache,
  log: LogContext,
): Promise<Authority> {
  const parsed = parseAuthority(options);
  const allowLoopback = options.allowInsecureLoopbackAuthority === true;
  let discoveryUrl = parsed.discoveryUrl;
  let aliases = aliasesOf(parsed.url.host);
  // Known clouds need no validation; any other Entra host is asked about unless told not to.
  if (parsed.type === 'AAD' && options.instanceDiscovery !== false && options.validateAuthority !== false && !KNOWN_HOSTS.has(parsed.url.hostname)) {
    const found = await discoverInstance(pipeline, cache, parsed, allowLoopback);
    discoveryUrl = found.tenantDiscoveryUrl;
    aliases = found.aliases;
  }
  log.verbose(`authority ${parsed.type} discovery at ${describeUrl(discoveryUrl)}`);
  // Checked before caching: a document naming another issuer (a hostile or misrouted answer)
  // must not be served from the http cache to every later call until it expires.
  const doc = await getCachedJson(pipeline, cache, discoveryUrl, 'OpenID Connect discovery', {
    validate: (value) => checkedMetadata(parsed, value, allowLoopback),
  });
  const metadata = checkedMetadata(parsed, doc, allowLoopback);
  const url = withoutTrailingSlash(parsed.url);
  return new Authority(url, parsed.type, parsed.url.host, parsed.tenant, metadata, aliases);
}
