/**
 * One VS Code authentication provider over the core's PublicClientApplication. It stays thin:
 * scopes become a {@link SessionScopes} once, tokens come from the core (cache first, refresh
 * second), sign-in walks the flows chosen for this environment, and the token cache lives in
 * SecretStorage through {@link SecretTokenCache}.
 */
import * as vscode from 'vscode';
import type { Account, AuthenticationResult } from '../core/account.js';
import { PublicClientApplication } from '../core/application.js';
import { AuthError, ServerError } from '../core/errors.js';
import { readChallenges } from './challenges.js';
import { ConfigurationError, errorContextFor, explainMissingClientId, explainSettingProblem, explainSignInError } from './user-errors.js';
import type { FetchLike } from '../core/http.js';
import type { Logger } from '../core/logger.js';
import type { Platform } from '../core/platform.js';
import type { CrossWindowLock } from './cross-window-lock.js';
import { type ExtensionHostKind, type FlowContext, type FlowQuery, FlowUnavailableError, getFlows, type SignInFlow, type SignInUi, unavailableReason } from './flows.js';
import type { PendingCallbacks } from './pending-callbacks.js';
import type { SecretTokenCache } from './secret-cache.js';
import { SessionScopes } from './session-scopes.js';
import type { ProviderConfig } from './settings.js';
import { ALL_FLOWS } from './sign-in-flows.js';

/** What a provider needs from the extension; passed in, never reached for. */
export interface ProviderDependencies {
  store: SecretTokenCache;
  lock?: CrossWindowLock;
  httpCache: Map<string, unknown>;
  httpClient: FetchLike;
  platform: Platform;
  logger: Logger;
  logPii: boolean;
  ui: SignInUi;
  callbacks: PendingCallbacks;
  extensionHost: ExtensionHostKind;
  externalCallbackUri(): Promise<string>;
  /** Asks whether to try the next flow after one failed; false stops. */
  askTryAnotherWay(failed: SignInFlow, next: SignInFlow): Promise<boolean>;
  /** Runs a wait under a cancellable progress notification. */
  withProgress<T>(title: string, work: (signal: AbortSignal) => Promise<T>): Promise<T>;
  successPage?: string;
  flows?: readonly SignInFlow[];
  signInTimeoutMs?: number;
}

/** Options of an explicit sign-in (commands and the exported API). */
export interface SignInOptions {
  /** Only this flow, instead of the environment's list. */
  flow?: SignInFlow['id'];
  loginHint?: string;
  claimsChallenge?: string;
  /**
   * The account the sign-in is for (a consumer's `{ account }`): its name is the login hint, and
   * the person is told when they signed in as someone else.
   */
  account?: vscode.AuthenticationSessionAccountInformation;
}

export { ConfigurationError } from './user-errors.js';

const SESSION_ID_SEPARATOR = '#';
/** No scopes, no overrides: the configured client and tenant, and the id of an account's listing session. */
const ACCOUNT_LISTING = SessionScopes.parse(undefined);

