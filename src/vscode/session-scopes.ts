/**
 * The scopes a consumer passes to `vscode.authentication.getSession`, normalised once into a value
 * object: scope modifiers compatible with VS Code's built-in Microsoft provider are taken out
 * (`VSCODE_CLIENT_ID:<id>`, `VSCODE_TENANT:<tenant>`), the OpenID scopes (the core's list: those
 * it adds to every sign-in, and `email`) are dropped, and the rest is sorted so that equal requests
 * compare equal. Raw scopes are not used past this point.
 *
 * Duplicates are dropped letter for letter, case kept, as VS Code compares session scopes:
 * `requested` is what the session reports back to its consumer.
 */
import { isOpenIdScope } from '../core/index.js';

const CLIENT_ID_PREFIX = 'VSCODE_CLIENT_ID:';
const TENANT_PREFIX = 'VSCODE_TENANT:';

export class SessionScopes {
  private constructor(
    /** The scopes as the consumer asked for them, sorted, modifiers included: the session's `scopes`. */
    readonly requested: readonly string[],
    /**
     * What the token is requested for: the resource scopes asked for, else the provider's
     * defaults, else none, which asks the core for OpenID scopes only (a userinfo token).
     */
    readonly resourceScopes: readonly string[],
    /** A client id from `VSCODE_CLIENT_ID:`, overriding the provider's. */
    readonly clientId: string | undefined,
    /** A tenant from `VSCODE_TENANT:`, overriding the provider's. */
    readonly tenant: string | undefined,
  ) {}

  /**
   * Parses consumer scopes. `defaults` (the provider's `scopes` setting) stand in when only
   * OpenID scopes (or none) were asked for; without defaults the resource scopes stay empty.
   */
  static parse(scopes: readonly string[] | undefined, defaults: readonly string[] = []): SessionScopes {
    const requested = [...new Set((scopes ?? []).map((scope) => scope.trim()).filter((scope) => scope.length > 0))].sort();
    let clientId: string | undefined;
    let tenant: string | undefined;
    const resource: string[] = [];
    for (const scope of requested) {
      if (scope.startsWith(CLIENT_ID_PREFIX)) clientId = scope.slice(CLIENT_ID_PREFIX.length) || undefined;
      else if (scope.startsWith(TENANT_PREFIX)) tenant = scope.slice(TENANT_PREFIX.length) || undefined;
      else if (!isOpenIdScope(scope)) resource.push(scope);
    }
    const resourceScopes = resource.length > 0 ? resource : [...defaults];
    return new SessionScopes(requested, resourceScopes, clientId, tenant);
  }

  /**
   * A stable key for the token this asks for: the same scopes in any order, with or without the
   * OpenID scopes, share it (modifiers included, defaults not: they may change in the settings).
   */
  get key(): string {
    return this.requested.filter((scope) => !isOpenIdScope(scope)).join(' ');
  }
}
