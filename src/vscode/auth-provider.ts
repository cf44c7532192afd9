/**
 * One VS Code authentication provider over the core's PublicClientApplication. It stays thin:
 * scopes become a {@link SessionScopes} once, the applications come from {@link ProviderApps},
 * tokens come from the core (cache first, refresh second) inside the {@link SharedTokenCache}'s
 * read and write, and sign-in walks the flows chosen for this environment ({@link runFlowChain}).
 */
import * as vscode from 'vscode';
import { type Account, type AuthenticationResult, dpopKeyOwnerOf, type DpopKeyStore, type PublicClientApplication } from '../core/index.js';
import { readChallenges } from './challenges.js';
import { runFlowChain } from './flow-chain.js';
import { type ExtensionHostKind, type FlowContext, type FlowQuery, FlowUnavailableError, getFlows, type SignInFlow, unavailableReason } from './flows.js';
import type { PendingCallbacks } from './pending-callbacks.js';
import { type CoreServices, ProviderApps } from './provider-apps.js';
import { describeError } from './report-errors.js';
import { SessionScopes } from './session-scopes.js';
import type { CachedAccount, SharedTokenCache } from './shared-token-cache.js';
import { type ProviderConfig, signsInAtEntra } from './settings.js';
import type { EditorUi } from './ui.js';
import { ConfigurationError, settingProblemError } from './user-errors.js';

/** What a provider needs from the extension; passed in, never reached for. */
export interface ProviderDependencies {
  /** The provider's tokens, kept in step with the other windows. */
  cache: SharedTokenCache;
  core: CoreServices;
  /** Everything shown to the person: browser, dialogs, progress, notices. */
  ui: EditorUi;
  signIn: SignInEnvironment;
  /** The DPoP keys of a provider whose entry has `"dpop": true` (dpop-key-store.ts). */
  dpopKeys?: DpopKeyStore;
}

/** Options of the calls `api.fetch` makes (authenticated-fetch.ts). */
export interface ResourceTokenOptions {
  /** For a resource request: DPoP where the entry asks for it, and the session carries its credential. */
  forResource?: boolean;
}

/** A session for `api.fetch`: the core's result and the application that presents it to a resource. */
export interface ResourceSession extends vscode.AuthenticationSession {
  resource?: { result: AuthenticationResult; app: PublicClientApplication };
}

/** Where sign-ins run, and what the flows need besides the UI. */
export interface SignInEnvironment {
  extensionHost: ExtensionHostKind;
  callbacks: Pick<PendingCallbacks, 'waitFor'>;
  /** The editor's redirect URI for the URI-handler flow, as the outside world reaches it. */
  externalCallbackUri(): Promise<string>;
  /** The same for the client registered at `issuer`, its registration updated first when needed (registered-callback.ts). */
  registeredCallbackUri?(issuer: string): Promise<string>;
  successPage?: string;
  /** The flows this host can run, to choose from (HostPieces.flows; tests give their own). */
  flows: readonly SignInFlow[];
  /** How long to wait for the person in the browser; default five minutes. */
  timeoutMs?: number;
}

/** Options of an explicit sign-in (commands and the exported API). */
export interface SignInOptions extends ResourceTokenOptions {
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

const SESSION_ID_SEPARATOR = '#';
/** No scopes, no overrides: the configured client and tenant, and the id of an account's listing session. */
const ACCOUNT_LISTING = SessionScopes.parse(undefined);

export class MsalAuthenticationProvider implements vscode.AuthenticationProvider, vscode.Disposable {
  readonly #changeEmitter = new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  readonly onDidChangeSessions = this.#changeEmitter.event;
  readonly #apps: ProviderApps;
  readonly #cache: SharedTokenCache;
  readonly #logger: CoreServices['logger'];
  readonly #accountsSubscription: { dispose(): unknown };

