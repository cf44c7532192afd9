// What Microsoft Entra ID (v2.0 endpoints) does on top of plain OpenID Connect, added around the
// second oidc-provider instance: tenant-segment paths, the `{tenantid}` issuer of the multi-tenant
// authorities, `client_info` in token responses, `tid`/`oid` claims, device code `interval` and
// `message`, and instance discovery.
import { IncomingMessage } from 'node:http';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC, Middleware, OIDCContext } from 'oidc-provider';
import { DEVICE_CODE_GRANT_TYPE } from './clients.js';
import { splitScope } from './resources.js';

/** The one tenant of the Entra face. */
export const TENANT_ID = '7c3e1a52-94d8-4f0b-b6a1-2d5e8f9c0b14';
/** A verified domain of that tenant: usable in place of the id in authority URLs. */
export const TENANT_DOMAIN = 'contoso.example';
export const MULTI_TENANT_SEGMENTS = ['common', 'organizations', 'consumers'] as const;
/** Tenant path segments the Entra face answers to. */
export const TENANT_SEGMENTS: readonly string[] = [TENANT_ID, TENANT_DOMAIN, ...MULTI_TENANT_SEGMENTS];

/** oidc-provider routes of the Entra face, relative to `/<tenant>`. */
export const ENTRA_ROUTES = {
  authorization: '/oauth2/v2.0/authorize',
  token: '/oauth2/v2.0/token',
  device_authorization: '/oauth2/v2.0/devicecode',
  code_verification: '/oauth2/v2.0/deviceauth',
  jwks: '/discovery/v2.0/keys',
  userinfo: '/oidc/userinfo',
  end_session: '/oauth2/v2.0/logout',
  introspection: '/oauth2/v2.0/introspect',
  revocation: '/oauth2/v2.0/revoke',
  pushed_authorization_request: '/oauth2/v2.0/par',
  backchannel_authentication: '/oauth2/v2.0/bc-authorize',
  challenge: '/oauth2/v2.0/challenge',
} as const;

export const ENTRA_DISCOVERY_PATH = '/v2.0/.well-known/openid-configuration';

/** Canonical tenant segment (lower-case) when `segment` is one the face serves. */
export function matchTenantSegment(segment: string): string | undefined {
  const lower = segment.toLowerCase();
  return TENANT_SEGMENTS.includes(lower) ? lower : undefined;
}

export function isMultiTenantSegment(segment: string): boolean {
  return (MULTI_TENANT_SEGMENTS as readonly string[]).includes(segment.toLowerCase());
}

/** Looks like a tenant (a GUID or a domain name): answered with Entra's invalid_tenant error. */
export function looksLikeTenant(segment: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment)
    || /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(segment);
}

export function entraIssuer(origin: string, tenant: string = TENANT_ID): string {
  return `${origin}/${tenant}/v2.0`;
}

/** `{"uid","utid"}` as base64url JSON, as Entra sends it (MSAL's home_account_id is `uid.utid`). */
export function encodeClientInfo(uid: string, utid: string): string {
  return Buffer.from(JSON.stringify({ uid, utid })).toString('base64url');
}

export interface EntraLayerOptions {
  origin: string;
  /** Tenant segment of the current request (lower-case), set by the router. */
  tenantOf(ctx: KoaContextWithOIDC): string | undefined;
  /** Seconds; adds `refresh_in` to token responses. */
  refreshIn?: number;
  /** Seconds between device code polls, sent as `interval`. */
  devicePollInterval: number;
  /** Client ids of the "family of client IDs": their token responses carry `foci: "1"`. */
  familyClients?: readonly string[];
}

function oidcOf(ctx: KoaContextWithOIDC): OIDCContext | undefined {
  return (ctx as { oidc?: OIDCContext }).oidc;
}

function isJsonBody(body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Buffer.isBuffer(body) && !Array.isArray(body);
}

