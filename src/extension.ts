/**
 * Activation: wiring only. Reads the settings, registers one authentication provider per
 * configured identity provider, the URI handler, the commands and the exported API.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { FetchLike } from './core/index.js';
import { CrossWindowLock } from './node/cross-window-lock.js';
import { PeerChannel } from './node/peer-channel.js';
import { createApi, type MsalSignInApi } from './vscode/api.js';
import { AuthenticatedFetch } from './vscode/authenticated-fetch.js';
import { editorFetchConsent, identifyCaller, mementoConsentMemory } from './vscode/fetch-consent.js';
import { registerCommands } from './vscode/commands.js';
import type { ExtensionHostKind, SignInUi } from './vscode/flows.js';
import { createEditorHttpClient } from './vscode/http.js';
import { loggerFor } from './vscode/log.js';
import { PendingCallbacks } from './vscode/pending-callbacks.js';
import { decidePeerChannel } from './vscode/peer-gating.js';
import { PeerKey } from './vscode/peer-key.js';
import { PeerTopics } from './vscode/peer-link.js';
import { editorPlatform } from './vscode/platform.js';
import { ProviderRegistry } from './vscode/provider-registry.js';
import { clientRegistrar, editorClientRegistration, RegisteredClients, syncRegisteredProviders } from './vscode/registered-clients.js';
import { describeError } from './vscode/report-errors.js';
import { parseSettings, SETTINGS_SECTION } from './vscode/settings.js';
import { type EditorUi, editorUi } from './vscode/ui.js';

/** The path of the URI-handler redirect: vscode://<publisher>.<name>/signin-callback. */
const CALLBACK_PATH = '/signin-callback';

/** Where the extension host runs relative to the browser the user signs in with. */
function extensionHostKind(context: vscode.ExtensionContext): ExtensionHostKind {
  if (typeof process === 'undefined' || !process.versions?.node) return 'webWorker';
  // A workspace extension in a remote window (SSH, WSL, containers, code-server) runs on
  // another machine than the user's browser.
  const remote = vscode.env.remoteName !== undefined || vscode.env.uiKind === vscode.UIKind.Web;
  return remote && context.extension.extensionKind === vscode.ExtensionKind.Workspace ? 'remote' : 'local';
}

/** The exported API, plus test hooks when the test harness asks for them. */
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

export async function activate(context: vscode.ExtensionContext): Promise<ExtensionExports> {
  const log = vscode.window.createOutputChannel(vscode.l10n.t('MSAL Sign-In'), { log: true });
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
  const httpClient = createEditorHttpClient();
  context.subscriptions.push(vscode.window.registerUriHandler({ handleUri: (uri) => void callbacks.deliver(uri.query) }));
  const callbackUri = vscode.Uri.parse(`${vscode.env.uriScheme}://${context.extension.id}${CALLBACK_PATH}`);
  const successPage = await readFile(vscode.Uri.joinPath(context.extensionUri, 'media', 'signed-in.html').fsPath, 'utf8').catch(() => undefined);
  const hostKind = extensionHostKind(context);

  // Tests swap the browser and dialogs for a scripted user; everyone else gets the editor's.
  let testUi: SignInUi | undefined;
  const ui: EditorUi = {
    ...editorUi,
    openUri: (url) => (testUi ?? editorUi).openUri(url),
    showDeviceCode: (flow, signal) => (testUi ?? editorUi).showDeviceCode(flow, signal),
  };

  const peers = await openPeerLink(context, log, hostKind);
  if (peers) {
    const { channel } = peers;
    closeChannel = () => channel.close();
    context.subscriptions.push({ dispose: () => void channel.close() });
  }

  const providers = new ProviderRegistry({
    secrets: context.secrets,
    lockFor: (providerId) => new CrossWindowLock(context.globalStorageUri.fsPath, providerId),
    peers: peers?.link,
    log,
    shared: {
      core: { httpClient, platform: editorPlatform, logger: loggerFor(log) },
      ui,
      signIn: {
        callbacks,
        extensionHost: hostKind,
        externalCallbackUri: () => externalCallbackUri(),
        successPage,
      },
    },
  });
  context.subscriptions.push(providers);
  let settings = readSettings();
  const externalCallbackUri = async () => (await vscode.env.asExternalUri(callbackUri)).toString(true);
  // Clients registered at issuers no setting names (api.fetch), kept per issuer in SecretStorage.
  const registeredClients = new RegisteredClients(context.secrets, editorClientRegistration(httpClient, externalCallbackUri, () => settings.allowLoopbackHttp));
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
    ...registerCommands(() => providers.providers, log),
  );
  log.info(`activated with providers ${providers.providers.map((provider) => provider.config.id).join(', ')} (${hostKind} extension host)`);

  const authenticatedFetch = new AuthenticatedFetch({
    send: (url, init) => fetch(url, init),
    discovery: httpClient,
    providers: () => providers.providers,
    registrar: clientRegistrar(registeredClients, providers, () => settings.allowLoopbackHttp),
    consentUi: editorFetchConsent,
    consent: mementoConsentMemory(context.globalState),
    allowLoopbackHttp: () => settings.allowLoopbackHttp,
    logger: loggerFor(log),
  });
  const api: ExtensionExports = createApi(() => providers.providers, providers.onDidChange, {
    identifyCaller,
    fetch: (caller, url, init) => authenticatedFetch.fetch(caller, url, init),
  });
  if (process.env.MSAL_SIGNIN_TEST_HOOKS === '1') {
    api.testing = {
      setUi: (next) => (testUi = next),
      extensionHost: hostKind,
      httpClient,
      storedTokenCache: async (providerId) => context.secrets.get(`${SETTINGS_SECTION}.tokenCache.${providerId}`),
      peerChannel: peers && { id: peers.channel.id },
    };
  }
  return api;
}

/**
 * Windows of a browser-based editor do not see each other's SecretStorage writes: each token
 * cache hands what it writes to the other windows' extension hosts on this machine, over a
 * channel only holders of a key kept with SecretStorage can use. Desktop windows share
 * SecretStorage: there it does not open (peer-gating.ts).
 */
async function openPeerLink(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  hostKind: ExtensionHostKind,
): Promise<{ link: PeerTopics; channel: PeerChannel } | undefined> {
  const decision = decidePeerChannel({
    uiKind: vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop',
    remoteName: vscode.env.remoteName,
    appHost: vscode.env.appHost,
    extensionHost: hostKind,
    hasNode: typeof process !== 'undefined' && !!process.versions?.node,
  });
  log.info(`window channel ${decision.open ? 'opens' : 'stays closed'}: ${decision.reason}`);
  if (!decision.open) return undefined;
  const link = new PeerTopics();
  let channel: PeerChannel | undefined;
  try {
    const key = await PeerKey.load(context.secrets, context.globalState, {
      // Another window's older key was taken: re-list under it, then each cache fetches what it missed.
      onDidChange: () => void channel?.rekey().then(() => link.rejoined()).catch((err: unknown) => log.warn(`the window channel could not take the new key: ${describeError(err)}`)),
    });
    context.subscriptions.push(key);
    channel = await PeerChannel.open(join(context.globalStorageUri.fsPath, 'peers'), key, link.deliver, (message) => log.warn(message));
  } catch (err) {
    log.warn(`windows of a browser-based editor will not stay in step: ${describeError(err)}`);
    return undefined;
  }
  link.connect(channel);
  return { link, channel };
}

/** Closes the window channel: its registry entry and socket folder go with it. */
let closeChannel: (() => Promise<void>) | undefined;

export async function deactivate(): Promise<void> {
  await closeChannel?.();
  closeChannel = undefined;
}
