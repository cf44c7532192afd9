/**
 * Where failures are shown: the one place that turns an error into a log line, a message with
 * the next step (the words come from user-errors.ts), or nothing (a cancel).
 *
 * The provider as VS Code sees it is wrapped ({@link reportingSignInFailures}) so that what fails
 * for another extension's request is shown to the person as the palette commands show it; the
 * consumer still gets the rejection.
 * - A sign-in (`createSession`, `createSessionFromChallenges`, a consumer's `createIfNone` or
 *   `forceNewSession`) that failed is reported every time: the person asked for it.
 * - A silent request (`getSessions`, `getSessionsFromChallenges`) that failed because a setting
 *   cannot work (a {@link ConfigurationError}) is reported once per registration, so that a
 *   consumer asking every few seconds does not stack up messages; the registration is made anew
 *   when the settings change, so a new mistake is told again. Other silent failures are the
 *   consumer's to handle.
 */
import * as vscode from 'vscode';
import { AuthError, ServerError } from '../core/index.js';
import type { ProviderConfig } from './settings.js';
import type { CacheProblems } from './shared-token-cache.js';
import { ConfigurationError, errorContextFor, explainSignInError, type HostErrorExplainer } from './user-errors.js';

/** An error described for the log: its code and class, never a token or a query. */
export function describeError(err: unknown): string {
  if (err instanceof ServerError) return `${err.error}${err.errorCodes ? ` ${err.errorCodes.join(',')}` : ''}`;
  if (err instanceof AuthError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return 'unknown error';
}

/**
 * Shows a sign-in failure of `config`'s provider as one clear message with the next step (see
 * user-errors.ts; `explainHostError` words what only this extension host meets).
 */
export async function reportSignInError(err: unknown, log: vscode.LogOutputChannel, config?: ProviderConfig, explainHostError?: HostErrorExplainer): Promise<void> {
  if (err instanceof vscode.CancellationError) return;
  log.error(`sign-in failed: ${describeError(err)}`);
  const explained =
    err instanceof ConfigurationError
      ? { message: err.message, next: 'openSettings' as const, setting: err.setting }
      : config
        ? explainSignInError(err, errorContextFor(config), vscode.l10n.t, explainHostError)
        : { message: vscode.l10n.t('Sign-in failed: {0}', describeError(err)), next: 'showLog' as const };
  if (!explained) return;
  const action = explained.next === 'openSettings' ? vscode.l10n.t('Open Settings') : explained.next === 'showLog' ? vscode.l10n.t('Show Log') : undefined;
  const choice = action ? await vscode.window.showErrorMessage(explained.message, action) : await vscode.window.showErrorMessage(explained.message);
  if (choice === undefined) return;
  if (explained.next === 'openSettings') await vscode.commands.executeCommand('workbench.action.openSettings', explained.setting);
  else log.show();
}

/** What goes wrong with the stored token cache of `config`'s provider: logged, and an unreadable one told to the person. */
export function reportCacheProblems(config: ProviderConfig, log: vscode.LogOutputChannel): CacheProblems {
  return {
    unreadable: (backupKey) => {
      log.error(`the stored token cache of ${config.id} was unreadable; kept aside as ${backupKey}`);
      void vscode.window.showWarningMessage(vscode.l10n.t('The saved sign-in data of {0} could not be read. Please sign in again.', config.label));
    },
    readFailed: (err) => log.error(`reading the stored token cache of ${config.id} failed: ${describeError(err)}`),
  };
}

export function reportingSignInFailures(provider: vscode.AuthenticationProvider, report: (err: unknown) => Promise<void>): vscode.AuthenticationProvider {
  const reportedSettings = new Set<string>();
  /** Runs `work`; a failure `worthTelling` is reported (not awaited: the message waits for a click, the consumer should not). */
  const reporting =
    (worthTelling: (err: unknown) => boolean) =>
    async <T>(work: () => Thenable<T>): Promise<T> => {
      try {
        return await work();
      } catch (err) {
        if (worthTelling(err)) void report(err);
        throw err;
      }
    };
  const silently = reporting((err) => {
    // A setting that cannot work, told once per registration.
    if (!(err instanceof ConfigurationError) || reportedSettings.has(err.message)) return false;
    reportedSettings.add(err.message);
    return true;
  });
  const interactively = reporting(() => true);
  const { getSessionsFromChallenges, createSessionFromChallenges } = provider;
  return {
    onDidChangeSessions: provider.onDidChangeSessions,
    getSessions: (scopes, options) => silently(() => provider.getSessions(scopes, options)),
    createSession: (scopes, options) => interactively(() => provider.createSession(scopes, options)),
    removeSession: (sessionId) => provider.removeSession(sessionId),
    ...(getSessionsFromChallenges && createSessionFromChallenges
      ? {
          getSessionsFromChallenges: (constraint, options) => silently(() => getSessionsFromChallenges.call(provider, constraint, options)),
          createSessionFromChallenges: (constraint, options) => interactively(() => createSessionFromChallenges.call(provider, constraint, options)),
        }
      : {}),
  };
}
