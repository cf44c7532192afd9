// The test identity provider: one HTTP(S) server on 127.0.0.1 (random port) with two faces.
//
//   /oidc/...                      generic OpenID Connect provider, issuer <origin>/oidc
//                                  (or at /..., issuer <origin> or <origin>/: the oidcPath option)
//   /<tenant>/...                  Entra-shaped provider for <tenant> in TENANT_SEGMENTS,
//                                  issuer <origin>/<TENANT_ID>/v2.0
//   /<tenant>/v2.0/.well-known/openid-configuration    Entra discovery
//   /<tenant>/discovery/instance                        Entra instance discovery
//   /tfp/<tenant>/<policy>/v2.0/.well-known/openid-configuration   B2C discovery (endpoints under
//                                  /<tenant>/<policy lower-cased>/...); /<tenant>/<policy>/... B2C paths
//   <mount>/interaction/<uid>[/login|/confirm]          login and consent pages
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type Provider from 'oidc-provider';
import type { OIDCProviderError } from 'oidc-provider';
import { SignJWT, createLocalJWKSet, decodeJwt, decodeProtectedHeader, importPKCS8, jwtVerify } from 'jose';
import { randomUUID } from 'node:crypto';
import {
  CLIENT_ASSERTION_TYPE,
  CONFIDENTIAL_CERT_CLIENT_ID,
  CONFIDENTIAL_CLIENT_SECRET,
  CONFIDENTIAL_SECRET_CLIENT_ID,
  PUBLIC_CLIENT_ID,
} from './clients.js';
import {
  reissueFamilyRefreshToken,
  ENTRA_DISCOVERY_PATH,
  ENTRA_ROUTES,
  entraIssuer,
  answerInstanceDiscovery,
  makeInvalidTenantError,
  looksLikeTenant,
  matchTenantSegment,
  normalizeTokenRequest,
  TENANT_ID,
} from './entra-layer.js';
import { handleInteraction, readForm, sendHtml } from './interactions.js';
import { getClientCertificate, getSigningJwk, toPublicJwk, type ClientCertificate } from './keys.js';
import { renderErrorPage } from './pages.js';
import { interceptJsonResponse, type TokenTamper } from './tampering.js';
import { answerOpenEndpointCors, applyCorsMode, makeClientBasedCors, type CorsMode } from './cors.js';
import { createFaceProvider, OIDC_ROUTES, requestMounts, type FaceName, type RequestMount } from './provider.js';
import type { ProtocolFeatureOptions } from './protocol-features.js';

export { ACCOUNTS, type AccountName, type TestAccount } from './accounts.js';
export {
  CONFIDENTIAL_CERT_CLIENT_ID,
  CONFIDENTIAL_CLIENT_REDIRECT_URIS,
  CONFIDENTIAL_CLIENT_SECRET,
  CONFIDENTIAL_SECRET_CLIENT_ID,
  DEVICE_CODE_GRANT_TYPE,
  FAMILY_CLIENT_B_ID,
  JWT_BEARER_GRANT_TYPE,
  CLIENT_ASSERTION_TYPE,
  PUBLIC_CLIENT_ID,
  PUBLIC_CLIENT_REDIRECT_URIS,
} from './clients.js';
export { TENANT_DOMAIN, TENANT_ID, TENANT_SEGMENTS, encodeClientInfo } from './entra-layer.js';
export { DEMO_API, DEMO_API_SCOPES, DOWNSTREAM_API, DOWNSTREAM_API_SCOPES } from './resources.js';
export type { ClientCertificate } from './keys.js';
export { forgeIdToken, type Signing, type TamperedAnswer, type TokenTamper } from './tampering.js';
export type { FaceName } from './provider.js';
export type { CorsMode } from './cors.js';

