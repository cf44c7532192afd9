// Builds one oidc-provider instance ("face") of the IdP. The generic face and the Entra face share
// accounts, clients, resources, grants and interactions; they differ in issuer, routes, cookie
// names and the Entra post-processing.
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import Provider, { type Client, type Configuration, type KoaContextWithOIDC, type Middleware } from 'oidc-provider';
import type { JSONWebKeySet, JWK } from 'jose';
import { makeFindAccount } from './accounts.js';
import { buildClients } from './clients.js';
import { getEntraTokenClaims, makeEntraMiddleware, stripAccessTokenClaims, TENANT_ID } from './entra-layer.js';
import { makeOnBehalfOfGrant, ON_BEHALF_OF_GRANT_PARAMETERS, ON_BEHALF_OF_GRANT_TYPE } from './grants/on-behalf-of.js';
import { makePasswordGrant, PASSWORD_GRANT_PARAMETERS, PASSWORD_GRANT_TYPE } from './grants/password.js';
import type { GrantDependencies } from './grants/issue-tokens.js';
import { ADDED_CONSENT_PARAM } from './interactions.js';
import { createMemoryAdapterFactory } from './memory-adapter.js';
import { renderDeviceCodePage, renderDeviceConfirmPage, renderDeviceSuccessPage, renderErrorPage } from './pages.js';
import { protocolFeatures, type ProtocolFeatureOptions } from './protocol-features.js';
import { defaultResource, makeGetResourceServerInfo, OIDC_SCOPES, splitScope } from './resources.js';

export type FaceName = 'oidc' | 'entra';

/** Where a request was mounted: `/oidc`, or `/<tenant segment as sent>` on the Entra face. */
export interface RequestMount {
  face: FaceName;
  mount: string;
  /** Lower-case tenant segment (Entra face only). */
  tenant?: string;
}

/** Set by the router for every request it hands to a provider. */
export const requestMounts = new WeakMap<IncomingMessage, RequestMount>();

export const OIDC_ROUTES = {
  authorization: '/auth',
  token: '/token',
  device_authorization: '/device/auth',
  code_verification: '/device',
  jwks: '/jwks',
  userinfo: '/me',
  end_session: '/session/end',
  introspection: '/token/introspection',
  revocation: '/token/revocation',
} as const;

export interface FaceOptions {
  face: FaceName;
  issuer: string;
  origin: string;
  routes: Readonly<Record<string, string>>;
  signingJwk: JWK;
  publicJwks: JSONWebKeySet;
  clientCertificateJwk: JWK;
  accessTokenTtl?: number;
  rotateRefreshToken: boolean;
  refreshIn?: number;
  devicePollInterval: number;
  /** A `tid` claim for the ID tokens of a face that is not Entra-shaped. */
  tenantClaim?: string;
  /** Entra face: the clients of the "family of client IDs" (`foci: "1"`, family refresh tokens). */
  familyClients?: readonly string[];
  /** DPoP nonces and dynamic client registration (protocol-features.ts). */
  protocolFeatures?: ProtocolFeatureOptions;
  /** Which origins may read the client endpoints' answers (cors.ts); default every one. */
  clientBasedCORS?: (ctx: KoaContextWithOIDC, origin: string, client: Client) => boolean;
}

const DAY = 24 * 60 * 60;

function mountOf(ctx: KoaContextWithOIDC): RequestMount | undefined {
  return requestMounts.get(ctx.req);
}

/**
 * Rewrites authorization requests (GET) before oidc-provider reads them:
 * - `prompt=select_account` (Entra, MSAL) becomes `login`, which oidc-provider knows;
 * - with `offline_access` requested, `consent` is added to `prompt`: oidc-provider drops
 *   `offline_access` otherwise (lib/actions/authorization/scopes.js), and MSAL never sends
 *   `prompt=consent`. The consent step skips its page when nothing is missing (interactions.ts);
 * - on the Entra face, the `access_token` member of `claims` is removed.
 */
function makeAuthorizationRewrite(face: FaceName, authorizationPath: string): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === authorizationPath) {
      const query = { ...ctx.query };
      let changed = false;
      if (typeof query.prompt === 'string' && query.prompt.split(' ').includes('select_account')) {
        const prompts = new Set(query.prompt.split(' ').filter((p) => p !== 'select_account'));
        prompts.add('login');
        query.prompt = [...prompts].join(' ');
        changed = true;
      }
      const prompts = typeof query.prompt === 'string' ? query.prompt.split(' ').filter(Boolean) : [];
      if (splitScope(query.scope).includes('offline_access') && !prompts.includes('consent') && !prompts.includes('none')) {
        query.prompt = [...prompts, 'consent'].join(' ');
        query[ADDED_CONSENT_PARAM] = '1';
        changed = true;
      }
      if (face === 'entra' && typeof query.claims === 'string') {
        const claims = stripAccessTokenClaims(query.claims);
        if (claims !== query.claims) {
          query.claims = claims;
          changed = true;
        }
      }
      if (changed) ctx.query = query;
    }
    await next();
  };
}

