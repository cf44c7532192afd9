/**
 * Activation: wiring only. Reads the settings, registers one authentication provider per
 * configured identity provider, the URI handler, the commands and the exported API.
 */
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { FetchLike } from './core/http.js';
import { createApi, type MsalSignInApi } from './vscode/api.js';
import { describeError, MsalAuthenticationProvider } from './vscode/auth-provider.js';
import { registerCommands, reportSignInError } from './vscode/commands.js';
import { CrossWindowLock } from './vscode/cross-window-lock.js';
import type { ExtensionHostKind, SignInUi } from './vscode/flows.js';
import { createEditorHttpClient } from './vscode/http.js';
import { loggerFor } from './vscode/log.js';
import { PendingCallbacks } from './vscode/pending-callbacks.js';
import { reportingSignInFailures } from './vscode/report-errors.js';
import { editorPlatform } from './vscode/platform.js';
import { SecretTokenCache } from './vscode/secret-cache.js';
import { parseSettings, SETTINGS_SECTION } from './vscode/settings.js';
import { askTryAnotherWay, editorSignInUi, withProgress } from './vscode/ui.js';

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
  testing?: { setUi(ui: SignInUi | undefined): void; extensionHost: ExtensionHostKind; httpClient: FetchLike };
}

export async function activate(context: vscode.ExtensionContext): Promise<ExtensionExports> {
  const log = vscode.window.createOutputChannel(vscode.l10n.t('MSAL Sign-In'), { log: true });
  context.subscriptions.push(log);
  const settings = parseSettings((key) => vscode.workspace.getConfiguration(SETTINGS_SECTION).get(key));
  for (const problem of settings.problems) log.warn(problem);
  if (settings.problems.length > 0) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Some MSAL Sign-In settings were ignored: {0}', settings.problems.join('; ')));
  }

  const logger = loggerFor(log);
  const callbacks = new PendingCallbacks((message) => log.warn(message));
  context.subscriptions.push(vscode.window.registerUriHandler({ handleUri: (uri) => void callbacks.deliver(uri.query) }));
  const callbackUri = vscode.Uri.parse(`${vscode.env.uriScheme}://${context.extension.id}${CALLBACK_PATH}`);
  const httpClient = createEditorHttpClient();
  const successPage = await readFile(vscode.Uri.joinPath(context.extensionUri, 'media', 'signed-in.html').fsPath, 'utf8').catch(() => undefined);
  const hostKind = extensionHostKind(context);

  // Tests swap the browser and dialogs for a scripted user; everyone else gets the editor's.
  let testUi: SignInUi | undefined;
  const ui: SignInUi = {
    openUri: (url) => (testUi ?? editorSignInUi).openUri(url),
    showDeviceCode: (flow, signal) => (testUi ?? editorSignInUi).showDeviceCode(flow, signal),
  };

  const providers: MsalAuthenticationProvider[] = [];
  for (const config of settings.providers) {
    const storeKey = `${SETTINGS_SECTION}.tokenCache.${config.id}`;
    let provider: MsalAuthenticationProvider | undefined;
    const store = new SecretTokenCache(context.secrets, storeKey, {
      onExternalChange: () => void provider?.refreshFromStore(),
      onUnreadable: (backupKey) => {
        log.error(`the stored token cache of ${config.id} was unreadable; kept aside as ${backupKey}`);
        void vscode.window.showWarningMessage(vscode.l10n.t('The saved sign-in data of {0} could not be read. Please sign in again.', config.label));
      },
      onError: (err) => log.error(`reading the stored token cache of ${config.id} failed: ${describeError(err)}`),
    });
    provider = new MsalAuthenticationProvider(config, {
      store,
      lock: new CrossWindowLock(context.globalStorageUri.fsPath, config.id),
      httpCache: new Map(),
      httpClient,
      platform: editorPlatform,
      logger,
      logPii: settings.logPii,
      ui,
      callbacks,
      extensionHost: hostKind,
      externalCallbackUri: async () => (await vscode.env.asExternalUri(callbackUri)).toString(true),
      askTryAnotherWay,
      withProgress,
      successPage,
    });
    providers.push(provider);
    context.subscriptions.push(
      store,
      provider,
      vscode.authentication.registerAuthenticationProvider(
        config.id,
        config.label,
        reportingSignInFailures(provider, (err) => reportSignInError(err, log, provider)),
        { supportsMultipleAccounts: true },
      ),
    );
  }
  context.subscriptions.push(...registerCommands(providers, log));
  log.info(`activated with providers ${providers.map((provider) => provider.config.id).join(', ')} (${hostKind} extension host)`);

  const api: ExtensionExports = createApi(providers);
  if (process.env.MSAL_SIGNIN_TEST_HOOKS === '1') {
    api.testing = { setUi: (next) => (testUi = next), extensionHost: hostKind, httpClient };
  }
  return api;
}

export function deactivate(): void {}