export class MsalAuthenticationProvider implements vscode.AuthenticationProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  readonly onDidChangeSessions = this.changeEmitter.event;
  private readonly apps = new Map<string, PublicClientApplication>();
  /** Accounts this window last knew, to tell other windows' sign-ins and sign-outs apart. */
  private knownAccounts = new Map<string, Account>();

  constructor(
    readonly config: ProviderConfig,
    private readonly deps: ProviderDependencies,
  ) {}

  dispose(): void {
    this.changeEmitter.dispose();
  }

  /** The application for a request: the configured client and tenant, or the scopes' overrides. */
  appFor(scopes: SessionScopes): PublicClientApplication {
    const clientId = scopes.clientId ?? this.config.clientId;
    if (!clientId) {
      const explained = explainMissingClientId(errorContextFor(this.config), vscode.l10n.t);
      throw new ConfigurationError(explained.message, explained.setting!, 'missingClientId');
    }
    const authority =
      this.config.kind === 'oidc'
        ? { oidcAuthority: this.config.issuer }
        : { authority: this.config.authorityOverride ?? `${this.config.authorityBase}/${scopes.tenant ?? this.config.tenant}` };
    const key = `${clientId}|${authority.oidcAuthority ?? authority.authority}`;
    let app = this.apps.get(key);
    if (!app) {
      app = this.createApp({
        clientId,
        ...authority,
        tokenCache: this.deps.store.cache,
        httpCache: this.deps.httpCache,
        httpClient: this.deps.httpClient,
        platform: this.deps.platform,
        logger: this.deps.logger,
        enablePiiLog: this.deps.logPii,
        allowInsecureLoopbackAuthority: this.config.allowLoopbackHttp,
        appName: 'vscode-msal-signin',
      });
      this.apps.set(key, app);
    }
    return app;
  }

  /**
   * The core checks the authority as the application is made; a refusal there (an http issuer
   * without `msalSignIn.allowLoopbackHttp`, a malformed URL) is a setting to fix, told in the
   * words of the settings rather than the library's option names.
   */
  private createApp(options: ConstructorParameters<typeof PublicClientApplication>[0]): PublicClientApplication {
    try {
      return new PublicClientApplication(options);
    } catch (err) {
      const explained = err instanceof AuthError ? explainSignInError(err, errorContextFor(this.config), vscode.l10n.t) : undefined;
      if (explained?.next === 'openSettings' && explained.setting) throw new ConfigurationError(explained.message, explained.setting, 'unusableIssuer');
      throw err;
    }
  }

  /** Runs `work` on a freshly read cache, under the cross-window lock, and saves what changed. */
  private async withCache<T>(work: () => Promise<T>): Promise<T> {
    return this.underLock(async () => {
      await this.deps.store.load();
      try {
        return await work();
      } finally {
        await this.deps.store.save();
      }
    });
  }

  private underLock<T>(work: () => Promise<T>): Promise<T> {
    return this.deps.lock ? this.deps.lock.run(work) : work();
  }

  private toSession(result: AuthenticationResult, scopes: SessionScopes): vscode.AuthenticationSession {
    const account = result.account!;
    return {
      id: sessionId(account.homeAccountId, scopes),
      accessToken: result.accessToken,
      account: accountInformation(account),
      scopes: scopes.requested,
    };
  }

  /**
   * Without scopes VS Code lists accounts (the Accounts menu, `authentication.getAccounts`, the
   * menu's sign-out): see {@link accountSessions}. With scopes a consumer asks for a token: one
   * session per account that can be served silently. OpenID scopes only (or `[]`) ask for the
   * provider's `scopes` setting when it has some, else for what the core gives an empty scope
   * list: a token for the userinfo endpoint. With `account`, only that account's session.
   *
   * A provider nobody configured (no client id) has no sessions; one whose settings cannot work
   * (an unusable issuer) rejects with a {@link ConfigurationError} that says which setting to fix.
   */
  async getSessions(scopes: readonly string[] | undefined, options: vscode.AuthenticationProviderSessionOptions = {}): Promise<vscode.AuthenticationSession[]> {
    if (scopes === undefined) return this.accountSessions(options.account);
    return this.silentSessions(scopes, options.account, undefined);
  }

  /**
   * A consumer's challenge request (VS Code 1.105+): the sessions that satisfy it. Without a claims
   * challenge it is an ordinary request for the challenge's `scope` (else the fallback scopes).
   * With one, no cached access token is handed out: each account's refresh token is redeemed with
   * the claims, and an account whose refresh is refused is left out, for
   * {@link createSessionFromChallenges} to sign in.
   */
  async getSessionsFromChallenges(constraint: vscode.AuthenticationConstraint, options: vscode.AuthenticationProviderSessionOptions = {}): Promise<vscode.AuthenticationSession[]> {
    const { scopes, claimsChallenge } = readChallenges(constraint);
    return this.silentSessions(scopes, options.account, claimsChallenge);
  }

  /** Signs in for a challenge request, with its claims challenge; see {@link getSessionsFromChallenges}. */
  async createSessionFromChallenges(constraint: vscode.AuthenticationConstraint, options: vscode.AuthenticationProviderSessionOptions = {}): Promise<vscode.AuthenticationSession> {
    const { scopes, claimsChallenge } = readChallenges(constraint);
    return this.signIn(scopes, { claimsChallenge, account: options.account, loginHint: options.account?.label });
  }

  private async silentSessions(
    scopes: readonly string[],
    only: vscode.AuthenticationSessionAccountInformation | undefined,
    claimsChallenge: string | undefined,
  ): Promise<vscode.AuthenticationSession[]> {
    const parsed = SessionScopes.parse(scopes, this.config.defaultScopes);
    let app: PublicClientApplication;
    try {
      app = this.appFor(parsed);
    } catch (err) {
      if (err instanceof ConfigurationError && err.problem === 'missingClientId') return [];
      throw err;
    }
    return this.withCache(async () => {
      const accounts = (await app.getAccounts()).filter((account) => isAccount(account, only));
      const sessions: vscode.AuthenticationSession[] = [];
      for (const account of accounts) {
        try {
          // From the cache while valid (no request), else refreshed; an account that cannot be
          // served silently is left out rather than handed an expired token. A claims challenge
          // always skips the cache: the core redeems the refresh token with the claims.
          const result = await app.acquireTokenSilent(parsed.resourceScopes.slice(), account, claimsChallenge ? { claimsChallenge } : {});
          if (result) sessions.push(this.toSession(result, parsed));
        } catch (err) {
          this.deps.logger.warning(`silent token for an account failed: ${describeError(err)}`);
        }
      }
      this.rememberAccounts(await app.getAccounts());
      return sessions;
    });
  }

  /**
   * One session per signed-in account, read from the cache alone, whatever the `scopes` setting.
   * VS Code asks this way only to learn the accounts; its sign-out then removes each session by
   * id. No token is asked for, so listing never waits on the network, and an account whose
   * tokens can no longer be refreshed still shows, to be signed out of. The session carries no
   * access token: a consumer always names scopes (`[]` too) and gets the other branch.
   */
  private async accountSessions(only: vscode.AuthenticationSessionAccountInformation | undefined): Promise<vscode.AuthenticationSession[]> {
    await this.deps.store.load();
    let accounts: Account[];
    try {
      accounts = await this.signedInAccounts();
    } catch (err) {
      // Listing is no request for a token: a provider whose settings cannot work lists nobody
      // (a consumer's request for a token is told why).
      if (err instanceof ConfigurationError) return [];
      throw err;
    }
    this.rememberAccounts(accounts);
    return accounts
      .filter((account) => isAccount(account, only))
      .map((account) => ({ id: sessionId(account.homeAccountId, ACCOUNT_LISTING), accessToken: '', account: accountInformation(account), scopes: [] }));
  }

  /** Every account of the clients this provider has used, the configured client's first, once each. */
  private async signedInAccounts(): Promise<Account[]> {
    const byId = new Map<string, Account>();
    for (const app of this.knownApps()) {
      for (const account of await app.getAccounts()) if (!byId.has(account.homeAccountId)) byId.set(account.homeAccountId, account);
    }
    return [...byId.values()];
  }

  /** The configured client's application and those `VSCODE_CLIENT_ID:` asked for since the start. */
  private knownApps(): PublicClientApplication[] {
    const apps = new Set<PublicClientApplication>();
    if (this.config.clientId) apps.add(this.appFor(ACCOUNT_LISTING));
    for (const app of this.apps.values()) apps.add(app);
    return [...apps];
  }

  /** With `account` (a consumer's, or VS Code's remembered choice) the sign-in is for that account. */
  async createSession(scopes: readonly string[], options: vscode.AuthenticationProviderSessionOptions = {}): Promise<vscode.AuthenticationSession> {
    return this.signIn(scopes, { account: options.account, loginHint: options.account?.label });
  }

  /** Signs in interactively, walking the flows; fires `onDidChangeSessions`. */
  async signIn(scopes: readonly string[] | undefined, options: SignInOptions = {}): Promise<vscode.AuthenticationSession> {
    const parsed = SessionScopes.parse(scopes, this.config.defaultScopes);
    const app = this.appFor(parsed);
    // A setting that cannot be used stops the sign-in before any request, with what to fix.
    const [problem] = this.config.settingProblems ?? [];
    if (problem) {
      const explained = explainSettingProblem(problem, vscode.l10n.t);
      throw new ConfigurationError(explained.message, explained.setting!, 'unusableSetting');
    }
    const available = this.deps.flows ?? ALL_FLOWS;
    const candidates = options.flow ? available.filter((flow) => flow.id === options.flow) : available;
    // Discovery (cached after) tells whether the device code can work at all; asked only when it is a candidate.
    const query: FlowQuery = {
      extensionHost: this.deps.extensionHost,
      preferred: this.config.preferredFlow,
      only: options.flow,
      deviceAuthorizationEndpoint: candidates.some((flow) => flow.needsDeviceAuthorizationEndpoint) ? await app.supportsDeviceFlow() : true,
    };
    const flows = getFlows(available, query);
    const refused = flows.length === 0 ? candidates.find((flow) => unavailableReason(flow, query)) : undefined;
    if (refused) throw new FlowUnavailableError(refused.id, unavailableReason(refused, query)!);
    await this.deps.store.load();
    let lastError: unknown;
    for (const [index, flow] of flows.entries()) {
      try {
        const result = await this.deps.withProgress(vscode.l10n.t('Signing in to {0} with the {1}…', this.config.label, flow.label), (signal) =>
          flow.trigger(this.flowContext(app, parsed, options, signal)),
        );
        // The sign-in ran outside the lock (it can take minutes): what other windows stored
        // meanwhile is read and merged under the lock before the new tokens are written.
        await this.underLock(async () => {
          await this.deps.store.load();
          await this.deps.store.save();
        });
        const session = this.toSession(result, parsed);
        this.deps.logger.info(`signed in to ${this.config.id} with the ${flow.id} flow`);
        if (options.account && !isAccount(result.account!, options.account)) {
          // The tokens are the person's, and kept; VS Code then asks whether to keep them or try again.
          this.deps.logger.warning(`signed in to ${this.config.id} as another account than the one asked for`);
          void vscode.window.showWarningMessage(
            vscode.l10n.t('You signed in to {0} as {1}, not as {2}, the account that was asked for.', this.config.label, session.account.label, options.account.label),
          );
        }
        this.rememberAccounts(await app.getAccounts());
        this.changeEmitter.fire({ added: [session], removed: [], changed: [] });
        return session;
      } catch (err) {
        lastError = err;
        this.deps.logger.warning(`the ${flow.id} flow did not complete: ${describeError(err)}`);
        const next = flows[index + 1];
        // A cancel or an answer from the server ends the chain: another flow would not change it.
        if (isCancellation(err) || err instanceof ServerError || !next) break;
        if (!(await this.deps.askTryAnotherWay(flow, next))) break;
      }
    }
    if (isCancellation(lastError)) throw new vscode.CancellationError();
    throw lastError ?? new AuthError('not_supported', 'no sign-in flow is available here');
  }

  private flowContext(app: PublicClientApplication, scopes: SessionScopes, options: SignInOptions, signal: AbortSignal): FlowContext {
    return {
      app,
      scopes: scopes.resourceScopes.slice(),
      loginHint: options.loginHint,
      claimsChallenge: options.claimsChallenge,
      ui: this.deps.ui,
      signal,
      externalCallbackUri: () => this.deps.externalCallbackUri(),
      waitForCallback: (state, waitSignal) => this.deps.callbacks.waitFor(state, waitSignal),
      successPage: this.deps.successPage,
      loopbackRedirect: this.config.redirectUri,
      authorizationParameters: this.config.authorizationParameters,
      timeoutMs: this.deps.signInTimeoutMs ?? 5 * 60_000,
    };
  }

  /** A token for `scopes`, silently, with the options `getSession` cannot express. */
  async acquireTokenSilently(
    scopes: readonly string[],
    accountId: string | undefined,
    options: { forceRefresh?: boolean; claimsChallenge?: string } = {},
  ): Promise<vscode.AuthenticationSession | undefined> {
    const parsed = SessionScopes.parse(scopes, this.config.defaultScopes);
    const app = this.appFor(parsed);
    return this.withCache(async () => {
      const accounts = await app.getAccounts();
      const account = accountId ? accounts.find((candidate) => candidate.homeAccountId === accountId) : accounts[0];
      if (!account) return undefined;
      const result = await app.acquireTokenSilentWithError(parsed.resourceScopes.slice(), account, options);
      return result ? this.toSession(result, parsed) : undefined;
    });
  }

  /** Signs the session's account out: its tokens leave the cache for every client id used with it. */
  async removeSession(sessionId: string): Promise<void> {
    await this.signOut(sessionId.split(SESSION_ID_SEPARATOR)[0]);
  }

  /** Removes an account's tokens for every client id used with it, and tells VS Code. */
  async signOut(homeAccountId: string): Promise<void> {
    await this.withCache(async () => {
      for (const app of this.knownApps()) {
        const account = (await app.getAccounts()).find((candidate) => candidate.homeAccountId === homeAccountId);
        if (account) await app.removeAccount(account);
      }
    });
    const removed = this.knownAccounts.get(homeAccountId);
    this.knownAccounts.delete(homeAccountId);
    this.deps.logger.info(`signed out of ${this.config.id}`);
    this.changeEmitter.fire({ added: [], removed: [placeholderSession(homeAccountId, removed)], changed: [] });
  }

  /** Called when another window changed the stored cache: tells VS Code which accounts came and went. */
  async refreshFromStore(): Promise<void> {
    if (!this.config.clientId) return;
    let app: PublicClientApplication;
    try {
      app = this.appFor(ACCOUNT_LISTING);
    } catch (err) {
      if (err instanceof ConfigurationError) return;
      throw err;
    }
    const now = new Map((await app.getAccounts()).map((account) => [account.homeAccountId, account]));
    const added = [...now.values()].filter((account) => !this.knownAccounts.has(account.homeAccountId));
    const removed = [...this.knownAccounts.values()].filter((account) => !now.has(account.homeAccountId));
    this.knownAccounts = now;
    this.changeEmitter.fire({
      added: added.map((account) => placeholderSession(account.homeAccountId, account)),
      removed: removed.map((account) => placeholderSession(account.homeAccountId, account)),
      changed: [],
    });
  }

  private rememberAccounts(accounts: Account[]): void {
    for (const account of accounts) this.knownAccounts.set(account.homeAccountId, account);
  }
}

