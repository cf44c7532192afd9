/**
 * The editor side of sign-in: opening the browser, the device-code dialog, progress
 * notifications and the "try another way" question. Every string goes through `l10n.t`.
 */
import * as vscode from 'vscode';
import type { DeviceFlow } from '../core/grants/device-code.js';
import type { SignInFlow, SignInUi } from './flows.js';

/**
 * Opens `url` in the user's browser, keeping its query exactly as built. A `Uri` does not: it
 * decodes the query and the editor encodes it again its own way, so a `redirect_uri` carrying
 * its own query (the editor's callback URL) arrived split into separate parameters. Given the
 * string itself, the editor opens that string (its openUri keeps the original when it parses to
 * the same URI), which is why it is passed as it is despite the declared `Uri` parameter.
 */
export async function openExternal(url: string): Promise<boolean> {
  vscode.Uri.parse(url, true); // throws on a malformed URL, as before
  return vscode.env.openExternal(url as unknown as vscode.Uri);
}

export const editorSignInUi: SignInUi = {
  openUri: openExternal,
  async showDeviceCode(flow: DeviceFlow, signal: AbortSignal): Promise<boolean> {
    const copyAndOpen = vscode.l10n.t('Copy & Open');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('Your code: {0}', flow.userCode),
      { modal: true, detail: vscode.l10n.t('To finish signing in, open {0} and enter the code. It is valid for {1} minutes.', flow.verificationUri, Math.round(flow.expiresIn / 60)) },
      copyAndOpen,
    );
    if (choice !== copyAndOpen || signal.aborted) return false;
    await vscode.env.clipboard.writeText(flow.userCode);
    return openExternal(flow.verificationUriComplete ?? flow.verificationUri);
  },
};

/** Runs `work` under a cancellable progress notification; cancelling aborts its signal. */
export function withProgress<T>(title: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      return work(controller.signal);
    }),
  );
}

/** Asks whether to try the next flow after one did not complete. */
export async function askTryAnotherWay(failed: SignInFlow, next: SignInFlow): Promise<boolean> {
  const tryNext = vscode.l10n.t('Try the {0}', next.label);
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Having trouble signing in with the {0}?', failed.label),
    { modal: true, detail: vscode.l10n.t('You can try another way to sign in.') },
    tryNext,
  );
  return choice === tryNext;
}
