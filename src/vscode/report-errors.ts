/**
 * The provider as VS Code sees it, with one addition: what fails for another extension's request
 * is shown to the person as one message with the next step, as the palette commands do; the
 * consumer still gets the rejection.
 *
 * - A sign-in (`createSession`, `createSessionFromChallenges`, a consumer's `createIfNone` or
 *   `forceNewSession`) that failed is reported every time: the person asked for it.
 * - A silent request (`getSessions`, `getSessionsFromChallenges`) that failed because a setting
 *   cannot work (a {@link ConfigurationError}) is reported once per registration, so that a
 *   consumer asking every few seconds does not stack up messages; the registration is made anew
 *   when the settings change, so a new mistake is told again. Other silent failures are the
 *   consumer's to handle.
 */
import type * as vscode from 'vscode';
import { ConfigurationError } from './user-errors.js';

export function reportingSignInFailures(provider: vscode.AuthenticationProvider, report: (err: unknown) => Promise<void>): vscode.AuthenticationProvider {
  const reportedSettings = new Set<string>();
  const silently = async <T>(work: () => Thenable<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof ConfigurationError && !reportedSettings.has(err.message)) {
        reportedSettings.add(err.message);
        void report(err);
      }
      throw err;
    }
  };
  const interactively = async <T>(work: () => Thenable<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      // Not awaited: the message waits for a click, the consumer should not.
      void report(err);
      throw err;
    }
  };
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
