// On-behalf-of (Entra's use of RFC 7523's jwt-bearer grant): a middle-tier API trades the access
// token it received for the user for one to a downstream API, keeping the user's `sub`.
// The assertion must be a JWT access token this provider issued (`typ: at+jwt`, its own key and
// issuer), unexpired, whose audience is a resource the calling confidential client owns.
import { errors, type GrantHandler } from 'oidc-provider';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { JWT_BEARER_GRANT_TYPE, OBO_ACCEPTED_AUDIENCES } from '../clients.js';
import { splitScope } from '../resources.js';
import { issueUserTokens, type GrantDependencies } from './issue-tokens.js';

export const ON_BEHALF_OF_GRANT_TYPE = JWT_BEARER_GRANT_TYPE;
export const ON_BEHALF_OF_GRANT_PARAMETERS = ['assertion', 'requested_token_use', 'scope', 'resource'];

export interface OnBehalfOfDependencies extends GrantDependencies {
  /** The provider's public signing keys. */
  jwks: JSONWebKeySet;
}

export function makeOnBehalfOfGrant(deps: OnBehalfOfDependencies): GrantHandler {
  const keys = createLocalJWKSet(deps.jwks);
  return async (ctx) => {
    const { assertion, requested_token_use: requestedTokenUse, scope, resource } = ctx.oidc.params;
    if (requestedTokenUse !== 'on_behalf_of') {
      throw new errors.InvalidRequest('requested_token_use must be on_behalf_of');
    }
    if (typeof assertion !== 'string' || assertion === '') {
      throw new errors.InvalidRequest('assertion is required');
    }
    const client = ctx.oidc.client;
    if (client === undefined || client.clientAuthMethod === 'none') {
      throw new errors.UnauthorizedClient('the on-behalf-of flow needs an authenticated confidential client');
    }
    const audiences = OBO_ACCEPTED_AUDIENCES[client.clientId] ?? [];
    if (audiences.length === 0) {
      throw new errors.UnauthorizedClient(undefined, `client ${client.clientId} owns no resource`);
    }

    let sub: string | undefined;
    try {
      const { payload } = await jwtVerify(assertion, keys, {
        issuer: ctx.oidc.provider.issuer,
        audience: [...audiences],
        typ: 'at+jwt',
        algorithms: ['RS256'],
      });
      sub = payload.sub;
    } catch (error) {
      throw new errors.InvalidGrant(`assertion rejected: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (sub === undefined) throw new errors.InvalidGrant('assertion has no sub');
    const account = await deps.findAccount(ctx, sub);
    if (account === undefined) throw new errors.InvalidGrant(`assertion subject ${sub} not found`);

    await issueUserTokens(ctx, deps, {
      account,
      scopes: splitScope(scope),
      resource,
      gty: 'on_behalf_of',
    });
  };
}
