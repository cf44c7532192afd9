/**
 * The API other extensions get from `vscode.extensions.getExtension(…).exports`, for what
 * `authentication.getSession` cannot express: a resource's WWW-Authenticate claims challenge
 * (step-up, continuous access evaluation), a forced refresh, a tenant of their choosing.
 */
import type * as vscode from 'vscode';
import { claimsChallengeFrom } from '../core/index.js';
import type { MsalAuthenticationProvider, SignInOptions } from './auth-provider.js';
import type { FlowId } from './settings.js';

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
  /** With `interactive`: sign in again even when a token could be had silently (another account, say). */
  forceNewSession?: boolean;
  /** With `interactive`: only this sign-in flow, instead of the ones chosen for the environment. */
  flow?: FlowId;
}

export interface MsalSignInApi {
  /** A session for the request, or undefined when none can be had (and `interactive` is off). */
  getSession(request: TokenRequest): Promise<vscode.AuthenticationSession | undefined>;
  /** Signs an account out of a provider (as the Accounts menu does): its tokens leave the cache. */
  signOut(providerId: string, accountId: string): Promise<void>;
  /** The ids of the providers this extension registered. */
  readonly providerIds: readonly string[];
  /** Fires with the new provider ids when a change of the settings registered or removed some. */
  readonly onDidChangeProviders: vscode.Event<readonly string[]>;
}

export function createApi(providers: () => readonly MsalAuthenticationProvider[], onDidChangeProviders: vscode.Event<readonly string[]>): MsalSignInApi {
  const providerFor = (id: string) => {
    const provider = providers().find((candidate) => candidate.config.id === id);
    if (!provider) throw new Error(`unknown provider ${id}`);
    return provider;
  };
  return {
    get providerIds() {
      return providers().map((provider) => provider.config.id);
    },
    onDidChangeProviders,
    signOut: (providerId, accountId) => providerFor(providerId).signOut(accountId),
    async getSession(request) {
      const provider = providerFor(request.providerId);
      const scopes = request.tenant ? [...request.scopes, `VSCODE_TENANT:${request.tenant}`] : request.scopes;
      const claimsChallenge = request.wwwAuthenticate ? claimsChallengeFrom(request.wwwAuthenticate) : undefined;
      if (request.interactive && request.forceNewSession) return provider.signIn(scopes, { claimsChallenge, flow: request.flow });
      try {
        const session = await provider.acquireTokenSilently(scopes, request.accountId, { forceRefresh: request.forceRefresh, claimsChallenge });
        if (session) return session;
      } catch (err) {
        if (!request.interactive) throw err;
      }
      if (!request.interactive) return undefined;
      const options: SignInOptions = { claimsChallenge, flow: request.flow };
      return provider.signIn(scopes, options);
    },
  };
}
