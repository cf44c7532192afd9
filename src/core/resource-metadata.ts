/**
 * From a protected resource's 401 to the authorization server that can let us in: the resource's
 * `WWW-Authenticate` challenge, its protected resource metadata (RFC 9728) and the authorization
 * server's metadata (RFC 8414, falling back to OpenID Connect discovery).
 *
 * Each document is checked before anything in it is used, because the first one comes from the
 * resource, not from anyone we trust: a resource could otherwise name any issuer and receive the
 * tokens the person gets there. Every URL must be https (http only on a loopback host, and only with
 * `allowInsecureLoopbackHttp`); the metadata must speak for the URL that was requested; the
 * authorization server's metadata must carry exactly the issuer it was fetched for.
 */
import { AuthError } from './errors.js';
import { discardBody, type FetchLike, getJson, HttpPipeline, readJsonObject } from './http.js';
import { isStringArray } from './json.js';
import { describeUrl } from './logger.js';
import { parseSecureUrl } from './secure-url.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

/** Options shared by every step. */
export interface ResourceDiscoveryOptions {
  /**
   * Accept `http://` URLs whose host is a loopback address (127.0.0.1, [::1], localhost) for
   * resources, metadata and issuers. Only for tests and servers on this machine: everything else
   * must be https, whatever this says.
   */
  allowInsecureLoopbackHttp?: boolean;
  /**
   * Require the metadata's `resource` to be exactly the requested URL (RFC 9728 §3.3 as published)
   * instead of the same origin and a path prefix of it (draft-mcguinness-oauth-rfc9728bis). Default false.
   */
  exactResourceMatch?: boolean;
  signal?: AbortSignal;
}

/** A `Bearer` or `DPoP` challenge of a resource's 401/403, with the parameters this flow reads. */
export interface ResourceChallenge {
  scheme: 'bearer' | 'dpop';
  /** RFC 9728 §5.1: where the resource's metadata is. */
  resourceMetadata?: string;
  /** RFC 6750 §3: the scope the resource needs (space-separated). */
  scope?: string;
  /** `invalid_token`, `insufficient_scope`, `insufficient_claims`, `use_dpop_nonce`, ... */
  error?: string;
  errorDescription?: string;
  /** The `claims` parameter as sent (base64 JSON), for an `insufficient_claims` step-up. */
  claims?: string;
  /** DPoP challenges (RFC 9449 §7.1): the algorithms the resource accepts for proofs. */
  algs?: string[];
}

/** Protected resource metadata (RFC 9728 §2) that passed its checks. */
export interface ProtectedResourceMetadata {
  resource: string;
  /** Issuer identifiers, at least one, each an https URL (or loopback http when allowed). */
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported?: string[];
  resource_name?: string;
  dpop_signing_alg_values_supported?: string[];
  dpop_bound_access_tokens_required?: boolean;
  [name: string]: unknown;
}

/** Authorization server metadata (RFC 8414 §2 / OpenID Connect Discovery) that passed its checks. */
export interface AuthorizationServerMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  registration_endpoint?: string;
  jwks_uri?: string;
  device_authorization_endpoint?: string;
  code_challenge_methods_supported?: string[];
  dpop_signing_alg_values_supported?: string[];
  [name: string]: unknown;
}

/** What the discovery learnt from one 401. */
export interface ResourceDiscovery {
  challenge: ResourceChallenge;
  resourceMetadata: ProtectedResourceMetadata;
  /** Where the resource metadata was read. */
  resourceMetadataUrl: string;
}

/** What the two documents are called in errors. */
const PROTECTED_RESOURCE_METADATA = 'protected resource metadata';
const AUTHORIZATION_SERVER_METADATA = 'authorization server metadata';

const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';
const OAUTH_AS_WELL_KNOWN = '/.well-known/oauth-authorization-server';
const OPENID_WELL_KNOWN = '/.well-known/openid-configuration';