  constructor(
    readonly config: ProviderConfig,
    private readonly deps: ProviderDependencies,
  ) {
    this.#cache = deps.cache;
    this.#logger = deps.core.logger;
    this.#apps = new ProviderApps(config, deps.cache.tokenCache, deps.core, config.dpop ? deps.dpopKeys : undefined);
    // Another window signed in or out: VS Code re-reads the sessions of the accounts named.
    this.#accountsSubscription = deps.cache.onDidChangeAccounts(({ added, removed }) =>
      this.#changeEmitter.fire({ added: added.map(listingSession), removed: removed.map(listingSession), changed: [] }),
    );
  }

  dispose(): void {
    this.#accountsSubscription.dispose();
    this.#changeEmitter.dispose();
  }

  /**
   * The session of `result`. One for `api.fetch` also carries `presenter`, the application that
   * presents its token to a resource (never handed to getSession consumers).
   */
  #toSession(result: AuthenticationResult, scopes: SessionScopes, presenter?: PublicClientApplication): ResourceSession {
    const account = result.account!;
    return {
      id: sessionId(account.homeAccountId, scopes),
      accessToken: result.accessToken,
      account: accountInformation(account),
      scopes: scopes.requested,
      ...(presenter ? { resource: { result, app: presenter } } : {}),
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
    if (scopes === undefined) return this.#accountSessions(options.account);
    return this.#silentSessions(scopes, options.account, undefined);
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
    return this.#silentSessions(scopes, options.account, claimsChallenge);
  }

  /** Signs in for a challenge request, with its claims challenge; see {@link getSessionsFromChallenges}. */
  async createSessionFromChallenges(constraint: vscode.AuthenticationConstraint, options: vscode.AuthenticationProviderSessionOptions = {}): Promise<vscode.AuthenticationSession> {
    const { scopes, claimsChallenge } = readChallenges(constraint);
    return this.signIn(scopes, { claimsChallenge, account: options.account, loginHint: options.account?.label });
  }

