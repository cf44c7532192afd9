/**
 * Activation, shared by both builds: reads the settings, registers one authentication provider
 * per configured identity provider, the URI handler, the commands and the exported API, and
 * joins the other windows where they need it. What differs between a Node extension host
 * (src/extension.ts) and a browser's web worker extension host (src/web-extension.ts) comes in
 * as {@link HostPieces}: the HTTP client, the core's platform, the window channel's transport
 * and the cross-window lock. Nothing here needs Node.
 */
import * as vscode from 'vscode';
import type { FetchLike, Platform } from '../core/index.js';
import { createApi, type MsalSignInApi } from './api.js';
import { AuthenticatedFetch } from './authenticated-fetch.js';
import { registerCommands } from './commands.js';
import { editorFetchConsent, identifyCaller, mementoConsentMemory } from './fetch-consent.js';
import type { ExtensionHostKind, SignInFlow, SignInUi } from './flows.js';
import { loggerFor } from './log.js';
import type { PeerMessageHandler, PeerSecret } from './peer-envelope.js';
import { decidePeerChannel } from './peer-gating.js';
import { PeerKey } from './peer-key.js';
import { PeerTopics, type PeerTransport } from './peer-link.js';
import { PendingCallbacks } from './pending-callbacks.js';
import { ProviderRegistry } from './provider-registry.js';
import { EditorCallbackUris, RegisteredCallbacks } from './registered-callback.js';
import { clientRegistrar, editorClientRegistration, editorClientUpdate, RegisteredClients, syncRegisteredProviders } from './registered-clients.js';
import { describeError } from './report-errors.js';
import { parseSettings, SETTINGS_SECTION } from './settings.js';
import type { CacheLock } from './shared-token-cache.js';
import { type EditorUi, editorUi } from './ui.js';
import type { HostErrorExplainer } from './user-errors.js';

/** The path of the URI-handler redirect: vscode://<publisher>.<name>/signin-callback. */
const CALLBACK_PATH = '/signin-callback';

/** A window channel as a host opens it: the socket channel or the BroadcastChannel link. */
export interface WindowChannel extends PeerTransport {
  readonly id: string;
  /** Takes the key the secret holds now, after another window's older key was adopted. */
  rekey(): Promise<void>;
  close(): Promise<void>;
}

/** What only the host knows how to do. */
export interface HostPieces {
  httpClient: FetchLike;
  platform: Platform;
  /** Opens this host's window channel under `key`; asked only where peer-gating.ts says it opens. */
  openWindowChannel(key: PeerSecret, deliver: PeerMessageHandler, warn: (message: string) => void): Promise<WindowChannel>;
  /** The cross-window lock of a provider's cache, where the host has one. */
  lockFor?(providerId: string): CacheLock;
  /** The words for sign-in failures only this host meets (user-errors.ts). */
  explainError: HostErrorExplainer;
  /** The sign-in flows this host can run (sign-in-flows.ts): the loopback flow only where there are sockets. */
  flows: readonly SignInFlow[];
  /** HTML shown in the browser after a loopback sign-in. */
  successPage?: string;
  /** Replaces the editor's UI (the Node host's test hooks script it: test-hooks.ts). */
  ui?: EditorUi;
}

/** The exported API, plus test hooks when the test harness asks for them (the Node host's: test-hooks.ts). */
export interface ExtensionExports extends MsalSignInApi {
  testing?: {
    setUi(ui: SignInUi | undefined): void;
    extensionHost: ExtensionHostKind;
    httpClient: FetchLike;
    /** The token cache as this window's SecretStorage holds it (editor tests compare it byte for byte). */
    storedTokenCache(providerId: string): Promise<string | undefined>;
    /** Whether the cross-window channel opened here, and its id in the registry. */
    peerChannel?: { id: string };
  };
}

/** Whether Node is there: false in a web worker extension host. */
export function hasNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

/** Where the extension host runs relative to the browser the user signs in with. */
export function extensionHostKind(context: vscode.ExtensionContext): ExtensionHostKind {
  if (!hasNode()) return 'webWorker';
  // A workspace extension in a remote window (SSH, WSL, containers, code-server) runs on
  // another machine than the user's browser.
  const remote = vscode.env.remoteName !== undefined || vscode.env.uiKind === vscode.UIKind.Web;
  return remote && context.extension.extensionKind === vscode.ExtensionKind.Workspace ? 'remote' : 'local';
}

/** Closes the window channel at deactivation. */
let closeChannel: (() => Promise<void>) | undefined;