/** The challenge's text parameters this flow reads, with the field each fills. */
const CHALLENGE_PARAMETERS: readonly ['resourceMetadata' | 'scope' | 'error' | 'errorDescription' | 'claims', string][] = [
  ['resourceMetadata', 'resource_metadata'],
  ['scope', 'scope'],
  ['error', 'error'],
  ['errorDescription', 'error_description'],
  ['claims', 'claims'],
];

/** The Bearer and DPoP challenges of a `WWW-Authenticate` value, in header order. Malformed: `invalid_response`. */
export function parseResourceChallenges(header: string): ResourceChallenge[] {
  const challenges: ResourceChallenge[] = [];
  for (const parsed of parseWwwAuthenticate(header)) {
    if (parsed.scheme !== 'bearer' && parsed.scheme !== 'dpop') continue;
    const p = parsed.params;
    const challenge: ResourceChallenge = { scheme: parsed.scheme };
    for (const [field, name] of CHALLENGE_PARAMETERS) if (p[name] !== undefined) challenge[field] = p[name];
    if (p.algs !== undefined) challenge.algs = p.algs.split(' ').filter(Boolean);
    challenges.push(challenge);
  }
  return challenges;
}

/**
 * RFC 9728 §3.1: the metadata URL of a resource identifier, the well-known suffix inserted between
 * the host and the path (`https://r.example/api` → `https://r.example/.well-known/oauth-protected-resource/api`).
 * The query, if any, stays at the end; a terminating slash of the path is dropped first.
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = `${PROTECTED_RESOURCE_WELL_KNOWN}${path}`;
  url.hash = '';
  return url.href;
}

/** A URL as compared: normalised by the URL parser (case of scheme and host, default port), without fragment. */
function comparable(url: URL): string {
  return url.href.split('#')[0]!;
}

/**
 * Whether protected resource metadata naming `resource` may speak for a request to `requestUrl`.
 *
 * RFC 9728 §3.3 as published: when the metadata URL came from the resource's challenge, `resource`
 * must be identical to the URL the client requested. draft-mcguinness-oauth-rfc9728bis relaxes it
 * to the same origin (scheme, host, port) with a path that is a prefix of the request's: one
 * metadata document for a whole API. The prefix must end at a segment boundary: `/api` speaks for
 * `/api/items` but not for `/apis`. Both forms compare URLs as the URL parser normalises them.
 */
