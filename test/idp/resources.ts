// API resources with Entra-style scopes `<resource>/<permission>`. A request names no `resource`
// parameter (MSAL never sends one); the resource is derived from the scopes instead, as Entra does.
import { errors, type Client, type KoaContextWithOIDC, type ResourceServerInfo } from 'oidc-provider';

export const DEMO_API = 'api://demo';
export const DOWNSTREAM_API = 'api://downstream';

export const DEMO_API_SCOPES = {
  read: `${DEMO_API}/read`,
  write: `${DEMO_API}/write`,
  default: `${DEMO_API}/.default`,
} as const;

export const DOWNSTREAM_API_SCOPES = {
  read: `${DOWNSTREAM_API}/read`,
  default: `${DOWNSTREAM_API}/.default`,
} as const;

/** Every resource the IdP serves and the scopes it defines (`.default` included, as a plain scope). */
export const API_RESOURCES: Readonly<Record<string, readonly string[]>> = {
  [DEMO_API]: Object.values(DEMO_API_SCOPES),
  [DOWNSTREAM_API]: Object.values(DOWNSTREAM_API_SCOPES),
};

/** The OpenID Connect scopes; everything else is a resource scope. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

export function splitScope(scope: unknown): string[] {
  return typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
}

/** The resource a scope belongs to: `api://demo/read` → `api://demo`; undefined for `openid`. */
export function resourceOfScope(scope: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(scope)) return undefined;
  const slash = scope.lastIndexOf('/');
  if (slash <= scope.indexOf(':') + 1 || slash === scope.length - 1) return undefined;
  return scope.slice(0, slash);
}

/** Distinct resources named by a list of scopes, in order of first appearance. */
export function resourcesOfScopes(scopes: Iterable<string>): string[] {
  const resources: string[] = [];
  for (const scope of scopes) {
    const resource = resourceOfScope(scope);
    if (resource !== undefined && !resources.includes(resource)) resources.push(resource);
  }
  return resources;
}

/** The scopes of a given resource among `scopes`. */
export function scopesOfResource(resource: string, scopes: Iterable<string>): string[] {
  const known = new Set(API_RESOURCES[resource] ?? []);
  return [...scopes].filter((scope) => known.has(scope));
}

/**
 * `features.resourceIndicators.defaultResource`: with no `resource` parameter, the resource comes
 * from the requested scopes. `oneOf` (several granted resources at the token endpoint) is narrowed
 * to the one the requested scopes name.
 */
export async function defaultResource(
  ctx: KoaContextWithOIDC,
  _client: Client,
  oneOf?: string[],
): Promise<string | string[] | undefined> {
  const requested = resourcesOfScopes(splitScope(ctx.oidc.params.scope ?? ctx.oidc.body?.scope));
  if (oneOf !== undefined) {
    return oneOf.find((resource) => requested.includes(resource)) ?? oneOf[0];
  }
  if (requested.length === 0) return undefined;
  return requested.length === 1 ? requested[0] : requested;
}

export interface ResourceServerOptions {
  /** Lifetime of access tokens for every resource, in seconds. */
  accessTokenTtl?: number;
}

/** `features.resourceIndicators.getResourceServerInfo`: JWT access tokens whose `aud` is the resource. */
export function makeGetResourceServerInfo(options: ResourceServerOptions) {
  return async (_ctx: KoaContextWithOIDC, resource: string, _client: Client): Promise<ResourceServerInfo> => {
    const scopes = API_RESOURCES[resource];
    if (scopes === undefined) {
      throw new errors.InvalidTarget(undefined, `unknown resource ${resource}`);
    }
    return {
      scope: scopes.join(' '),
      audience: resource,
      accessTokenFormat: 'jwt',
      ...(options.accessTokenTtl === undefined ? {} : { accessTokenTTL: options.accessTokenTtl }),
      jwt: { sign: { alg: 'RS256' } },
    };
  };
}
