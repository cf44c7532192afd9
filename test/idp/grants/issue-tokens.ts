// Token issuance shared by the IdP's own grants (password, on-behalf-of), built on oidc-provider's
// public models the way its built-in grants use them: a Grant records what was given, then an
// access token (JWT for a resource, opaque for userinfo), a refresh token and an ID token.
import { errors, type Account, type KoaContextWithOIDC, type ResourceServerInfo } from 'oidc-provider';
import { OIDC_SCOPES, resourcesOfScopes, scopesOfResource } from '../resources.js';

export interface GrantDependencies {
  findAccount(ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined>;
  getResourceServerInfo(ctx: KoaContextWithOIDC, resource: string, client: NonNullable<KoaContextWithOIDC['oidc']['client']>): Promise<ResourceServerInfo>;
}

export interface UserTokenRequest {
  account: Account;
  /** The requested scopes, OpenID Connect and resource ones mixed. */
  scopes: string[];
  /** An explicit `resource` parameter, if the request had one. */
  resource?: unknown;
  /** Grant type recorded on the tokens (`gty`). */
  gty: string;
  amr?: string[];
}

const oidcScopeSet: ReadonlySet<string> = new Set(OIDC_SCOPES);

function resolveResource(request: UserTokenRequest): string | undefined {
  if (request.resource !== undefined) {
    if (typeof request.resource !== 'string') {
      throw new errors.InvalidTarget('only a single resource indicator value is supported for this grant type');
    }
    return request.resource;
  }
  const resources = resourcesOfScopes(request.scopes);
  if (resources.length > 1) {
    throw new errors.InvalidTarget('scopes of more than one resource were requested', `resources ${resources.join(', ')}`);
  }
  return resources[0];
}

/** Issues the tokens of a user grant and sets the token response as `ctx.body`. */
export async function issueUserTokens(ctx: KoaContextWithOIDC, deps: GrantDependencies, request: UserTokenRequest): Promise<void> {
  const { provider } = ctx.oidc;
  const client = ctx.oidc.client;
  if (client === undefined) throw new Error('token request without an authenticated client');
  const { account } = request;

  const oidcScopes = request.scopes.filter((scope) => oidcScopeSet.has(scope));
  const resource = resolveResource(request);
  const resourceInfo = resource === undefined ? undefined : await deps.getResourceServerInfo(ctx, resource, client);
  const resourceScopes = resource === undefined ? [] : scopesOfResource(resource, request.scopes);
  if (resource === undefined && !oidcScopes.some((scope) => scope !== 'offline_access')) {
    throw new errors.InvalidScope('no usable scope was requested', request.scopes.join(' '));
  }

  ctx.oidc.entity('Account', account);
  const grant = new provider.Grant({ accountId: account.accountId, clientId: client.clientId });
  if (oidcScopes.length > 0) grant.addOIDCScope(oidcScopes.join(' '));
  if (resource !== undefined) grant.addResourceScope(resource, resourceScopes.join(' '));
  const grantId = await grant.save();
  ctx.oidc.entity('Grant', grant);

  const accessToken = new provider.AccessToken({
    accountId: account.accountId,
    client,
    grantId,
    gty: request.gty,
  });
  if (resource !== undefined && resourceInfo !== undefined) {
    accessToken.resourceServer = new provider.ResourceServer(resource, resourceInfo);
    accessToken.scope = resourceScopes.join(' ');
  } else {
    accessToken.scope = oidcScopes.join(' ');
  }
  ctx.oidc.entity('AccessToken', accessToken);
  const accessTokenValue = await accessToken.save();

  let refreshTokenValue: string | undefined;
  if (oidcScopes.includes('offline_access') && client.grantTypeAllowed('refresh_token')) {
    const refreshToken = new provider.RefreshToken({
      accountId: account.accountId,
      client,
      grantId,
      gty: request.gty,
      scope: [...oidcScopes, ...resourceScopes].join(' '),
      ...(resource === undefined ? {} : { resource }),
      rotations: 0,
      authTime: Math.floor(Date.now() / 1000),
      ...(request.amr === undefined ? {} : { amr: request.amr }),
    });
    ctx.oidc.entity('RefreshToken', refreshToken);
    refreshTokenValue = await refreshToken.save();
  }

  let idTokenValue: string | undefined;
  if (oidcScopes.includes('openid')) {
    const scope = oidcScopes.join(' ');
    const claims = await account.claims('id_token', scope, {}, []);
    const idToken = new provider.IdToken({ ...claims, sub: account.accountId }, { ctx });
    idToken.scope = scope;
    if (request.amr !== undefined) idToken.set('amr', request.amr);
    idTokenValue = await idToken.issue({ use: 'idtoken' });
  }

  ctx.body = {
    access_token: accessTokenValue,
    expires_in: accessToken.expiration,
    token_type: accessToken.tokenType,
    scope: accessToken.scope,
    ...(idTokenValue === undefined ? {} : { id_token: idTokenValue }),
    ...(refreshTokenValue === undefined ? {} : { refresh_token: refreshTokenValue }),
  };
}