/** Post-processing middleware for the Entra face's provider (see oidc-provider's pre/post middleware). */
export function makeEntraMiddleware(options: EntraLayerOptions): Middleware {
  return async (ctx, next) => {
    await next();
    const oidc = oidcOf(ctx);
    if (oidc === undefined || ctx.status !== 200 || !isJsonBody(ctx.body)) return;
    const body = ctx.body;
    switch (oidc.route) {
      case 'discovery': {
        const tenant = options.tenantOf(ctx) ?? TENANT_ID;
        ctx.body = {
          ...body,
          issuer: isMultiTenantSegment(tenant) ? entraIssuer(options.origin, '{tenantid}') : entraIssuer(options.origin),
          tenant_region_scope: null,
          cloud_instance_name: new URL(options.origin).host,
        };
        break;
      }
      case 'token': {
        const raw = oidc.body ?? {};
        const account = oidc.entities.Account;
        const wantsClientInfo = raw.client_info === '1'
          || splitScope(raw.scope).includes('openid')
          || typeof body.id_token === 'string';
        ctx.body = {
          ...body,
          ...(typeof body.expires_in === 'number' ? { ext_expires_in: body.expires_in } : {}),
          ...(account !== undefined && wantsClientInfo ? { client_info: encodeClientInfo(account.accountId, TENANT_ID) } : {}),
          ...(options.refreshIn === undefined ? {} : { refresh_in: options.refreshIn }),
          ...(oidc.client !== undefined && (options.familyClients ?? []).includes(oidc.client.clientId) ? { foci: '1' } : {}),
        };
        break;
      }
      case 'device_authorization': {
        ctx.body = {
          ...body,
          interval: options.devicePollInterval,
          message: `To sign in, use a web browser to open the page ${String(body.verification_uri)} and enter the code ${String(body.user_code)} to authenticate.`,
        };
        break;
      }
      default:
    }
  };
}

/** `extraTokenClaims` of the Entra face: Entra's tenant, object id, `scp` and `azp` in access tokens. */
export function getEntraTokenClaims(_ctx: KoaContextWithOIDC, token: { accountId?: string; clientId?: string; scope?: string }): Record<string, unknown> {
  return {
    tid: TENANT_ID,
    ...(token.accountId === undefined ? {} : { oid: token.accountId }),
    ...(token.clientId === undefined ? {} : { azp: token.clientId }),
    ...(token.accountId !== undefined && token.scope ? { scp: token.scope } : {}),
    ver: '2.0',
  };
}

/**
 * Entra's `claims` request parameter may carry an `access_token` member (client capabilities,
 * CAE: `{"access_token":{"xms_cc":{"values":["CP1"]}}}`); oidc-provider accepts only `userinfo`
 * and `id_token`, so the member is removed before the request reaches it.
 */
export function stripAccessTokenClaims(claims: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(claims);
  } catch {
    return claims;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('access_token' in parsed)) return claims;
  const { access_token: _ignored, ...rest } = parsed as Record<string, unknown>;
  return Object.keys(rest).length === 0 ? undefined : JSON.stringify(rest);
}

const MAX_TOKEN_REQUEST_BYTES = 56 * 1024;

/**
 * Entra takes `grant_type=device_code` as well as the RFC 8628 URN, and msal-node sends the short
 * one; oidc-provider knows only the URN. Form posts are read here and handed on as a copy of the
 * request, with the URN in place of the short name when it was used. `onForm` sees the form first
 * (the request log's test-only record of it).
 */
export async function normalizeTokenRequest(
  req: IncomingMessage,
  onForm?: (form: URLSearchParams) => void,
  /** May change the form (family refresh tokens); answers true when it did. */
  rewrite?: (form: URLSearchParams) => Promise<boolean>,
): Promise<IncomingMessage> {
  if (req.method !== 'POST' || !(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return req;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_TOKEN_REQUEST_BYTES) throw new Error('token request body too large');
    chunks.push(chunk);
  }
  const original = Buffer.concat(chunks);
  const params = new URLSearchParams(original.toString('utf8'));
  onForm?.(params);
  let body = original;
  let changed = false;
  if (params.get('grant_type') === 'device_code') {
    params.set('grant_type', DEVICE_CODE_GRANT_TYPE);
    changed = true;
  }
  if (rewrite !== undefined && await rewrite(params)) changed = true;
  if (changed) body = Buffer.from(params.toString());
  const copy = new IncomingMessage(req.socket);
  copy.method = req.method;
  copy.url = req.url ?? '/';
  copy.httpVersion = req.httpVersion;
  copy.httpVersionMajor = req.httpVersionMajor;
  copy.httpVersionMinor = req.httpVersionMinor;
  copy.headers = { ...req.headers, 'content-length': String(body.length) };
  delete copy.headers['transfer-encoding'];
  copy.rawHeaders = Object.entries(copy.headers).flatMap(([name, value]) => [name, String(value)]);
  // As the HTTP parser does once a message is read; otherwise destroying the copy at its end
  // counts as an abort and takes the socket down.
  copy.complete = true;
  copy.push(body);
  copy.push(null);
  return copy;
}

export interface InstanceDiscoveryResponse {
  status: number;
  body: Record<string, unknown>;
}

