/**
 * The provider as VS Code sees it, with one addition: a sign-in that another extension started
 * (`getSession(…, { createIfNone: true })`) and that failed is shown to the user as one message
 * with the next step, as the palette commands do. The consumer still gets the rejection.
 */
import type * as vscode from 'vscode';

export function reportingSignInFailures(provider: vscode.AuthenticationProvider, report: (err: unknown) => Promise<void>): vscode.AuthenticationProvider {
  return {
    onDidChangeSessions: provider.onDidChangeSessions,
    getSessions: (scopes, options) => provider.getSessions(scopes, options),
    createSession: async (scopes, options) => {
      try {
        return await provider.createSession(scopes, options);
      } catch (err) {
        // Not awaited: the message waits for a click, the consumer should not.
        void report(err);
        throw err;
      }
    },
    removeSession: (sessionId) => provider.removeSession(sessionId),
  };
}