export function resourceMatchesRequest(resource: URL, requestUrl: URL, options: { exact?: boolean } = {}): boolean {
  if (comparable(resource) === comparable(requestUrl)) return true;
  if (options.exact === true) return false;
  if (resource.origin !== requestUrl.origin || resource.search !== '') return false;
  const prefix = resource.pathname.replace(/\/+$/, '');
  const path = requestUrl.pathname;
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

function optionalStringArray(doc: Record<string, unknown>, name: string, what: string): string[] | undefined {
  const value = doc[name];
  if (value === undefined || isStringArray(value)) return value;
  throw new AuthError('discovery_failed', `${what}: ${name} is not an array of strings`);
}

/**
 * Checks protected resource metadata read for a request to `requestUrl` (RFC 9728 §2, §3.3):
 * `resource` speaks for that URL, `authorization_servers` lists at least one acceptable issuer.
 * `expectedResource`, when given, is the identifier whose well-known URL was read (§3.1 discovery
 * without a challenge): then `resource` must be exactly it.
 */
export function checkProtectedResourceMetadata(
  doc: Record<string, unknown>,
  requestUrl: string,
  options: ResourceDiscoveryOptions & { expectedResource?: string } = {},
): ProtectedResourceMetadata {
  const what = PROTECTED_RESOURCE_METADATA;
  const requested = parseSecureUrl(requestUrl, 'the requested URL', 'invalid_argument', options);
  if (typeof doc.resource !== 'string') throw new AuthError('discovery_failed', `${what} has no resource`);
  const resource = parseSecureUrl(doc.resource, `${what}'s resource`, 'discovery_failed', options);
  const matches = options.expectedResource !== undefined
    ? comparable(resource) === comparable(new URL(options.expectedResource))
    : resourceMatchesRequest(resource, requested, { exact: options.exactResourceMatch === true });
  if (!matches) {
    throw new AuthError('resource_mismatch', `${what} names the resource ${describeUrl(doc.resource)}, which does not cover the requested ${describeUrl(requestUrl)}`);
  }
  const servers = optionalStringArray(doc, 'authorization_servers', what);
  if (servers === undefined || servers.length === 0) throw new AuthError('discovery_failed', `${what} names no authorization server`);
  for (const server of servers) {
    const url = parseSecureUrl(server, `${what}'s authorization server`, 'invalid_authority', options);
    if (url.search) throw new AuthError('invalid_authority', `${what}'s authorization server ${describeUrl(server)} carries a query`);
  }
  const requiresDpop = doc.dpop_bound_access_tokens_required;
  if (requiresDpop !== undefined && typeof requiresDpop !== 'boolean') {
    throw new AuthError('discovery_failed', `${what}: dpop_bound_access_tokens_required is not a boolean`);
  }
  for (const name of ['scopes_supported', 'bearer_methods_supported', 'dpop_signing_alg_values_supported']) optionalStringArray(doc, name, what);
  return { ...doc, resource: doc.resource, authorization_servers: servers } as ProtectedResourceMetadata;
}

/** GETs a JSON object: 200 and a JSON object, or undefined (the caller decides whether to try elsewhere). */
async function getJsonObject(fetchLike: FetchLike, url: string, what: string, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
  // Nothing here is throttled: the pipeline is there for its typed transport errors.
  const response = await getJson(new HttpPipeline(fetchLike, new Map()), url, { signal });
  if (response.status !== 200) {
    await discardBody(response);
    return undefined;
  }
  return readJsonObject(response, what).catch((err: unknown) => {
    if (err instanceof AuthError && err.code === 'invalid_response') return undefined;
    throw err;
  });
}

/**
 * Reads and checks the protected resource metadata for a request to `requestUrl` that was
 * answered with `challenge`. With a `resource_metadata` parameter, that URL is read; without one,
 * the well-known URL of the request's path, then of its origin (RFC 9728 §3.1; each must then
 * name exactly the identifier it was derived from).
 */
export async function fetchProtectedResourceMetadata(
  fetchLike: FetchLike,
  requestUrl: string,
  challenge: ResourceChallenge | undefined,
  options: ResourceDiscoveryOptions = {},
): Promise<{ metadata: ProtectedResourceMetadata; url: string }> {
  const requested = parseSecureUrl(requestUrl, 'the requested URL', 'invalid_argument', options);
  if (challenge?.resourceMetadata !== undefined) {
    const url = parseSecureUrl(challenge.resourceMetadata, 'the resource_metadata URL', 'discovery_failed', options).href;
    const doc = await getJsonObject(fetchLike, url, PROTECTED_RESOURCE_METADATA, options.signal);
    if (doc === undefined) throw new AuthError('discovery_failed', `no ${PROTECTED_RESOURCE_METADATA} at ${describeUrl(url)}`);
    return { metadata: checkProtectedResourceMetadata(doc, requestUrl, options), url };
  }
  const identifiers = [`${requested.origin}${requested.pathname}`, requested.origin];
  for (const identifier of new Set(identifiers.map((id) => id.replace(/\/+$/, '') || id))) {
    const url = protectedResourceMetadataUrl(identifier);
    const doc = await getJsonObject(fetchLike, url, PROTECTED_RESOURCE_METADATA, options.signal);
    if (doc !== undefined) return { metadata: checkProtectedResourceMetadata(doc, requestUrl, { ...options, expectedResource: identifier }), url };
  }
  throw new AuthError('discovery_failed', `${describeUrl(requestUrl)} publishes no ${PROTECTED_RESOURCE_METADATA}`);
}

/**
 * Where an issuer's metadata may be, in the order they are tried: RFC 8414 §3.1 (well-known
 * suffix inserted before the issuer's path), OpenID Connect discovery with the same insertion,
 * then OpenID Connect Discovery 1.0 §4 (suffix appended to the issuer). Without a path, the first
 * and last coincide.
 */
export function authorizationServerMetadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  const at = (suffix: string) => `${url.origin}${suffix}`;
  if (path === '') return [at(OAUTH_AS_WELL_KNOWN), at(OPENID_WELL_KNOWN)];
  return [at(`${OAUTH_AS_WELL_KNOWN}${path}`), at(`${OPENID_WELL_KNOWN}${path}`), at(`${path}${OPENID_WELL_KNOWN}`)];
}

