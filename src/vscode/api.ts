/**
 * The API other extensions get from `vscode.extensions.getExtension(…).exports`, for what
 * `authentication.getSession` cannot express: a resource's WWW-Authenticate claims challenge
 * (step-up, continuous access evaluation), a forced refresh, a tenant of their choosing, and a
 * fetch that signs in by itself (authenticated-fetch.ts).
 */
import type * as vscode from 'vscode';
import { claimsChallengeFrom } from '../core/index.js';
import type { MsalAuthenticationProvider, SignInOptions } from './auth-provider.js';
import type { AuthenticatedFetchInit } from './authenticated-fetch.js';
import type { FetchCaller } from './fetch-consent.js';
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
  /**
   * Sends a request to a protected resource and signs in as that resource asks. The request goes
   * out as given; a `401` with `WWW-Authenticate: Bearer resource_metadata="…"` makes this read the
   * resource's metadata (RFC 9728), pick the provider of the issuer it names (or, when no provider
   * serves it and the issuer allows it, register a client there with the person's consent), ask the
   * person once per extension and resource, sign in with the scope the resource names and send the
   * request again. An `insufficient_scope` or `insufficient_claims` challenge later steps up the
   * same way. Later calls send the cached token at once.
   *
   * Only https URLs (http on a loopback host with `msalSignIn.allowLoopbackHttp`). Set no
   * `Authorization` header: this sets it. Name your extension (`extensionId:
   * context.extension.id`) so the consent dialog can say who asks.
   *
   * Resolves with the resource's response (a refusal too, after one answered challenge of each
   * kind); rejects with an `AuthError` when access cannot be had: `cancelled` (the person said no),
   * `not_supported` (no provider and no registration at the issuer), `discovery_failed` (metadata
   * for another resource: `reason` `resource_mismatch`), `invalid_authority` (an http issuer),
   * `invalid_response` (an unusable registration), `invalid_argument` (a URL that is not https).
   */
  fetch(url: string, init?: AuthenticatedFetchInit): Promise<Response>;
}

/** The authenticated fetch behind `api.fetch` (AuthenticatedFetch, with the caller told apart). */
export interface FetchService {
  identifyCaller(extensionId: string | undefined): FetchCaller;
  fetch(caller: FetchCaller, url: string, init: AuthenticatedFetchInit): Promise<Response>;
}

export function createApi(
  providers: () => readonly MsalAuthenticationProvider[],
  onDidChangeProviders: vscode.Event<readonly string[]>,
  fetchService: FetchService,
): MsalSignInApi {
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
    async fetch(url, init = {}) {
      return fetchService.fetch(fetchService.identifyCaller(init.extensionId), url, init);
    },
    async getSession(request) {
      const provider = providerFor(request.providerId);
      const scopes = request.tenant ? [...request.scopes, `VSCODE_TENANT:${request.tenant}`] : request.scopes;
      const claimsChallenge = request.wwwAuthenticate ? claimsChallengeFrom(request.wwwAuthenticate) : undefined;
      const signIn = () => provider.signIn(scopes, { claimsChallenge, flow: request.flow } satisfies SignInOptions);
      if (request.interactive && request.forceNewSession) return signIn();
      try {
        const session = await provider.acquireTokenSilently(scopes, request.accountId, { forceRefresh: request.forceRefresh, claimsChallenge });
        if (session) return session;
      } catch (err) {
        if (!request.interactive) throw err;
      }
      return request.interactive ? signIn() : undefined;
    },
  };
}