export interface IdpOptions {
  /** Lifetime of every access token, in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Rotate refresh tokens on use (default true); reusing a rotated one revokes the grant. */
  rotateRefreshToken?: boolean;
  /** Seconds; the Entra face adds `refresh_in` to token responses. */
  refreshIn?: number;
  /** Seconds between device code polls, sent as `interval` by the Entra face (default 5). */
  devicePollInterval?: number;
  /** Approve consent steps without showing the consent page (default false). */
  autoConsent?: boolean;
  /** Serve https with this certificate and key instead of http. */
  https?: { cert: string | Buffer; key: string | Buffer };
  /**
   * The host name in the IdP's URLs (origin, issuers), default `127.0.0.1`. The server always
   * listens on 127.0.0.1; `[::ffff:7f00:1]` (IPv4-mapped 127.0.0.1) reaches the same socket while
   * a browser does not treat it as localhost: code-server then opens the IdP's pages directly
   * instead of through its /proxy/<port>/ path, which rewrites authorization URLs.
   */
  host?: '127.0.0.1' | '[::ffff:7f00:1]';
  /**
   * The origin clients see when a reverse proxy on 127.0.0.1 sits in front of the server (the
   * fault-injecting proxy of test/support/fault-proxy.ts): issuers and endpoints name the proxy,
   * so every request goes through it. Overrides `host`.
   */
  publicOrigin?: string;
  /** Port on 127.0.0.1; default 0 (a free one). A busy port fails the start with EADDRINUSE. */
  port?: number;
  /**
   * Where the generic face lives, default `/oidc` (issuer `<origin>/oidc`). `''` puts it at the
   * host root with issuer `<origin>` (Okta's org server), `'/'` at the root with issuer
   * `<origin>/` (Auth0, LemonLDAP::NG): the issuer shapes that have no path to take a realm from.
   * The Entra face's tenant paths are still served beside it.
   */
  oidcPath?: '/oidc' | '' | '/';
  /** A `tid` claim in the generic face's ID tokens (some root issuers send one, not being Entra). */
  oidcTenantClaim?: string;
  /**
   * Entra face: client ids of a "family of client IDs" (e.g. `['public-client', 'family-client-b']`).
   * Their token responses carry `foci: "1"`, and a refresh token issued to one of them can be
   * redeemed by another (see reissueFamilyRefreshToken in entra-layer.ts). Default: no family.
   */
  familyClients?: readonly string[];
  /**
   * DPoP (on by default in oidc-provider 9; `false` turns it off, `{ requireNonce: true }` makes
   * the token endpoint demand a server nonce). See protocol-features.ts.
   */
  dpop?: ProtocolFeatureOptions['dpop'];
  /** Open dynamic client registration (RFC 7591) at `<oidcIssuer>/reg`, generic face only. Default off. */
  registration?: boolean;
  /**
   * How browsers' cross-origin requests are answered (cors.ts): `'any-origin'` (default),
   * `'registered-origins'` as a provider that serves single-page apps, `'refused'` not at all.
   */
  cors?: CorsMode;
}

/** What throttleNextTokenRequest answers. */
export interface ThrottleAnswer {
  /** Default 429. */
  status?: number;
  /** Plain text, default `Too Many Requests`. */
  body?: string;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
}

export interface RequestLogEntry {
  method: string;
  /** Path without the query. */
  path: string;
  /** Path and query exactly as received (`req.url`): what a browser or client really sent. */
  url: string;
  /** Date.now() when the request arrived. */
  time: number;
  /** Response status, set when the response has been sent. */
  status?: number;
  /**
   * Token requests of the Entra face only: the form's parameter names (never their values) and
   * its `claims` (a claims request, no secret), so that tests can see a claims challenge arrive.
   */
  tokenForm?: { names: string[]; claims?: string };
}

export interface IdpErrorRecord {
  /** Absent for errors of the router itself. */
  face?: FaceName;
  /** The oidc-provider event: grant.error, server_error, authorization.error, ... */
  event: string;
  error: string;
  description?: string;
  /** The diagnostic detail oidc-provider keeps out of responses. */
  detail?: string;
}

export interface IdpUrls {
  /** `http://127.0.0.1:PORT` (or the `host` option's name) */
  origin: string;
  /** `<origin>/oidc`, or `<origin>` / `<origin>/` with the `oidcPath` option. */
  oidcIssuer: string;
  /** `<origin>/<tenant>`, the authority MSAL is given. */
  entraAuthority(tenant?: string): string;
  /** `<origin>/<TENANT_ID>/v2.0`, the `iss` of the Entra face's tokens. */
  entraIssuer: string;
}

