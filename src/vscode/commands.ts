/**
 * Command-palette commands: sign in (optionally with the device code), sign out, show the log.
 */
import * as vscode from 'vscode';
import type { MsalAuthenticationProvider } from './auth-provider.js';
import { reportSignInError } from './report-errors.js';
import type { HostErrorExplainer } from './user-errors.js';

export const COMMANDS = {
  signIn: 'msalSignIn.signIn',
  signInWithDeviceCode: 'msalSignIn.signInWithDeviceCode',
  signOut: 'msalSignIn.signOut',
  showLog: 'msalSignIn.showLog',
} as const;

async function pickProvider(providers: readonly MsalAuthenticationProvider[]): Promise<MsalAuthenticationProvider | undefined> {
  if (providers.length === 1) return providers[0];
  const picked = await vscode.window.showQuickPick(
    providers.map((provider) => ({ label: provider.config.label, description: provider.config.id, provider })),
    { placeHolder: vscode.l10n.t('Sign in to…') },
  );
  return picked?.provider;
}

export function registerCommands(
  providers: () => readonly MsalAuthenticationProvider[],
  log: vscode.LogOutputChannel,
  explainHostError?: HostErrorExplainer,
): vscode.Disposable[] {
  const signIn = async (flow?: 'deviceCode') => {
    const provider = await pickProvider(providers());
    if (!provider) return undefined;
    try {
      const session = await provider.signIn(undefined, { flow });
      void vscode.window.showInformationMessage(vscode.l10n.t('Signed in to {0} as {1}.', provider.config.label, session.account.label));
      return session.account.label;
    } catch (err) {
      await reportSignInError(err, log, provider.config, explainHostError);
      return undefined;
    }
  };
  return [
    vscode.commands.registerCommand(COMMANDS.signIn, () => signIn()),
    vscode.commands.registerCommand(COMMANDS.signInWithDeviceCode, () => signIn('deviceCode')),
    vscode.commands.registerCommand(COMMANDS.signOut, async () => {
      const items: { label: string; description: string; provider: MsalAuthenticationProvider; sessionId: string }[] = [];
      for (const provider of providers()) {
        for (const session of await provider.getSessions(undefined)) {
          items.push({ label: session.account.label, description: provider.config.label, provider, sessionId: session.id });
        }
      }
      if (items.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('No account is signed in.'));
        return;
      }
      const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Sign out of…') });
      if (picked) await picked.provider.removeSession(picked.sessionId);
    }),
    vscode.commands.registerCommand(COMMANDS.showLog, () => log.show()),
  ];
}
