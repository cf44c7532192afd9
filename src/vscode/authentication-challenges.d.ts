/**
 * The provider side of VS Code's challenge API, which no `@types/vscode` release carries: the
 * consumer side (`authentication.getSession(id, { wwwAuthenticate, fallbackScopes })`) is stable
 * since VS Code 1.105, while these members are still declared in
 * `vscode.proposed.authenticationChallenges.d.ts`. The extension host does not gate them behind a
 * proposal (1.139: `supportsChallenges` is passed to the workbench as given, and the workbench
 * calls the methods when it is true), so a provider may implement them without
 * `enabledApiProposals`. Editors older than 1.105 ignore the option and never call the methods.
 */
export {};

declare module 'vscode' {
  /** One challenge of a WWW-Authenticate header, as the workbench split it. */
  export interface AuthenticationChallenge {
    /** The scheme as sent, e.g. `Bearer`. */
    readonly scheme: string;
    /** Parameter names as sent; values unquoted. */
    readonly params: Record<string, string>;
  }

  /** What a consumer's `{ wwwAuthenticate, fallbackScopes }` request reaches the provider as. */
  export interface AuthenticationConstraint {
    readonly challenges: readonly AuthenticationChallenge[];
    readonly fallbackScopes?: readonly string[];
  }

  export interface AuthenticationProvider {
    getSessionsFromChallenges?(constraint: AuthenticationConstraint, options: AuthenticationProviderSessionOptions): Thenable<readonly AuthenticationSession[]>;
    createSessionFromChallenges?(constraint: AuthenticationConstraint, options: AuthenticationProviderSessionOptions): Thenable<AuthenticationSession>;
  }

  export interface AuthenticationProviderOptions {
    readonly supportsChallenges?: boolean;
  }
}
