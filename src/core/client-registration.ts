/**
 * Dynamic client registration (RFC 7591) of a public native client: the way in to an
 * authorization server that no configured provider knows, once the person agreed to it. And its
 * management (RFC 7592): the registration's redirect URIs replaced when the editor's callback URI
 * changed (a browser-based editor hands out a new one per window and request).
 *
 * What is registered is fixed here, not chosen by the caller: no client secret
 * (`token_endpoint_auth_method: none`), the authorization-code and refresh-token grants, the
 * caller's redirect URIs (loopback and URI handler), `application_type: native`. The answer is
 * checked before anything is returned: a registration the client cannot use (no `client_id`, a
 * secret-based authentication, redirect URIs other than ours) is a typed error, never a value the
 * caller might store.
 */
import { AuthError, ServerError } from './errors.js';
import { type FetchLike, HttpPipeline, type HttpResponse, readJsonObject } from './http.js';
import { isStringArray, nonEmptyString } from './json.js';
import { describeUrl } from './logger.js';
import type { AuthorizationServerMetadata, ResourceDiscoveryOptions } from './resource-metadata.js';
import { isLoopbackHost, parseSecureUrl } from './secure-url.js';
import { serverErrorFrom } from './token-response.js';

/** What the caller says about the client to register. */
export interface NativeClientRegistrationOptions extends Pick<ResourceDiscoveryOptions, 'allowInsecureLoopbackHttp' | 'signal'> {
  /** Shown by the authorization server on its consent page. */
  clientName: string;
  /** Loopback (`http://127.0.0.1/callback`, any port at sign-in, RFC 8252 §7.3) and URI-handler URIs. */
  redirectUris: readonly string[];
  /** Space-separated scopes the client will ask for, when the server wants them declared. */
  scope?: string;
  softwareId?: string;
  softwareVersion?: string;
  /** An RFC 7591 §3 initial access token, for servers that do not allow open registration. */
  initialAccessToken?: string;
}

/** A registration the client can use; field names are the wire's, ready to be stored per issuer. */
export interface NativeClientRegistration {
  /** The issuer the registration belongs to (never from the response). */
  issuer: string;
  client_id: string;
  redirect_uris: string[];
  token_endpoint_auth_method: 'none';
  grant_types: string[];
  client_id_issued_at?: number;
  /**
   * RFC 7592 management, when the server offers it: the client configuration endpoint and the
   * Bearer token for it. A secret: it never reaches a log. Registrations stored before the update
   * existed may lack both; they still load, and are then not manageable.
   */
  registration_client_uri?: string;
  registration_access_token?: string;
}

/** A registration the server lets this client manage (RFC 7592). */
export type ManageableClientRegistration = NativeClientRegistration & Required<Pick<NativeClientRegistration, 'registration_client_uri' | 'registration_access_token'>>;

/** The metadata an update sends again: everything a registration sends, the same way (RFC 7592 §2.2 replaces it all). */
export type NativeClientUpdateOptions = Omit<NativeClientRegistrationOptions, 'initialAccessToken'>;

const GRANT_TYPES = ['authorization_code', 'refresh_token'] as const;

/** Schemes a redirect must never use: they run code or read local files in the browser. */
const FORBIDDEN_SCHEMES: ReadonlySet<string> = new Set(['javascript:', 'data:', 'file:', 'blob:', 'about:', 'vbscript:', 'ftp:', 'ws:', 'wss:']);

/**
 * Checks a native client's redirect URI (RFC 8252 §7): a private-use scheme (`vscode://…`), https
 * (a claimed URI, as an editor in a browser has), or http on a loopback host; never a fragment.
 */
