/**
 * The providers the settings ask for, registered with VS Code, each with its token cache in
 * SecretStorage. When `msalSignIn.*` changes, the providers whose description changed are
 * registered anew (their tokens stay in SecretStorage); the others are left alone, so their
 * in-flight sign-ins and sessions are not disturbed.
 */
import * as vscode from 'vscode';
import { describeError, MsalAuthenticationProvider, type ProviderDependencies } from './auth-provider.js';
import { reportSignInError } from './commands.js';
import { CrossWindowLock } from './cross-window-lock.js';
import { type PeerLink, SecretTokenCache, type SecretStore } from './secret-cache.js';
import { reportingSignInFailures } from './report-errors.js';
import { type ParsedSettings, type ProviderConfig, SETTINGS_SECTION } from './settings.js';

/** What every provider shares; the per-provider parts (store, lock, http cache) are made here. */
export type SharedDependencies = Omit<ProviderDependencies, 'store' | 'lock' | 'httpCache' | 'logPii'>;

export interface RegistryDependencies {
  secrets: SecretStore;
  /** The extension's global storage folder: cross-window locks live there. */
  globalStorage: string;
  peers?: PeerLink;
  log: vscode.LogOutputChannel;
  shared: SharedDependencies;
}

interface Registration {
  /** The settings it was made from, to tell whether a change concerns it. */
  fingerprint: string;
  provider: MsalAuthenticationProvider;
  store: SecretTokenCache;
  disposables: vscode.Disposable[];
}

export class ProviderRegistry implements vscode.Disposable {
  private registrations = new Map<string, Registration>();
  private readonly changeEmitter = new vscode.EventEmitter<readonly string[]>();
  /** Fires with the provider ids after a settings change was applied. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly deps: RegistryDependencies) {}

  get providers(): MsalAuthenticationProvider[] {
    return [...this.registrations.values()].map((registration) => registration.provider);
  }

  /** The token cache stored under `key`, for messages from other windows. */
  storeFor(key: string): SecretTokenCache | undefined {
    return [...this.registrations.values()].find((registration) => registration.store.key === key)?.store;
  }

  /** Registers what `settings` describe and unregisters what they no longer do. */
  async apply(settings: ParsedSettings): Promise<void> {
    const next = new Map<string, Registration>();
    const fresh: Registration[] = [];
    for (const config of settings.providers) {
      const fingerprint = JSON.stringify({ config, logPii: settings.logPii });
      const kept = this.registrations.get(config.id);
      if (kept?.fingerprint === fingerprint) {
        next.set(config.id, kept);
        continue;
      }
      kept?.disposables.forEach((disposable) => disposable.dispose());
      this.registrations.delete(config.id);
      const registration = this.register(config, settings.logPii, fingerprint);
      next.set(config.id, registration);
      fresh.push(registration);
    }
    for (const [id, gone] of this.registrations) {
      if (!next.has(id)) gone.disposables.forEach((disposable) => disposable.dispose());
    }
    this.registrations = next;
    // Before the first use: this window's SecretStorage copy may predate another window's write.
    await Promise.all(fresh.map((registration) => registration.store.catchUp()));
    this.changeEmitter.fire([...next.keys()]);
  }

  private register(config: ProviderConfig, logPii: boolean, fingerprint: string): Registration {
    const { log } = this.deps;
    let provider: MsalAuthenticationProvider | undefined;
    const store = new SecretTokenCache(
      this.deps.secrets,
      `${SETTINGS_SECTION}.tokenCache.${config.id}`,
      {
        onExternalChange: () => void provider?.refreshFromStore(),
        onUnreadable: (backupKey) => {
          log.error(`the stored token cache of ${config.id} was unreadable; kept aside as ${backupKey}`);
          void vscode.window.showWarningMessage(vscode.l10n.t('The saved sign-in data of {0} could not be read. Please sign in again.', config.label));
        },
        onError: (err) => log.error(`reading the stored token cache of ${config.id} failed: ${describeError(err)}`),
      },
      this.deps.peers,
    );
    provider = new MsalAuthenticationProvider(config, {
      ...this.deps.shared,
      store,
      lock: new CrossWindowLock(this.deps.globalStorage, config.id),
      httpCache: new Map(),
      logPii,
    });
    // A sign-in another extension started and that failed, or a setting that cannot work, is
    // explained to the user as the palette commands do; the consumer still gets the rejection.
    const presented = reportingSignInFailures(provider, (err) => reportSignInError(err, log, provider));
    // supportsChallenges: VS Code 1.105+ hands consumers' `{ wwwAuthenticate }` requests to
    // getSessionsFromChallenges / createSessionFromChallenges; older editors ignore it.
    const registration = vscode.authentication.registerAuthenticationProvider(config.id, config.label, presented, {
      supportsMultipleAccounts: true,
      supportsChallenges: true,
    });
    return { fingerprint, provider, store, disposables: [registration, provider, store] };
  }

  dispose(): void {
    for (const registration of this.registrations.values()) registration.disposables.forEach((disposable) => disposable.dispose());
    this.registrations.clear();
    this.changeEmitter.dispose();
  }
}