export interface Idp {
  readonly port: number;
  readonly urls: IdpUrls;
  /** Every request the server handled, in arrival order. */
  readonly requests: RequestLogEntry[];
  /** `error_detail` (or the description when there is none) of every grant.error and server_error. */
  readonly grantErrors: string[];
  /** Every error event of both providers. */
  readonly errors: IdpErrorRecord[];
  /** Key and self-signed certificate of the `confidential-cert` client. */
  readonly clientCertificate: ClientCertificate;
  readonly providers: { readonly oidc: Provider; readonly entra: Provider };
  /**
   * RFC 7662-style answer about a token. Opaque tokens (refresh tokens, userinfo access tokens)
   * go to the introspection endpoint of `face` as `clientId` (default `confidential-secret`;
   * without `face` the Entra face is asked first). JWT access tokens, which oidc-provider neither
   * stores nor introspects, are verified here (signature, issuer, expiry) as a resource server would.
   */
  introspect(token: string, clientId?: string, face?: FaceName): Promise<Record<string, unknown>>;
  /** Lets the public client use any redirect URI starting with `prefix` (an editor's callback URL). */
  allowRedirectUriPrefix(prefix: string): void;
  /**
   * Rewrites the next token endpoint response (either face) with `tamper` after oidc-provider
   * made it: a hostile or broken identity provider, with everything before it real.
   */
  tamperNextTokenResponse(tamper: TokenTamper): void;
  /** Hooks given to tamperNextTokenResponse that no token response has used yet. */
  readonly pendingTamperCount: number;
  /**
   * Answers the next token endpoint POST (either face) with a plain-text error (429 `Too Many
   * Requests` by default, `Retry-After` when `retryAfter` is given) instead of handing it to
   * oidc-provider: nothing is redeemed, so a refresh token stays usable. Answers queue, one per request.
   */
  throttleNextTokenRequest(answer?: ThrottleAnswer): void;
  /** Closes the server and every open connection. */
  close(): Promise<void>;
}

const ERROR_EVENTS = [
  'grant.error',
  'server_error',
  'authorization.error',
  'backchannel.error',
  'discovery.error',
  'end_session.error',
  'introspection.error',
  'jwks.error',
  'revocation.error',
  'userinfo.error',
  'device_authorization.error',
  'code_verification.error',
] as const;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

/** The token endpoints of both faces. */
function isTokenPath(path: string, oidcMount: string): boolean {
  return path === `${oidcMount}${OIDC_ROUTES.token}` || path.endsWith(ENTRA_ROUTES.token);
}

const B2C_POLICY = /^b2c_1a?_[A-Za-z0-9_-]+$/i;

/**
 * `/tfp/<tenant>/<policy>/v2.0/.well-known/openid-configuration` (mounted at `/<tenant>/<policy
 * lower-cased>`) or `/<tenant>/<policy>/...` (mounted at `/<tenant>/<policy>`), for a tenant
 * segment the Entra face serves.
 */
function matchB2cPath(path: string): { tenant: string; mount: string; rest: string } | undefined {
  const segments = path.split('/').slice(1);
  if (segments[0]?.toLowerCase() === 'tfp') {
    const [, tenant = '', policy = '', ...tail] = segments;
    if (!B2C_POLICY.test(policy) || matchTenantSegment(tenant) === undefined || `/${tail.join('/')}` !== ENTRA_DISCOVERY_PATH) return undefined;
    return { tenant, mount: `/${tenant}/${policy.toLowerCase()}`, rest: ENTRA_DISCOVERY_PATH };
  }
  const [tenant = '', policy = '', ...tail] = segments;
  if (!B2C_POLICY.test(policy) || matchTenantSegment(tenant) === undefined) return undefined;
  return { tenant, mount: `/${tenant}/${policy}`, rest: tail.length === 0 ? '' : `/${tail.join('/')}` };
}

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm))?$/;