export async function activateWith(context: vscode.ExtensionContext, host: HostPieces): Promise<ExtensionExports> {
  const log = vscode.window.createOutputChannel(vscode.l10n.t('MSAL Sign-In'), { log: true });
  const logger = loggerFor(log);
  context.subscriptions.push(log);
  const readSettings = () => {
    const settings = parseSettings((key) => vscode.workspace.getConfiguration(SETTINGS_SECTION).get(key));
    for (const problem of settings.problems) log.warn(problem);
    if (settings.problems.length > 0) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Some MSAL Sign-In settings were ignored: {0}', settings.problems.join('; ')));
    }
    return settings;
  };

  const callbacks = new PendingCallbacks((message) => log.warn(message));
  context.subscriptions.push(vscode.window.registerUriHandler({ handleUri: (uri) => void callbacks.receive(uri.query) }));
  const callbackUri = vscode.Uri.parse(`${vscode.env.uriScheme}://${context.extension.id}${CALLBACK_PATH}`);
  const hostKind = extensionHostKind(context);
  const peers = await openPeerLink(context, log, hostKind, host);
  if (peers) {
    const { channel } = peers;
    closeChannel = () => channel.close();
    context.subscriptions.push({ dispose: () => void channel.close() }, callbacks.shareWith(peers.link));
  }

  const providers = new ProviderRegistry({
    secrets: context.secrets,
    lockFor: host.lockFor,
    peers: peers?.link,
    log,
    explainHostError: host.explainError,
    shared: {
      core: { httpClient: host.httpClient, platform: host.platform, logger },
      ui: host.ui ?? editorUi,
      signIn: {
        callbacks,
        extensionHost: hostKind,
        externalCallbackUri: () => externalCallbackUri(),
        registeredCallbackUri: (issuer) => registeredCallbacks.callbackUriFor(issuer),
        flows: host.flows,
        successPage: host.successPage,
      },
    },
  });
  context.subscriptions.push(providers);
  let settings = readSettings();
  const externalCallbackUri = async () => (await vscode.env.asExternalUri(callbackUri)).toString(true);
  // Clients registered at issuers no setting names (api.fetch), kept per issuer in SecretStorage.
  const callbackUris = new EditorCallbackUris(externalCallbackUri);
  const registeredClients = new RegisteredClients(context.secrets, editorClientRegistration(host.httpClient, () => callbackUris.forRegistration(), () => settings.allowLoopbackHttp));
  // A browser-based editor's callback URI changes per window and request: the registration follows it (RFC 7592).
  const registeredCallbacks = new RegisteredCallbacks(registeredClients, callbackUris, editorClientUpdate(host.httpClient, () => settings.allowLoopbackHttp), (message) => log.info(message));
  const syncRegistered = () => syncRegisteredProviders(registeredClients, providers, settings.allowLoopbackHttp);
  await syncRegistered();
  await providers.apply(settings);
  context.subscriptions.push(
    registeredClients.onDidChange(() => void syncRegistered().catch((err: unknown) => log.error(`registered clients: ${describeError(err)}`))),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(SETTINGS_SECTION)) return;
      settings = readSettings();
      void syncRegistered().then(() => providers.apply(settings)).then(
        () => log.info(`settings changed: providers ${providers.providers.map((provider) => provider.config.id).join(', ')}`),
        (err: unknown) => log.error(`applying the changed settings failed: ${describeError(err)}`),
      );
    }),
    ...registerCommands(() => providers.providers, log, host.explainError),
  );
  log.info(`activated with providers ${providers.providers.map((provider) => provider.config.id).join(', ')} (${hostKind} extension host)`);

  const authenticatedFetch = new AuthenticatedFetch({
    send: (url, init) => fetch(url, init),
    discovery: host.httpClient,
    providers: () => providers.providers,
    registrar: clientRegistrar(registeredClients, providers, () => settings.allowLoopbackHttp),
    consentUi: editorFetchConsent,
    consent: mementoConsentMemory(context.globalState),
    allowLoopbackHttp: () => settings.allowLoopbackHttp,
    logger,
  });
  return createApi(() => providers.providers, providers.onDidChange, {
    identifyCaller,
    fetch: (caller, url, init) => authenticatedFetch.fetch(caller, url, init),
  });
}

/**
 * Windows of a browser-based editor do not see each other's SecretStorage writes: each token
 * cache hands what it writes to the other windows' extension hosts, over the host's channel,
 * which only holders of a key kept with SecretStorage can use. Desktop windows share
 * SecretStorage: there it does not open (peer-gating.ts).
 */
async function openPeerLink(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  hostKind: ExtensionHostKind,
  host: HostPieces,
): Promise<{ link: PeerTopics; channel: WindowChannel } | undefined> {
  const decision = decidePeerChannel({
    uiKind: vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop',
    remoteName: vscode.env.remoteName,
    appHost: vscode.env.appHost,
    extensionHost: hostKind,
    hasNode: hasNode(),
  });
  log.info(`window channel ${decision.open ? 'opens' : 'stays closed'}: ${decision.reason}`);
  if (!decision.open) return undefined;
  const link = new PeerTopics();
  let channel: WindowChannel | undefined;
  try {
    const key = await PeerKey.load(context.secrets, context.globalState, {
      // Another window's older key was taken: re-list under it, then each cache fetches what it missed.
      onDidChange: () => void channel?.rekey().then(() => link.rejoined()).catch((err: unknown) => log.warn(`the window channel could not take the new key: ${describeError(err)}`)),
    });
    context.subscriptions.push(key);
    channel = await host.openWindowChannel(key, link.deliver, (message) => log.warn(message));
  } catch (err) {
    log.warn(`windows of a browser-based editor will not stay in step: ${describeError(err)}`);
    return undefined;
  }
  link.connect(channel);
  return { link, channel };
}

export async function deactivateWindowChannel(): Promise<void> {
  await closeChannel?.();
  closeChannel = undefined;
}