function makeConfiguration(options: FaceOptions): Configuration {
  const entra = options.face === 'entra';
  const tenantId = entra ? TENANT_ID : options.tenantClaim;
  const getResourceServerInfo = makeGetResourceServerInfo(
    options.accessTokenTtl === undefined ? {} : { accessTokenTtl: options.accessTokenTtl },
  );
  const cookiePrefix = entra ? '_entra' : '_oidc';
  return {
    adapter: createMemoryAdapterFactory(),
    clients: buildClients(options.clientCertificateJwk),
    jwks: { keys: [options.signingJwk as Record<string, unknown>] },
    findAccount: makeFindAccount(tenantId),
    claims: {
      openid: tenantId !== undefined ? ['sub', 'oid', 'tid'] : ['sub'],
      profile: ['name', 'preferred_username', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
    },
    scopes: [...OIDC_SCOPES],
    extraParams: [ADDED_CONSENT_PARAM],
    // Claims of the granted scopes go into the ID token even when the access token is only good
    // for userinfo (Entra's ID tokens carry name and preferred_username).
    conformIdTokenClaims: false,
    clientBasedCORS: options.clientBasedCORS ?? (() => true),
    cookies: {
      names: {
        session: `${cookiePrefix}_session`,
        interaction: `${cookiePrefix}_interaction`,
        resume: `${cookiePrefix}_interaction_resume`,
      },
      keys: [randomBytes(32).toString('base64url')],
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // oidc-provider's default: a public client may only introspect its own tokens.
        allowedPolicy: async (ctx: KoaContextWithOIDC, client: Client, token: { clientId?: string }) =>
          client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: KoaContextWithOIDC, client: Client, token: { clientId?: string }) =>
          token.clientId === client.clientId,
      },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: async (ctx: KoaContextWithOIDC, form: string, _out?: unknown, error?: Error) => {
          ctx.type = 'html';
          ctx.body = renderDeviceCodePage(form, error === undefined ? undefined : 'The code is wrong, expired or already used. Try again.');
        },
        userCodeConfirmSource: async (ctx: KoaContextWithOIDC, form: string, client: Client, _deviceInfo: unknown, userCode: string) => {
          ctx.type = 'html';
          ctx.body = renderDeviceConfirmPage(form, client.clientName ?? client.clientId, userCode);
        },
        successSource: async (ctx: KoaContextWithOIDC) => {
          ctx.type = 'html';
          const client = ctx.oidc.client;
          ctx.body = renderDeviceSuccessPage(client?.clientName ?? client?.clientId ?? 'the application');
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource,
        useGrantedResource: async () => true,
        getResourceServerInfo,
      },
      rpInitiatedLogout: { enabled: true },
      ...protocolFeatures(options.protocolFeatures ?? {}, options.face),
    },
    routes: { ...options.routes },
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    interactions: {
      url: (ctx, interaction) => `${mountOf(ctx)?.mount ?? ''}/interaction/${interaction.uid}`,
    },
    ...(entra ? { extraTokenClaims: getEntraTokenClaims } : {}),
    rotateRefreshToken: options.rotateRefreshToken,
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = renderErrorPage(out.error ?? 'server_error', out.error_description);
    },
    ttl: {
      AccessToken: (_ctx, token) => options.accessTokenTtl ?? token.resourceServer?.accessTokenTTL ?? 3600,
      ClientCredentials: () => options.accessTokenTtl ?? 3600,
      AuthorizationCode: 60,
      DeviceCode: 600,
      IdToken: 3600,
      RefreshToken: 14 * DAY,
      Interaction: 3600,
      Session: 14 * DAY,
      Grant: 14 * DAY,
      BackchannelAuthenticationRequest: 600,
    },
  };
}

/** Makes one face: the provider with its custom grants and middleware. */
export function createFaceProvider(options: FaceOptions): Provider {
  const configuration = makeConfiguration(options);
  const provider = new Provider(options.issuer, configuration);

  const deps: GrantDependencies = {
    findAccount: async (ctx, sub) => makeFindAccount(options.face === 'entra' ? TENANT_ID : options.tenantClaim)(ctx, sub),
    getResourceServerInfo: makeGetResourceServerInfo(
      options.accessTokenTtl === undefined ? {} : { accessTokenTtl: options.accessTokenTtl },
    ),
  };
  provider.registerGrantType(PASSWORD_GRANT_TYPE, makePasswordGrant(deps), PASSWORD_GRANT_PARAMETERS);
  provider.registerGrantType(
    ON_BEHALF_OF_GRANT_TYPE,
    makeOnBehalfOfGrant({ ...deps, jwks: options.publicJwks }),
    ON_BEHALF_OF_GRANT_PARAMETERS,
  );

  const authorizationPath = options.routes.authorization;
  if (authorizationPath === undefined) throw new Error('routes.authorization is required');
  // Endpoint URLs follow the path prefix the request came in on (`/oidc`, `/common`, ...).
  provider.use(async (ctx, next) => {
    const mount = mountOf(ctx);
    if (mount !== undefined) ctx.mountPath = mount.mount;
    await next();
  });
  provider.use(makeAuthorizationRewrite(options.face, authorizationPath));
  if (options.face === 'entra') {
    provider.use(makeEntraMiddleware({
      origin: options.origin,
      tenantOf: (ctx) => mountOf(ctx)?.tenant,
      ...(options.refreshIn === undefined ? {} : { refreshIn: options.refreshIn }),
      devicePollInterval: options.devicePollInterval,
      ...(options.familyClients === undefined ? {} : { familyClients: options.familyClients }),
    }));
  }
  return provider;
}