export async function startIdp(options: IdpOptions = {}): Promise<Idp> {
  const [signingJwk, certificate] = await Promise.all([getSigningJwk(), getClientCertificate()]);

  const requests: RequestLogEntry[] = [];
  const grantErrors: string[] = [];
  const errors: IdpErrorRecord[] = [];
  const sockets = new Set<Socket>();
  /** Hooks for the next token responses, one per response, oldest first (see tamperNextTokenResponse). */
  const pendingTampers: TokenTamper[] = [];
  /** Plain-text answers for the next token requests (see throttleNextTokenRequest). */
  const pendingThrottles: ThrottleAnswer[] = [];
  const oidcPath = options.oidcPath ?? '/oidc';
  const familyClients = options.familyClients ?? [];
  const corsMode = options.cors ?? 'any-origin';
  // Redirect URIs the tests register while running (an editor's callback URL is only known once
  // the editor has started): the public client also accepts any redirect_uri under these prefixes.
  const redirectUriPrefixes: string[] = [];
  /** The generic face's path prefix: `/oidc`, or `''` at the host root. */
  const oidcMount = oidcPath === '/' ? '' : oidcPath;
  let handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async (_req, res) => {
    sendJson(res, 503, { error: 'temporarily_unavailable' });
  };

  /** The log entry of each request in flight, for what is learnt once its body is read. */
  const entries = new WeakMap<IncomingMessage, RequestLogEntry>();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const entry: RequestLogEntry = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0] ?? '/',
      url: req.url ?? '/',
      time: Date.now(),
    };
    requests.push(entry);
    entries.set(req, entry);
    res.on('finish', () => { entry.status = res.statusCode; });
    applyCorsMode(corsMode, res);
    const throttle = entry.method === 'POST' && isTokenPath(entry.path, oidcMount) ? pendingThrottles.shift() : undefined;
    if (throttle !== undefined) {
      const text = throttle.body ?? 'Too Many Requests';
      req.resume();
      res.statusCode = throttle.status ?? 429;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(text));
      if (throttle.retryAfter !== undefined) res.setHeader('Retry-After', String(throttle.retryAfter));
      res.end(text);
      return;
    }
    const tamper = entry.method === 'POST' && isTokenPath(entry.path, oidcMount) ? pendingTampers.shift() : undefined;
    if (tamper !== undefined) {
      interceptJsonResponse(res, tamper, (error) => errors.push({ event: 'tamper_error', error: 'server_error', detail: String(error) }));
    }
    handler(req, res).catch((error: unknown) => {
      errors.push({ event: 'router_error', error: 'server_error', detail: String(error) });
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.destroy();
    });
  };

  const server: Server = options.https === undefined
    ? createHttpServer(onRequest)
    : createHttpsServer({ cert: options.https.cert, key: options.https.key }, onRequest);
  // Well above the 5 s some clients keep idle sockets, so the server never closes one first.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 35_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const origin = options.publicOrigin ?? `${options.https === undefined ? 'http' : 'https'}://${options.host ?? '127.0.0.1'}:${port}`;
  const publicJwks = { keys: [toPublicJwk(signingJwk)] };
  const common = {
    origin,
    signingJwk,
    publicJwks,
    clientCertificateJwk: certificate.publicJwk,
    rotateRefreshToken: options.rotateRefreshToken ?? true,
    devicePollInterval: options.devicePollInterval ?? 5,
    clientBasedCORS: makeClientBasedCors(corsMode, () => redirectUriPrefixes),
    ...(options.accessTokenTtl === undefined ? {} : { accessTokenTtl: options.accessTokenTtl }),
    ...(options.refreshIn === undefined ? {} : { refreshIn: options.refreshIn }),
    protocolFeatures: { ...(options.dpop === undefined ? {} : { dpop: options.dpop }), registration: options.registration === true },
  };
  let providers: { oidc: Provider; entra: Provider };
  try {
    providers = {
      oidc: createFaceProvider({
        ...common,
        face: 'oidc',
        issuer: `${origin}${oidcPath}`,
        routes: OIDC_ROUTES,
        ...(options.oidcTenantClaim === undefined ? {} : { tenantClaim: options.oidcTenantClaim }),
      }),
      entra: createFaceProvider({
        ...common,
        face: 'entra',
        issuer: entraIssuer(origin),
        routes: ENTRA_ROUTES,
        ...(options.familyClients === undefined ? {} : { familyClients: options.familyClients }),
      }),
    };
  } catch (error) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => { server.close(() => resolve()); });
    throw error;
  }

  for (const face of ['oidc', 'entra'] as const) {
    for (const event of ERROR_EVENTS) {
      providers[face].on(event, (_ctx: unknown, error: OIDCProviderError) => {
        const record: IdpErrorRecord = {
          face,
          event,
          error: error.error ?? error.message,
          ...(error.error_description === undefined ? {} : { description: error.error_description }),
          ...(error.error_detail === undefined ? {} : { detail: error.error_detail }),
        };
        errors.push(record);
        if (event === 'grant.error' || event === 'server_error') {
          grantErrors.push(error.error_detail ?? error.error_description ?? error.message);
        }
      });
    }
  }
  for (const provider of Object.values(providers)) {
    const clientModel = (provider as unknown as { Client: { prototype: { redirectUriAllowed(this: { clientId: string }, value: string): boolean } } }).Client;
    const exact = clientModel.prototype.redirectUriAllowed;
    clientModel.prototype.redirectUriAllowed = function (value: string) {
      return exact.call(this, value) || (this.clientId === PUBLIC_CLIENT_ID && redirectUriPrefixes.some((prefix) => value.startsWith(prefix)));
    };
  }
  const callbacks = { oidc: providers.oidc.callback(), entra: providers.entra.callback() };
  const interactionOptions = { autoConsent: options.autoConsent ?? false };

  const toProvider = async (req: IncomingMessage, res: ServerResponse, mount: RequestMount, innerPath: string, search: string) => {
    requestMounts.set(req, mount);
    req.url = `${innerPath === '' ? '/' : innerPath}${search}`;
    await callbacks[mount.face](req, res);
  };

  handler = async (req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const path = url.pathname;
    const [, first = '', ...restSegments] = path.split('/');
    let rest = restSegments.length === 0 ? '' : `/${restSegments.join('/')}`;

    // Azure AD B2C's shapes on the Entra face: `/<tenant>/<policy>/...` (policy `B2C_1_...` or
    // `B2C_1A_...`) is the Entra face mounted at `/<tenant>/<policy>`, and the older tfp discovery
    // `/tfp/<tenant>/<policy>/v2.0/.well-known/openid-configuration` answers with endpoints under
    // `/<tenant>/<lower-cased policy>/...`, without `tfp`, as B2C does.
    const b2c = matchB2cPath(path);
    let entraMount = `/${first}`;
    if (b2c !== undefined) {
      entraMount = b2c.mount;
      rest = b2c.rest;
    }
    const tenantSegment = b2c?.tenant ?? first;

    // At the host root the generic face takes every path but the Entra face's: its tenants, the
    // test routes, and Entra paths under an unknown tenant (answered with invalid_tenant below).
    const unknownTenant = looksLikeTenant(first) && (rest.startsWith('/v2.0/') || rest.startsWith('/oauth2/'));
    const atRoot = oidcMount === '' && first !== '__test' && matchTenantSegment(tenantSegment) === undefined && !unknownTenant;
    if (first === 'oidc' && oidcMount === '/oidc') {
      const interaction = INTERACTION_PATH.exec(rest);
      const mount: RequestMount = { face: 'oidc', mount: '/oidc' };
      if (interaction !== null) {
        await handleInteraction(providers.oidc, req, res, {
          mount: mount.mount, uid: interaction[1] ?? '', step: interaction[2] as 'login' | 'confirm' | undefined,
        }, interactionOptions);
        return;
      }
      await toProvider(req, res, mount, rest, url.search);
      return;
    }

    if (atRoot) {
      const interaction = INTERACTION_PATH.exec(path);
      const mount: RequestMount = { face: 'oidc', mount: '' };
      if (interaction !== null) {
        await handleInteraction(providers.oidc, req, res, {
          mount: '', uid: interaction[1] ?? '', step: interaction[2] as 'login' | 'confirm' | undefined,
        }, interactionOptions);
        return;
      }
      await toProvider(req, res, mount, path === '/' ? '' : path, url.search);
      return;
    }

    if (first === '__test') {
      // Test-only routes for suites that run in another process (the editor's extension host).
      if (rest === '/requests' && req.method === 'GET') {
        sendJson(res, 200, requests);
        return;
      }
      if (rest === '/introspect' && req.method === 'POST') {
        const form = await readForm(req);
        sendJson(res, 200, await idp.introspect(form.get('token') ?? ''));
        return;
      }
    }

    const tenant = matchTenantSegment(tenantSegment);
    if (tenant !== undefined) {
      const mount: RequestMount = { face: 'entra', mount: entraMount, tenant };
      if (rest === '/discovery/instance') {
        if (answerOpenEndpointCors(corsMode, req, res)) return;
        const answer = answerInstanceDiscovery(url, origin);
        sendJson(res, answer.status, answer.body);
        return;
      }
      if (rest === ENTRA_DISCOVERY_PATH) {
        await toProvider(req, res, mount, '/.well-known/openid-configuration', url.search);
        return;
      }
      const interaction = INTERACTION_PATH.exec(rest);
      if (interaction !== null) {
        await handleInteraction(providers.entra, req, res, {
          mount: mount.mount, uid: interaction[1] ?? '', step: interaction[2] as 'login' | 'confirm' | undefined,
        }, interactionOptions);
        return;
      }
      const request = rest === ENTRA_ROUTES.token
        ? await normalizeTokenRequest(req, (form) => {
          const entry = entries.get(req);
          const claims = form.get('claims');
          if (entry) entry.tokenForm = { names: [...new Set(form.keys())], ...(claims === null ? {} : { claims }) };
        }, familyClients.length === 0 ? undefined : (form) => reissueFamilyRefreshToken(providers.entra, familyClients, common.rotateRefreshToken, form))
        : req;
      await toProvider(request, res, mount, rest, url.search);
      return;
    }

    if (unknownTenant) {
      sendJson(res, 400, makeInvalidTenantError(first));
      return;
    }
    if ((req.headers.accept ?? '').includes('text/html')) {
      sendHtml(res, 404, renderErrorPage('not_found', `no page at ${path}`));
      return;
    }
    sendJson(res, 404, { error: 'not_found', error_description: `no endpoint at ${path}` });
  };

  const urls: IdpUrls = {
    origin,
    oidcIssuer: `${origin}${oidcPath}`,
    entraAuthority: (tenant = TENANT_ID) => `${origin}/${tenant}`,
    entraIssuer: entraIssuer(origin),
  };

  const introspectionEndpoint = (face: FaceName) => (face === 'oidc'
    ? `${origin}${oidcMount}${OIDC_ROUTES.introspection}`
    : `${urls.entraAuthority()}${ENTRA_ROUTES.introspection}`);

  const clientAuthentication = async (clientId: string, audience: string): Promise<Record<string, string>> => {
    switch (clientId) {
      case CONFIDENTIAL_SECRET_CLIENT_ID:
        return { client_id: clientId, client_secret: CONFIDENTIAL_CLIENT_SECRET };
      case CONFIDENTIAL_CERT_CLIENT_ID: {
        const key = await importPKCS8(certificate.privateKeyPem, 'RS256');
        const assertion = await new SignJWT({})
          .setProtectedHeader({ alg: 'RS256', x5t: Buffer.from(certificate.thumbprintSha1Hex, 'hex').toString('base64url') })
          .setIssuer(clientId).setSubject(clientId).setAudience(audience)
          .setJti(randomUUID()).setIssuedAt().setExpirationTime('2m')
          .sign(key);
        return { client_id: clientId, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
      }
      default:
        return { client_id: clientId };
    }
  };

  const introspectAt = async (token: string, clientId: string, face: FaceName): Promise<Record<string, unknown>> => {
    const endpoint = introspectionEndpoint(face);
    const body = new URLSearchParams({ token, ...await clientAuthentication(clientId, endpoint) });
    const response = await fetch(endpoint, { method: 'POST', body, headers: { accept: 'application/json' } });
    const json = await response.json() as Record<string, unknown>;
    if (!response.ok) throw new Error(`introspection failed: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };

  // oidc-provider's introspection endpoint refuses JWTs ("Structured JWT Tokens cannot be
  // introspected"), and it does not store JWT access tokens, so they are checked here the way a
  // resource server would: signature, issuer, `typ` and expiry. Revoking a grant does not reach them.
  const localKeys = createLocalJWKSet(publicJwks);
  const introspectJwt = async (token: string): Promise<Record<string, unknown>> => {
    const issuer = decodeJwt(token).iss;
    if (issuer !== urls.oidcIssuer && issuer !== urls.entraIssuer) return { active: false };
    try {
      const { payload } = await jwtVerify(token, localKeys, { issuer, typ: 'at+jwt' });
      return { active: true, token_type: 'Bearer', ...payload };
    } catch {
      return { active: false };
    }
  };

  let closing: Promise<void> | undefined;
  const idp: Idp = {
    port,
    urls,
    requests,
    grantErrors,
    errors,
    clientCertificate: {
      privateKeyPem: certificate.privateKeyPem,
      certificatePem: certificate.certificatePem,
      thumbprintSha1Hex: certificate.thumbprintSha1Hex,
      thumbprintSha256Hex: certificate.thumbprintSha256Hex,
    },
    providers,
    allowRedirectUriPrefix(prefix) {
      redirectUriPrefixes.push(prefix);
    },
    tamperNextTokenResponse(tamper) {
      pendingTampers.push(tamper);
    },
    get pendingTamperCount() {
      return pendingTampers.length;
    },
    throttleNextTokenRequest(answer = {}) {
      pendingThrottles.push(answer);
    },
    async introspect(token, clientId = CONFIDENTIAL_SECRET_CLIENT_ID, face) {
      let isJwt = false;
      try {
        isJwt = decodeProtectedHeader(token).alg !== undefined;
      } catch {
        isJwt = false;
      }
      if (isJwt) return introspectJwt(token);
      if (face !== undefined) return introspectAt(token, clientId, face);
      const answer = await introspectAt(token, clientId, 'entra');
      return answer.active === true ? answer : introspectAt(token, clientId, 'oidc');
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
  return idp;
}