/** Session ids are stable across reloads: the account and the normalised scopes. */
export function sessionId(homeAccountId: string, scopes: SessionScopes): string {
  return `${homeAccountId}${SESSION_ID_SEPARATOR}${scopes.key}`;
}

/**
 * Whether `account` is the one a consumer named (all accounts without one): by id, or by name for
 * an account the consumer knows only by name (one not signed in yet, as VS Code compares them).
 */
function isAccount(account: Account, wanted: vscode.AuthenticationSessionAccountInformation | undefined): boolean {
  if (!wanted) return true;
  if (wanted.id === account.homeAccountId) return true;
  const name = wanted.label.toLowerCase();
  return name.length > 0 && [account.username, account.name].some((candidate) => candidate?.toLowerCase() === name);
}

/** A session in a change event: VS Code re-reads sessions on the event, it only needs the account. */
function placeholderSession(homeAccountId: string, account: Account | undefined): vscode.AuthenticationSession {
  return {
    id: sessionId(homeAccountId, ACCOUNT_LISTING),
    accessToken: '',
    account: account ? accountInformation(account) : { id: homeAccountId, label: homeAccountId },
    scopes: [],
  };
}

/** How VS Code shows an account: its username, else its name, else its id. */
function accountInformation(account: Account): vscode.AuthenticationSessionAccountInformation {
  return { id: account.homeAccountId, label: account.username || account.name || account.homeAccountId };
}

function isCancellation(err: unknown): boolean {
  return err instanceof vscode.CancellationError || (err instanceof AuthError && err.code === 'cancelled');
}

/** An error described for the log: its code and class, never a token or a query. */
export function describeError(err: unknown): string {
  if (err instanceof ServerError) return `${err.error}${err.errorCodes ? ` ${err.errorCodes.join(',')}` : ''}`;
  if (err instanceof AuthError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return 'unknown error';
}