/** The endpoints this client would send to, each checked when the metadata has it; `true`: it must. */
const AS_ENDPOINTS = { authorization_endpoint: true, token_endpoint: true, registration_endpoint: false, jwks_uri: false, device_authorization_endpoint: false };

/**
 * Checks an authorization server's metadata read for `issuer` (RFC 8414 §3.3): `issuer` is
 * identical to the one asked for, and the endpoints this client would send to are https URLs
 * (loopback http with the opt-in).
 */
export function checkAuthorizationServerMetadata(doc: Record<string, unknown>, issuer: string, options: ResourceDiscoveryOptions = {}): AuthorizationServerMetadata {
  const what = AUTHORIZATION_SERVER_METADATA;
  parseSecureUrl(issuer, 'the issuer', 'invalid_authority', options);
  if (doc.issuer !== issuer) {
    throw new AuthError('discovery_failed', `${what} names the issuer ${typeof doc.issuer === 'string' ? describeUrl(doc.issuer) : '<none>'}, not ${describeUrl(issuer)}`);
  }
  for (const [name, required] of Object.entries(AS_ENDPOINTS)) {
    if (doc[name] === undefined && !required) continue;
    if (doc[name] === undefined) throw new AuthError('discovery_failed', `${what} has no ${name}`);
    parseSecureUrl(doc[name], `${what}'s ${name}`, 'discovery_failed', options);
  }
  for (const name of ['code_challenge_methods_supported', 'dpop_signing_alg_values_supported', 'grant_types_supported']) optionalStringArray(doc, name, what);
  return doc as AuthorizationServerMetadata;
}

/**
 * Reads and checks an issuer's metadata at each of {@link authorizationServerMetadataUrls} in turn.
 * A URL that answers something other than a JSON object with status 200 is skipped; a document
 * that fails its checks (another issuer, an http endpoint) stops the search: the server answered,
 * and what it said must not be used.
 */
export async function fetchAuthorizationServerMetadata(fetchLike: FetchLike, issuer: string, options: ResourceDiscoveryOptions = {}): Promise<AuthorizationServerMetadata> {
  parseSecureUrl(issuer, 'the issuer', 'invalid_authority', options);
  for (const url of authorizationServerMetadataUrls(issuer)) {
    const doc = await getJsonObject(fetchLike, url, AUTHORIZATION_SERVER_METADATA, options.signal);
    if (doc !== undefined) return checkAuthorizationServerMetadata(doc, issuer, options);
  }
  throw new AuthError('discovery_failed', `${describeUrl(issuer)} publishes no ${AUTHORIZATION_SERVER_METADATA}`);
}

/**
 * The first step of the authenticated fetch after a 401: picks the challenge to follow (the first
 * Bearer or DPoP challenge naming its metadata, else the first of either) and reads the resource's
 * metadata. Throws `invalid_response` when the header carries neither scheme.
 */
export async function discoverProtectedResource(
  fetchLike: FetchLike,
  requestUrl: string,
  wwwAuthenticate: string,
  options: ResourceDiscoveryOptions = {},
): Promise<ResourceDiscovery> {
  const challenges = parseResourceChallenges(wwwAuthenticate);
  const challenge = challenges.find((c) => c.resourceMetadata !== undefined) ?? challenges[0];
  if (challenge === undefined) throw new AuthError('invalid_response', 'the resource answered with neither a Bearer nor a DPoP challenge');
  const { metadata, url } = await fetchProtectedResourceMetadata(fetchLike, requestUrl, challenge, options);
  return { challenge, resourceMetadata: metadata, resourceMetadataUrl: url };
}
