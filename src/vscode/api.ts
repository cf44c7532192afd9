/**
 * The API other extensions get from `vscode.extensions.getExtension(…).exports`, for what
 * `authentication.getSession` cannot express: a resource's WWW-Authenticate claims challenge
 * (step-up, continuous access evaluation), a forced refresh, a tenant of their choosing.
 */
import type * as vscode from 'vscode';
import { claimsChallengeFrom } from '../core/www-authenticate.js';
import type { MsalAuthenticationProvider, SignInOptions } from './auth-provider.js';

export interface TokenRequest {
  /** `entra` or the id of a configured OpenID Connect provider. */
  providerId: string;
  scopes: readonly string[];
  /** An account id from a session (`session.account.id`); default: the first signed-in account. */
  accountId?: string;
  /** Entra tenant for this token (same as the `VSCODE_TENANT:` scope modifier). */
  tenant?: string;
  /** Redeem the refresh token even when a cached token is valid. */
  forceRefresh?: boolean;
  /** The `WWW-Authenticate` header of a resource's 401; its claims challenge is satisfied. */
  wwwAuthenticate?: string;
  /** Sign in interactively when no token can be had silently. Default false. */
  interactive?: boolean;
}

export interface MsalSignInApi {
  /** A session for the request, or undefined when none can be had (and `interactive` is off). */
  getSession(request: TokenRequest): Promise<vscode.AuthenticationSession | undefined>;
  /** The ids of the providers this extension registered. */
  readonly providerIds: readonly string[];
}

export function createApi(providers: readonly MsalAuthenticationProvider[]): MsalSignInApi {
  const byId = new Map(providers.map((provider) => [provider.config.id, provider]));
  return {
    providerIds: providers.map((provider) => provider.config.id),
    async getSession(request) {
      const provider = byId.get(request.providerId);
      if (!provider) throw new Error(`unknown provider ${request.providerId}`);
      const scopes = request.tenant ? [...request.scopes, `VSCODE_TENANT:${request.tenant}`] : request.scopes;
      const claimsChallenge = request.wwwAuthenticate ? claimsChallengeFrom(request.wwwAuthenticate) : undefined;
      try {
        const session = await provider.acquireTokenSilently(scopes, request.accountId, { forceRefresh: request.forceRefresh, claimsChallenge });
        if (session) return session;
      } catch (err) {
        if (!request.interactive) throw err;
      }
      if (!request.interactive) return undefined;
      const options: SignInOptions = { claimsChallenge };
      return provider.signIn(scopes, options);
    },
  };
}