  async #silentSessions(
    scopes: readonly string[],
    only: vscode.AuthenticationSessionAccountInformation | undefined,
    claimsChallenge: string | undefined,
  ): Promise<vscode.AuthenticationSession[]> {
    const parsed = SessionScopes.parse(scopes, this.config.defaultScopes);
    let app: PublicClientApplication;
    try {
      app = this.#apps.for(parsed);
    } catch (err) {
      if (err instanceof ConfigurationError && err.problem === 'missingClientId') return [];
      throw err;
    }
    return this.#cache.write(async () => {
      const accounts = (await app.getAccounts()).filter((account) => isAccount(account, only));
      const sessions: vscode.AuthenticationSession[] = [];
      for (const account of accounts) {
        try {
          // From the cache while valid (no request), else refreshed; an account that cannot be
          // served silently is left out rather than handed an expired token. A claims challenge
          // always skips the cache: the core redeems the refresh token with the claims. A
          // refresh token bound to a DPoP key (an `api.fetch` sign-in) is never sent by this
          // Bearer application: the core leaves it for the DPoP one, and the account out here.
          const result = await app.acquireTokenSilent(parsed.resourceScopes.slice(), account, claimsChallenge ? { claimsChallenge } : {});
          if (result) sessions.push(this.#toSession(result, parsed));
        } catch (err) {
          this.#logger.warning(`silent token for an account failed: ${describeError(err)}`);
        }
      }
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
  async #accountSessions(only: vscode.AuthenticationSessionAccountInformation | undefined): Promise<vscode.AuthenticationSession[]> {
    let accounts: Account[];
    try {
      accounts = await this.#cache.read(() => this.#signedInAccounts());
    } catch (err) {
      // Listing is no request for a token: a provider whose settings cannot work lists nobody
      // (a consumer's request for a token is told why).
      if (err instanceof ConfigurationError) return [];
      throw err;
    }
    return accounts
      .filter((account) => isAccount(account, only))
      .map(listingSession);
  }

  /** Every account of the clients this provider has used, the configured client's first, once each. */
  async #signedInAccounts(): Promise<Account[]> {
    const byId = new Map<string, Account>();
    for (const app of this.#apps.known()) {
      for (const account of await app.getAccounts()) if (!byId.has(account.homeAccountId)) byId.set(account.homeAccountId, account);
    }
    return [...byId.values()];
  }

  /** With `account` (a consumer's, or VS Code's remembered choice) the sign-in is for that account. */
  async createSession(scopes: readonly string[], options: vscode.AuthenticationProviderSessionOptions = {}): Promise<vscode.AuthenticationSession> {
    return this.signIn(scopes, { account: options.account, loginHint: options.account?.label });
  }

  /** Signs in interactively, walking the flows; fires `onDidChangeSessions`. */
  async signIn(scopes: readonly string[] | undefined, options: SignInOptions = {}): Promise<ResourceSession> {
    const parsed = SessionScopes.parse(scopes, this.config.defaultScopes);
    const app = this.#apps.for(parsed, { dpop: options.forResource });
    // A setting that cannot be used stops the sign-in before any request, with what to fix.
    const [problem] = this.config.settingProblems ?? [];
    if (problem) throw settingProblemError(problem, vscode.l10n.t);
    const flows = await this.#flowsFor(app, options.flow);
    // The flows run outside the lock: a person takes minutes, and no refresh token is redeemed.
    // What other windows stored meanwhile is merged in by the write that stores the new tokens.
    const { flow, result } = await this.#cache.read(() =>
      runFlowChain(
        flows,
        this.deps.ui,
        (candidate) =>
          this.deps.ui.withProgress(vscode.l10n.t('Signing in to {0} with the {1}…', this.config.label, candidate.label), (signal) =>
            candidate.trigger(this.#flowContext(app, parsed, options, signal)),
          ),
        (failed, err) => this.#logger.warning(`the ${failed.id} flow did not complete: ${describeError(err)}`),
      ),
    );
    const session = await this.#cache.write(async () => this.#toSession(result, parsed, options.forResource ? app : undefined));
    this.#logger.info(`signed in to ${this.config.id} with the ${flow.id} flow`);
    if (options.account && !isAccount(result.account!, options.account)) {
      // The tokens are the person's, and kept; VS Code then asks whether to keep them or try again.
      this.#logger.warning(`signed in to ${this.config.id} as another account than the one asked for`);
      this.deps.ui.warn(vscode.l10n.t('You signed in to {0} as {1}, not as {2}, the account that was asked for.', this.config.label, session.account.label, options.account.label));
    }
    this.#changeEmitter.fire({ added: [session], removed: [], changed: [] });
    return session;
  }

  /** The flows to offer, in order; a flow asked for by name that cannot work here throws {@link FlowUnavailableError}. */
  async #flowsFor(app: PublicClientApplication, only: SignInFlow['id'] | undefined): Promise<SignInFlow[]> {
    const { flows: available, extensionHost } = this.deps.signIn;
    const candidates = only ? available.filter((flow) => flow.id === only) : available;
    // A web worker's list leaves out the one flow it cannot run: the loopback listener needs sockets.
    if (only && candidates.length === 0 && extensionHost === 'webWorker') throw new FlowUnavailableError(only, 'noSocketsInWebWorker');
    // Discovery (cached after) tells whether the device code can work at all; asked only when it is a candidate.
    const known = {
      extensionHost,
      // Entra's devicecode endpoint sends no CORS headers (its token endpoint does, for SPA redirect URIs).
      deviceEndpointServesBrowsers: !signsInAtEntra(this.config),
    };
    // What cannot run here whatever the discovery document says is ruled out without asking it.
    const askDiscovery = candidates.some((flow) => flow.needsDeviceAuthorizationEndpoint && !unavailableReason(flow, { ...known, deviceAuthorizationEndpoint: true }));
    const query: FlowQuery = {
      ...known,
      preferred: this.config.preferredFlow,
      only,
      deviceAuthorizationEndpoint: askDiscovery ? await app.supportsDeviceFlow() : true,
    };
    const flows = getFlows(available, query);
    const refused = flows.length === 0 ? candidates.find((flow) => unavailableReason(flow, query)) : undefined;
    if (refused) throw new FlowUnavailableError(refused.id, unavailableReason(refused, query)!);
    return flows;
  }

  #flowContext(app: PublicClientApplication, scopes: SessionScopes, options: SignInOptions, signal: AbortSignal): FlowContext {
    const environment = this.deps.signIn;
    return {
      app,
      scopes: scopes.resourceScopes.slice(),
      loginHint: options.loginHint,
      claimsChallenge: options.claimsChallenge,
      ui: this.deps.ui,
      signal,
      externalCallbackUri: () =>
        this.config.registered && this.config.issuer && environment.registeredCallbackUri ? environment.registeredCallbackUri(this.config.issuer) : environment.externalCallbackUri(),
      waitForCallback: (state, waitSignal) => environment.callbacks.waitFor(state, waitSignal),
      successPage: environment.successPage,
      loopbackRedirect: this.config.redirectUri,
      authorizationParameters: this.config.authorizationParameters,
      timeoutMs: environment.timeoutMs ?? 5 * 60_000,
    };
  }

  /** A token for `scopes`, silently, with the options `getSession` cannot express. */
  async acquireTokenSilently(
    scopes: readonly string[],
    accountId: string | undefined,
    options: { forceRefresh?: boolean; claimsChallenge?: string } & ResourceTokenOptions = {},
  ): Promise<ResourceSession | undefined> {
    const parsed = SessionScopes.parse(scopes, this.config.defaultScopes);
    const { forResource, ...silent } = options;
    const app = this.#apps.for(parsed, { dpop: forResource });
    return this.#cache.write(async () => {
      const accounts = await app.getAccounts();
      const account = accountId ? accounts.find((candidate) => candidate.homeAccountId === accountId) : accounts[0];
      if (!account) return undefined;
      const result = await app.acquireTokenSilentWithError(parsed.resourceScopes.slice(), account, silent);
      if (!result) return undefined;
      return this.#toSession(result, parsed, forResource ? app : undefined);
    });
  }

  /** Signs the session's account out: its tokens leave the cache for every client id used with it. */
  async removeSession(sessionId: string): Promise<void> {
    await this.signOut(sessionId.split(SESSION_ID_SEPARATOR)[0]);
  }

  /** Removes an account's tokens for every client id used with it, and tells VS Code. */
  async signOut(homeAccountId: string): Promise<void> {
    const removed = await this.#cache.write(async () => {
      let found: Account | undefined;
      for (const app of this.#apps.known()) {
        const account = (await app.getAccounts()).find((candidate) => candidate.homeAccountId === homeAccountId);
        if (account) await app.removeAccount(account);
        found ??= account;
      }
      // Only the application with DPoP on removes a key, and the first app may have left it no account.
      if (found && this.deps.dpopKeys) await this.deps.dpopKeys.remove(dpopKeyOwnerOf(found));
      return found;
    });
    this.#logger.info(`signed out of ${this.config.id}`);
    this.#changeEmitter.fire({ added: [], removed: [listingSession(removed ?? { homeAccountId, username: '' })], changed: [] });
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

/**
 * A session that names only its account, without a token: what VS Code lists accounts by, and
 * what a change event carries (VS Code re-reads sessions on the event, it only needs the account).
 */
function listingSession(account: CachedAccount): vscode.AuthenticationSession {
  return { id: sessionId(account.homeAccountId, ACCOUNT_LISTING), accessToken: '', account: accountInformation(account), scopes: [] };
}

/** How VS Code shows an account: its username, else its name, else its id. */
function accountInformation(account: CachedAccount): vscode.AuthenticationSessionAccountInformation {
  return { id: account.homeAccountId, label: account.username || account.name || account.homeAccountId };
}