/**
 * `GET /{tenant}/discovery/instance?api-version=1.1&authorization_endpoint=…`, shaped like
 * Entra's answer. An authorization endpoint on another host is `invalid_instance`, as Entra does
 * for hosts it does not know.
 */
export function answerInstanceDiscovery(url: URL, origin: string): InstanceDiscoveryResponse {
  const host = new URL(origin).host;
  const endpoint = url.searchParams.get('authorization_endpoint');
  let tenant = 'common';
  if (endpoint !== null) {
    let parsed: URL;
    try {
      parsed = new URL(endpoint);
    } catch {
      return invalidInstance();
    }
    if (parsed.host !== host) return invalidInstance();
    tenant = parsed.pathname.split('/').filter(Boolean)[0] ?? 'common';
  }
  return {
    status: 200,
    body: {
      tenant_discovery_endpoint: `${origin}/${tenant}${ENTRA_DISCOVERY_PATH}`,
      'api-version': url.searchParams.get('api-version') ?? '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    },
  };
}

function invalidInstance(): InstanceDiscoveryResponse {
  return {
    status: 400,
    body: {
      error: 'invalid_instance',
      error_description: 'AADSTS50049: Unknown or invalid instance.',
      error_codes: [50049],
    },
  };
}

/** Entra's answer for a tenant segment it does not know. */
export function makeInvalidTenantError(segment: string): Record<string, unknown> {
  return {
    error: 'invalid_tenant',
    error_description: `AADSTS90002: Tenant '${segment}' not found.`,
    error_codes: [90002],
  };
}

/**
 * Family refresh tokens (FOCI). Entra lets a refresh token issued to one app of the "family of
 * client IDs" be redeemed by any other app of the family; oidc-provider refuses a refresh token of
 * another client ("client mismatch"), and its grant (one per client) as well.
 *
 * Approach: re-issue, before oidc-provider reads the request. When a family client posts
 * `grant_type=refresh_token` with a live, unconsumed refresh token of ANOTHER family client, the
 * IdP makes a Grant for the requesting client with the same account, OpenID scopes, claims and
 * resource scopes, and a refresh token for that client and grant copied from the presented one
 * (same scope, resource, auth time, amr, session); the presented token is consumed (as a rotation
 * would: presenting it again is reuse, which revokes the original grant) when rotation is on. The
 * request then carries the new token's value, and oidc-provider's own refresh_token grant runs
 * unchanged: its client, grant and account checks all pass, and the ID token's `aud` is the
 * requesting client. Any other case (a non-family client, an unknown, expired or used token, a
 * token of a non-family client) is left as it is, so oidc-provider answers as usual.
 */
export async function reissueFamilyRefreshToken(
  provider: Provider,
  familyClients: readonly string[],
  rotate: boolean,
  form: URLSearchParams,
): Promise<boolean> {
  const clientId = form.get('client_id');
  const value = form.get('refresh_token');
  if (form.get('grant_type') !== 'refresh_token' || clientId === null || value === null || !familyClients.includes(clientId)) return false;
  const presented = await provider.RefreshToken.find(value);
  if (presented === undefined || presented.clientId === undefined || presented.clientId === clientId || !familyClients.includes(presented.clientId)) return false;
  if (presented.isExpired || presented.consumed !== undefined || presented.accountId === undefined || presented.grantId === undefined) return false;
  const [client, original] = await Promise.all([provider.Client.find(clientId), provider.Grant.find(presented.grantId)]);
  if (client === undefined || original === undefined) return false;

  const grant = new provider.Grant({ accountId: presented.accountId, clientId });
  const oidcScope = original.getOIDCScope();
  if (oidcScope) grant.addOIDCScope(oidcScope);
  const claims = original.getOIDCClaims();
  if (claims.length > 0) grant.addOIDCClaims(claims);
  for (const resource of Object.keys(original.resources ?? {})) {
    const scope = original.getResourceScope(resource);
    if (scope) grant.addResourceScope(resource, scope);
  }
  const grantId = await grant.save();

  const copied = presented as unknown as Record<string, unknown>;
  const pick = (...names: string[]) => Object.fromEntries(names.filter((name) => copied[name] !== undefined).map((name) => [name, copied[name]]));
  const reissued = new provider.RefreshToken({
    ...pick('accountId', 'acr', 'amr', 'authTime', 'claims', 'expiresWithSession', 'iiat', 'gty', 'nonce', 'resource', 'scope', 'sessionUid', 'sid'),
    client,
    grantId,
    rotations: 0,
  });
  const reissuedValue = await reissued.save();
  if (rotate) await presented.consume();
  form.set('refresh_token', reissuedValue);
  return true;
}
