/**
 * The providers the settings ask for, registered with VS Code, each with its token cache shared
 * with the other windows. When `msalSignIn.*` changes, the providers whose description changed
 * are registered anew (their tokens stay in SecretStorage); the others are left alone, so their
 * in-flight sign-ins and sessions are not disturbed.
 *
 * Besides the settings, the clients this extension registered at issuers no setting names
 * (registered-clients.ts) are providers too, registered the same way after the configured ones;
 * one whose issuer a configured provider with a client id serves is left out: the setting wins.
 */
import * as vscode from 'vscode';
import { MsalAuthenticationProvider, type ProviderDependencies } from './auth-provider.js';
import { SecretDpopKeyStore } from './dpop-key-store.js';
import type { PeerLink } from './peer-link.js';
import { reportCacheProblems, reportingSignInFailures, reportSignInError } from './report-errors.js';
import { type ParsedSettings, type ProviderConfig, SETTINGS_SECTION } from './settings.js';
import type { SecretStore } from './secret-store.js';
import { type CacheLock, SharedTokenCache } from './shared-token-cache.js';
import type { HostErrorExplainer } from './user-errors.js';

/** What every provider shares; the per-provider parts (its cache, PII logging) are made here. */
export interface SharedDependencies extends Omit<ProviderDependencies, 'cache' | 'core'> {
  core: Omit<ProviderDependencies['core'], 'logPii'>;
}

export interface RegistryDependencies {
  secrets: SecretStore;
  /** The cross-window lock of a provider's cache, where the editor has one (the Node wiring). */
  lockFor?(providerId: string): CacheLock;
  /** The other windows, where they do not share SecretStorage. */
  peers?: PeerLink;
  log: vscode.LogOutputChannel;
  /** The words for sign-in failures only this extension host meets (HostPieces.explainError). */
  explainHostError?: HostErrorExplainer;
  shared: SharedDependencies;
}

/** The SecretStorage key of a provider's token cache. */
export function tokenCacheKey(providerId: string): string {
  return `${SETTINGS_SECTION}.tokenCache.${providerId}`;
}

interface Registration {
  /** The settings it was made from, to tell whether a change concerns it. */
  fingerprint: string;
  provider: MsalAuthenticationProvider;
  cache: SharedTokenCache;
  disposables: vscode.Disposable[];
}

export class ProviderRegistry implements vscode.Disposable {
  #registrations = new Map<string, Registration>();
  #settings: ParsedSettings | undefined;
  #registeredClients: readonly ProviderConfig[] = [];
  readonly #changeEmitter = new vscode.EventEmitter<readonly string[]>();
  /** Fires with the provider ids after a settings change was applied. */
  readonly onDidChange = this.#changeEmitter.event;

  constructor(private readonly deps: RegistryDependencies) {}

  get providers(): MsalAuthenticationProvider[] {
    return [...this.#registrations.values()].map((registration) => registration.provider);
  }

  /** Registers what `settings` describe and unregisters what they no longer do. */
  async apply(settings: ParsedSettings): Promise<void> {
    this.#settings = settings;
    await this.#reconcile();
  }

  /** Registers the providers of registered clients (registeredProviderConfig), in place of the previous list. */
  async applyRegisteredClients(configs: readonly ProviderConfig[]): Promise<void> {
    this.#registeredClients = configs;
    if (this.#settings) await this.#reconcile();
  }

  /** The settings' providers, then the registered clients no setting overrides. */
  #wanted(settings: ParsedSettings): ProviderConfig[] {
    const ids = new Set(settings.providers.map((config) => config.id));
    const configuredIssuers = new Set(settings.providers.filter((config) => config.kind === 'oidc' && config.clientId).map((config) => config.issuer));
    const registered = this.#registeredClients.filter((config) => !ids.has(config.id) && !configuredIssuers.has(config.issuer?.replace(/\/+$/, '')));
    return [...settings.providers, ...registered];
  }

  async #reconcile(): Promise<void> {
    const settings = this.#settings!;
    const next = new Map<string, Registration>();
    const fresh: Registration[] = [];
    for (const config of this.#wanted(settings)) {
      const fingerprint = JSON.stringify({ config, logPii: settings.logPii });
      const kept = this.#registrations.get(config.id);
      if (kept?.fingerprint === fingerprint) {
        next.set(config.id, kept);
        continue;
      }
      kept?.disposables.forEach((disposable) => disposable.dispose());
      this.#registrations.delete(config.id);
      const registration = this.#register(config, settings.logPii, fingerprint);
      next.set(config.id, registration);
      fresh.push(registration);
    }
    for (const [id, gone] of this.#registrations) {
      if (!next.has(id)) gone.disposables.forEach((disposable) => disposable.dispose());
    }
    this.#registrations = next;
    // Before the first use: this window's SecretStorage copy may predate another window's write.
    await Promise.all(fresh.map((registration) => registration.cache.catchUp()));
    this.#changeEmitter.fire([...next.keys()]);
  }

  #register(config: ProviderConfig, logPii: boolean, fingerprint: string): Registration {
    const { log, shared } = this.deps;
    const cache = new SharedTokenCache({
      secrets: this.deps.secrets,
      key: tokenCacheKey(config.id),
      lock: this.deps.lockFor?.(config.id),
      peers: this.deps.peers,
      problems: reportCacheProblems(config, log),
    });
    const dpopKeys = config.dpop ? new SecretDpopKeyStore(this.deps.secrets, config.id) : undefined;
    const provider = new MsalAuthenticationProvider(config, { ...shared, core: { ...shared.core, logPii }, cache, ...(dpopKeys ? { dpopKeys } : {}) });
    // A sign-in another extension started and that failed, or a setting that cannot work, is
    // explained to the user as the palette commands do; the consumer still gets the rejection.
    const presented = reportingSignInFailures(provider, (err) => reportSignInError(err, log, config, this.deps.explainHostError));
    // supportsChallenges: VS Code 1.105+ hands consumers' `{ wwwAuthenticate }` requests to
    // getSessionsFromChallenges / createSessionFromChallenges; older editors ignore it.
    const registration = vscode.authentication.registerAuthenticationProvider(config.id, config.label, presented, {
      supportsMultipleAccounts: true,
      supportsChallenges: true,
    });
    return { fingerprint, provider, cache, disposables: [registration, provider, cache] };
  }

  dispose(): void {
    for (const registration of this.#registrations.values()) registration.disposables.forEach((disposable) => disposable.dispose());
    this.#registrations.clear();
    this.#changeEmitter.dispose();
  }
}
