/**
 * The core's applications of one provider: the configured client and tenant, and those a
 * consumer's scope modifiers (`VSCODE_CLIENT_ID:`, `VSCODE_TENANT:`) ask for. Each is made once,
 * and all share the provider's token cache and HTTP cache (discovery is fetched once).
 *
 * A provider with `"dpop": true` has a second application of its configured client, with the
 * core's `dpop` option and the provider's key store: `api.fetch` asks for it (`{ dpop: true }`),
 * getSession consumers get the Bearer one. Both read the same cache; the core serves a DPoP token
 * only to a request naming its key, never as Bearer, and sends a refresh token bound to the key
 * only with a proof of it. A client named by a scope modifier is Bearer.
 */
import * as vscode from 'vscode';
import { type DpopKeyStore, type FetchLike, type Logger, type Platform, PublicClientApplication, type SerializableTokenCache } from '../core/index.js';
import { SessionScopes } from './session-scopes.js';
import type { ProviderConfig } from './settings.js';
import { missingClientIdError, unusableIssuerError } from './user-errors.js';

/** How the core reaches the network and the machine, and what it may log. */
export interface CoreServices {
  httpClient: FetchLike;
  platform: Platform;
  logger: Logger;
  /** User names and tenant ids in the log (`msalSignIn.logPii`). */
  logPii: boolean;
}

/** No scopes, no overrides: the configured client and tenant. */
const CONFIGURED = SessionScopes.parse(undefined);

export class ProviderApps {
  readonly #apps = new Map<string, PublicClientApplication>();
  readonly #httpCache = new Map<string, unknown>();

  constructor(
    private readonly config: ProviderConfig,
    private readonly tokenCache: SerializableTokenCache,
    private readonly core: CoreServices,
    /** The provider's DPoP keys, when its entry has `"dpop": true`. */
    private readonly dpopKeys?: DpopKeyStore,
  ) {}

  /** Whether a `{ dpop: true }` request of these scopes gets the DPoP application. */
  usesDpop(scopes: SessionScopes): boolean {
    return this.config.dpop === true && this.dpopKeys !== undefined && scopes.clientId === undefined;
  }

  /**
   * The application for a request: the configured client and tenant, or the scopes' overrides.
   * With `dpop`, the DPoP application where {@link usesDpop}; the Bearer one otherwise.
   * Throws a ConfigurationError when there is no client id or the settings' issuer cannot work.
   */
  for(scopes: SessionScopes, options: { dpop?: boolean } = {}): PublicClientApplication {
    const dpop = options.dpop === true && this.usesDpop(scopes);
    const clientId = scopes.clientId ?? this.config.clientId;
    if (!clientId) throw missingClientIdError(this.config, vscode.l10n.t);
    const authority =
      this.config.kind === 'oidc'
        ? { oidcAuthority: this.config.issuer }
        : { authority: this.config.authorityOverride ?? `${this.config.authorityBase}/${scopes.tenant ?? this.config.tenant}` };
    const key = `${clientId}|${authority.oidcAuthority ?? authority.authority}${dpop ? '|dpop' : ''}`;
    let app = this.#apps.get(key);
    if (!app) {
      app = this.#create({
        clientId,
        ...authority,
        tokenCache: this.tokenCache,
        httpCache: this.#httpCache,
        httpClient: this.core.httpClient,
        platform: this.core.platform,
        logger: this.core.logger,
        enablePiiLog: this.core.logPii,
        allowInsecureLoopbackAuthority: this.config.allowLoopbackHttp,
        appName: 'vscode-msal-signin',
        ...(dpop ? { dpop: { keys: this.dpopKeys! } } : {}),
      });
      this.#apps.set(key, app);
    }
    return app;
  }

  /** The configured client's application (made now when it has a client id), then those asked for since the start. */
  known(): PublicClientApplication[] {
    const apps = new Set<PublicClientApplication>();
    if (this.config.clientId) apps.add(this.for(CONFIGURED));
    for (const app of this.#apps.values()) apps.add(app);
    return [...apps];
  }

  #create(options: ConstructorParameters<typeof PublicClientApplication>[0]): PublicClientApplication {
    try {
      return new PublicClientApplication(options);
    } catch (err) {
      throw unusableIssuerError(err, this.config, vscode.l10n.t) ?? err;
    }
  }
}
