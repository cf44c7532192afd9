/**
 * MSAL's {@link ConfidentialClientApplication}: an app on a server, which keeps a secret or a
 * certificate. It adds to {@link ClientApplication} its client authentication (client-credential.ts)
 * and the grants only such a client may use: client credentials (app-only tokens, regional
 * endpoints) and on-behalf-of.
 */
import type { AuthenticationResult } from './account.js';
import type { Authority } from './authority.js';
import { resultFromCache } from './authentication-result.js';
import { cacheRealmOf } from './cache-realm.js';
import { brokerSwitchesOn, ClientApplication, type ClientApplicationOptions } from './client-application.js';
import { clientAuthFor } from './client-credential.js';
import { randomUuid } from './crypto.js';
import { type DpopBinding, DPOP_TOKEN_TYPE } from './dpop-keys.js';
import { AuthError } from './errors.js';
import { clientCredentialsForm, clientCredentialsGrantRequest, processClientCredentialsResponse } from './grants/client-credentials.js';
import { onBehalfOfGrantRequest, processOnBehalfOfResponse } from './grants/on-behalf-of.js';
import { checkOptionNames, type ClientCredentialsOptions, type OnBehalfOfOptions, OPTION_NAMES } from './options.js';
import { checkAzureRegion, regionalTokenEndpoint, regionToUse } from './region.js';
import { validateScopes } from './scopes.js';
import { cachedTokenState } from './silent-acquisition.js';

/** An app that runs on a server and keeps a secret or a certificate. */
export class ConfidentialClientApplication extends ClientApplication {
  constructor(options: ClientApplicationOptions) {
    if (options?.clientCredential === undefined) {
      throw new AuthError('invalid_argument', 'a confidential client application needs a clientCredential');
    }
    const brokers = brokerSwitchesOn(options);
    // MSAL for Python refuses allow_broker here, and has its enable_broker_on_* on public clients only.
    if (brokers.length > 0) throw new AuthError('invalid_argument', `${brokers.join(', ')}: brokers are for a PublicClientApplication only`);
    // Checked here, where it is used: only client credentials go to a regional endpoint.
    checkAzureRegion(options.azureRegion);
    super(options, clientAuthFor(options.clientCredential, options.clientClaims));
  }

  /** The regional token endpoint for client credentials, when `azureRegion` (or `MSAL_FORCE_REGION`) asks for one. */
  private regionalTokenEndpoint(authority: Authority): string | undefined {
    if (authority.type !== 'AAD') return undefined;
    return regionalTokenEndpoint(authority, regionToUse(this.options.azureRegion, this.platform, this.log));
  }

  /** An app-only token (client credentials), served from the cache while valid. */
  async acquireTokenForClient(scopes: string[], options: ClientCredentialsOptions = {}): Promise<AuthenticationResult> {
    checkOptionNames(options, OPTION_NAMES.clientCredentials, 'acquireTokenForClient');
    clientCredentialsForm(scopes, { data: options.data, caller: 'acquireTokenForClient' }); // refused before the cache is read
    validateScopes(scopes);
    const authority = await this.getAuthority();
    const correlationId = randomUuid();
    // App-only DPoP tokens are bound to the app's own key (home account id '').
    const dpop = await this.dpopBinding(authority, { homeAccountId: '', environment: authority.instance });
    if (!options.claimsChallenge && !options.forceRefresh) {
      const found = this.tokenCache.findAppOnlyAccessToken({
        environments: authority.aliases,
        clientId: this.clientId,
        realm: cacheRealmOf(authority),
        scopes,
        ...(dpop ? { tokenType: DPOP_TOKEN_TYPE, keyId: dpop.key.thumbprint } : {}),
      });
      const state = found && cachedTokenState(found);
      if (found && state !== 'expired') {
        const cached = resultFromCache(this, found, authority, undefined, correlationId);
        if (state === 'valid') return cached;
        try {
          return await this.requestForClient(authority, scopes, options, correlationId, dpop);
        } catch {
          return cached;
        }
      }
    }
    return this.requestForClient(authority, scopes, options, correlationId, dpop);
  }

  private async requestForClient(authority: Authority, scopes: string[], options: ClientCredentialsOptions, correlationId: string, dpop: DpopBinding | undefined) {
    const sent = await clientCredentialsGrantRequest(this.tokenClient, authority, scopes, {
      correlationId,
      claims: this.claimsFor(options.claimsChallenge),
      data: options.data,
      caller: 'acquireTokenForClient',
      tokenEndpoint: this.regionalTokenEndpoint(authority),
      dpop,
    });
    const result = await processClientCredentialsResponse(this.tokenClient, authority, sent);
    return this.storeResult(authority, result, { scopes, correlationId, data: options.data }, dpop);
  }

  /** Exchanges the access token a caller sent to this API for a token to a downstream API. */
  async acquireTokenOnBehalfOf(userAssertion: string, scopes: string[], options: OnBehalfOfOptions = {}): Promise<AuthenticationResult> {
    checkOptionNames(options, OPTION_NAMES.onBehalfOf, 'acquireTokenOnBehalfOf');
    if (typeof userAssertion !== 'string' || userAssertion.length === 0) throw new AuthError('invalid_argument', 'userAssertion is required');
    const authority = await this.getAuthority();
    // Decorated so that a refresh token and an ID token come back, as MSAL does.
    const scope = this.decorate(scopes);
    const correlationId = randomUuid();
    const dpop = await this.dpopBinding(authority);
    const sent = await onBehalfOfGrantRequest(this.tokenClient, authority, userAssertion, scope, {
      correlationId,
      claims: this.claimsFor(options.claimsChallenge),
      data: options.data,
      caller: 'acquireTokenOnBehalfOf',
      dpop,
    });
    const result = await processOnBehalfOfResponse(this.tokenClient, authority, sent);
    return this.storeResult(authority, result, { scopes: scope, correlationId, data: options.data }, dpop);
  }

  /** Removes this app's app-only tokens (those of client credentials) from the cache. */
  async removeTokensForClient(): Promise<void> {
    const authority = await this.getAuthority();
    this.tokenCache.removeAppOnlyTokens({ environments: authority.aliases, clientId: this.clientId });
  }
}
