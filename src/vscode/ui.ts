/**
 * The editor side of sign-in: opening the browser, the device-code dialog, progress
 * notifications, the "try another way" question and notices. Every string goes through `l10n.t`.
 * A provider gets all of it as one {@link EditorUi}.
 */
import * as vscode from 'vscode';
import type { DeviceFlow } from '../core/index.js';
import type { FlowChainUi } from './flow-chain.js';
import type { SignInFlow, SignInUi } from './flows.js';

/** Everything a provider shows the person: its one editor-UI dependency. */
export interface EditorUi extends SignInUi, FlowChainUi {
  /** Runs `work` under a cancellable progress notification; cancelling aborts its signal. */
  withProgress<T>(title: string, work: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** A notice that asks for nothing (a sign-in as another account than the one asked for). */
  warn(message: string): void;
}

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

const editorSignInUi: SignInUi = {
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

function withProgress<T>(title: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      return work(controller.signal);
    }),
  );
}

async function askTryAnotherWay(failed: SignInFlow, next: SignInFlow): Promise<boolean> {
  const tryNext = vscode.l10n.t('Try the {0}', next.label);
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Having trouble signing in with the {0}?', failed.label),
    { modal: true, detail: vscode.l10n.t('You can try another way to sign in.') },
    tryNext,
  );
  return choice === tryNext;
}

export const editorUi: EditorUi = {
  ...editorSignInUi,
  withProgress,
  askTryAnotherWay,
  warn: (message) => void vscode.window.showWarningMessage(message),
};