function checkRedirectUri(value: string): void {
  const refuse = (problem: string) => new AuthError('invalid_argument', `a redirect URI ${problem}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse('is not an absolute URI');
  }
  if (url.hash || value.includes('#')) throw refuse('must not carry a fragment');
  if (FORBIDDEN_SCHEMES.has(url.protocol)) throw refuse(`must not use ${url.protocol}`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) throw refuse('with http must name a loopback host (RFC 8252 §7.3)');
}

/** An answer of the registration endpoint that this client cannot use. */
function unusable(what: string, problem: string): AuthError {
  return new AuthError('invalid_response', `${what}: ${problem}`);
}

/** The registration request's JSON body (RFC 7591 §2). */
export function nativeClientRegistrationRequest(options: NativeClientRegistrationOptions): Record<string, unknown> {
  if (typeof options.clientName !== 'string' || options.clientName.trim() === '') throw new AuthError('invalid_argument', 'clientName is required');
  if (!Array.isArray(options.redirectUris) || options.redirectUris.length === 0) throw new AuthError('invalid_argument', 'at least one redirect URI is required');
  for (const uri of options.redirectUris) checkRedirectUri(uri);
  return {
    client_name: options.clientName,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: [...GRANT_TYPES],
    response_types: ['code'],
    redirect_uris: [...options.redirectUris],
    ...(options.scope ? { scope: options.scope } : {}),
    ...(options.softwareId ? { software_id: options.softwareId } : {}),
    ...(options.softwareVersion ? { software_version: options.softwareVersion } : {}),
  };
}

/**
 * Checks a registration response body (RFC 7591 §3.2.1) against what was asked. The server may
 * change what it was sent; changes this client cannot live with are refused: another
 * authentication method (it would need a secret a native client cannot keep), redirect URIs that
 * leave one of ours out, grants without the authorization code.
 */
export function checkRegistrationResponse(body: Record<string, unknown>, issuer: string, request: Record<string, unknown>): NativeClientRegistration {
  const what = 'client registration response';
  const clientId = nonEmptyString(body.client_id);
  if (!clientId) throw unusable(what, 'it has no client_id');
  const method = body.token_endpoint_auth_method;
  if (method !== undefined && method !== 'none') throw unusable(what, `the server registered token_endpoint_auth_method ${String(method)}, not none`);
  const asked = request.redirect_uris as string[];
  const redirects = body.redirect_uris;
  if (redirects !== undefined) {
    if (!isStringArray(redirects)) throw unusable(what, 'redirect_uris is not an array of strings');
    if (!asked.every((uri) => redirects.includes(uri))) throw unusable(what, 'the server did not register every redirect URI');
  }
  const grants = body.grant_types;
  if (grants !== undefined) {
    if (!isStringArray(grants)) throw unusable(what, 'grant_types is not an array of strings');
    if (!grants.includes('authorization_code')) throw unusable(what, 'the server did not grant authorization_code');
  }
  const registration: NativeClientRegistration = {
    issuer,
    client_id: clientId,
    redirect_uris: [...(redirects ?? asked)],
    token_endpoint_auth_method: 'none',
    grant_types: [...(grants ?? GRANT_TYPES)],
  };
  if (typeof body.client_id_issued_at === 'number') registration.client_id_issued_at = body.client_id_issued_at;
  if (typeof body.registration_client_uri === 'string' && typeof body.registration_access_token === 'string') {
    registration.registration_client_uri = body.registration_client_uri;
    registration.registration_access_token = body.registration_access_token;
  }
  return registration;
}

/** Sends a client's metadata as JSON (RFC 7591 POST, RFC 7592 PUT), with the bearer token the server asks for, if any. */
function sendClientMetadata(
  fetchLike: FetchLike,
  method: 'POST' | 'PUT',
  endpoint: string,
  request: Record<string, unknown>,
  token: string | undefined,
  signal: AbortSignal | undefined,
): Promise<HttpResponse> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return new HttpPipeline(fetchLike, new Map()).send(endpoint, { method, headers, body: JSON.stringify(request), signal });
}

/**
 * Registers a public native client at `metadata.registration_endpoint`. Fails with `not_supported`
 * when the server has none, a {@link ServerError} when it refuses (RFC 7591 §3.2.2), and
 * `invalid_response` when its answer is unusable. Send it only with the person's consent.
 */
export async function registerNativeClient(
  fetchLike: FetchLike,
  metadata: AuthorizationServerMetadata,
  options: NativeClientRegistrationOptions,
): Promise<NativeClientRegistration> {
  if (metadata.registration_endpoint === undefined) {
    throw new AuthError('not_supported', `${describeUrl(metadata.issuer)} does not offer dynamic client registration`);
  }
  const endpoint = parseSecureUrl(metadata.registration_endpoint, 'the registration endpoint', 'discovery_failed', options).href;
  const request = nativeClientRegistrationRequest(options);
  const response = await sendClientMetadata(fetchLike, 'POST', endpoint, request, options.initialAccessToken, options.signal);
  const body = await readJsonObject(response, 'client registration response');
  if (typeof body.error === 'string') throw serverErrorFrom(body, response.status);
  // RFC 7591 §3.2.1 says 201; some servers answer 200, which carries the same document.
  if (response.status !== 201 && response.status !== 200) throw unusable('client registration', `HTTP ${response.status}`);
  return checkRegistrationResponse(body, metadata.issuer, request);
}

/** Whether the server gave what RFC 7592 management needs: a client configuration endpoint and its token. */
export function isManageableRegistration(registration: NativeClientRegistration): registration is ManageableClientRegistration {
  return nonEmptyString(registration.registration_client_uri) !== undefined && nonEmptyString(registration.registration_access_token) !== undefined;
}

/**
 * The update request's JSON body (RFC 7592 §2.2): the full metadata, as at registration, with the
 * client's id; never the fields the server owns (`registration_access_token`,
 * `registration_client_uri`, `client_id_issued_at`, `client_secret_expires_at`).
 */
export function nativeClientUpdateRequest(registration: NativeClientRegistration, options: NativeClientUpdateOptions): Record<string, unknown> {
  return { ...nativeClientRegistrationRequest(options), client_id: registration.client_id };
}

/**
 * Checks the answer to an update (RFC 7592 §2.2): 200 with the client's information, the same
 * `client_id`, and every redirect URI asked for (the checks of a registration). A new
 * `registration_access_token` replaces the old one (RFC 7592 §3: the old one may be dead now);
 * without one the old one stays, as does a `registration_client_uri` the answer leaves out.
 * Refusals are {@link ServerError}s: 401 `invalid_token` (an unknown or rotated token), 403 (the
 * server does not let this client change itself), 400 `invalid_redirect_uri` or
 * `invalid_client_metadata`.
 */
export async function processClientUpdateResponse(response: HttpResponse, registration: ManageableClientRegistration, request: Record<string, unknown>): Promise<ManageableClientRegistration> {
  const what = 'client update response';
  // A refusal without an OAuth body still has its status to tell.
  const body = await readJsonObject(response, what).catch((err: unknown) => {
    if (response.status === 401 || response.status === 403 || response.status === 404) throw new ServerError({ error: response.status === 401 ? 'invalid_token' : 'access_denied', status: response.status });
    throw err;
  });
  if (typeof body.error === 'string') throw serverErrorFrom(body, response.status);
  if (response.status !== 200) throw unusable('client update', `HTTP ${response.status}`);
  if (body.client_id !== registration.client_id) throw unusable(what, 'the client_id is not the registered one');
  const updated = checkRegistrationResponse(body, registration.issuer, request);
  return {
    ...updated,
    ...(registration.client_id_issued_at === undefined || updated.client_id_issued_at !== undefined ? {} : { client_id_issued_at: registration.client_id_issued_at }),
    registration_client_uri: nonEmptyString(body.registration_client_uri) ?? registration.registration_client_uri,
    registration_access_token: nonEmptyString(body.registration_access_token) ?? registration.registration_access_token,
  };
}

/**
 * Replaces the metadata of a registered client (RFC 7592 §2.2: `PUT registration_client_uri` with
 * `Authorization: Bearer <registration_access_token>`) with `options`' — in practice, new redirect
 * URIs. Fails with `not_supported` when the registration is not manageable (the server gave no
 * configuration endpoint or token), a {@link ServerError} when the server refuses, and
 * `invalid_response` when its answer is unusable; the caller stores what it returns (its token may
 * have been rotated).
 */
export async function updateNativeClient(
  fetchLike: FetchLike,
  registration: NativeClientRegistration,
  options: NativeClientUpdateOptions,
): Promise<ManageableClientRegistration> {
  if (!isManageableRegistration(registration)) {
    throw new AuthError('not_supported', `the client registered at ${describeUrl(registration.issuer)} cannot be updated: the server gave no registration_client_uri and registration_access_token (RFC 7592)`);
  }
  const endpoint = parseSecureUrl(registration.registration_client_uri, 'the client configuration endpoint', 'invalid_argument', options).href;
  const request = nativeClientUpdateRequest(registration, options);
  const response = await sendClientMetadata(fetchLike, 'PUT', endpoint, request, registration.registration_access_token, options.signal);
  return processClientUpdateResponse(response, registration, request);
}
