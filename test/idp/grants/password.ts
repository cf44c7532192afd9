// Resource Owner Password Credentials (RFC 6749 §4.3), which oidc-provider does not ship.
// Entra still serves it (MSAL's acquire_token_by_username_password); a wrong password is
// `invalid_grant`.
import { errors, type GrantHandler } from 'oidc-provider';
import { verifyPassword } from '../accounts.js';
import { splitScope } from '../resources.js';
import { issueUserTokens, type GrantDependencies } from './issue-tokens.js';

export const PASSWORD_GRANT_TYPE = 'password';
export const PASSWORD_GRANT_PARAMETERS = ['username', 'password', 'scope', 'resource'];

export function makePasswordGrant(deps: GrantDependencies): GrantHandler {
  return async (ctx) => {
    const { username, password, scope, resource } = ctx.oidc.params;
    if (typeof username !== 'string' || username === '' || typeof password !== 'string') {
      throw new errors.InvalidRequest('username and password are required');
    }
    const user = verifyPassword(username, password);
    if (user === undefined) {
      throw new errors.InvalidGrant(`invalid username or password (username ${username})`);
    }
    const account = await deps.findAccount(ctx, user.sub);
    if (account === undefined) throw new errors.InvalidGrant(`account ${user.sub} not found`);
    await issueUserTokens(ctx, deps, {
      account,
      scopes: splitScope(scope),
      resource,
      gty: PASSWORD_GRANT_TYPE,
      amr: ['pwd'],
    });
  };
}
