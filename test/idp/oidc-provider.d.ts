// Types for the part of oidc-provider 9 (which ships no declarations) that the test IdP uses.
// Written from the library's source (lib/provider.js, lib/helpers/defaults.js, lib/models/*);
// widen them here when the IdP starts using more of it.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type JsonObject = Record<string, unknown>;

  export interface ClientMetadata {
    client_id: string;
    client_secret?: string;
    application_type?: 'web' | 'native';
    token_endpoint_auth_method?: string;
    grant_types?: string[];
    response_types?: string[];
    redirect_uris?: string[];
    post_logout_redirect_uris?: string[];
    jwks?: { keys: JsonObject[] };
    client_name?: string;
    scope?: string;
    [key: string]: unknown;
  }

  /** An instance of the provider's Client model. */
  export interface Client {
    readonly clientId: string;
    readonly clientAuthMethod: string;
    readonly applicationType: 'web' | 'native';
    readonly clientName?: string;
    readonly redirectUris: readonly string[];
    grantTypeAllowed(grantType: string): boolean;
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string, claims: JsonObject, rejected: string[]): Promise<JsonObject> | JsonObject;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg?: string; kid?: string } };
  }

  export class ResourceServer {
    constructor(identifier: string, info: ResourceServerInfo);
    readonly audience?: string;
    readonly accessTokenTTL?: number;
    readonly scope: string;
    readonly scopes: Set<string>;
    identifier(): string;
  }

  interface BaseToken {
    jti: string;
    clientId?: string;
    accountId?: string;
    grantId?: string;
    scope?: string;
    gty?: string;
    exp?: number;
    readonly expiration: number;
    readonly tokenType: string;
    readonly isExpired: boolean;
    resourceServer?: ResourceServer;
    save(): Promise<string>;
  }

  interface TokenFields {
    client?: Client;
    accountId?: string;
    grantId?: string;
    gty?: string;
    scope?: string;
    resource?: string | string[];
    claims?: JsonObject;
    sessionUid?: string;
    sid?: string;
    expiresWithSession?: boolean;
    authTime?: number;
    amr?: string[];
    acr?: string;
    nonce?: string;
    rotations?: number;
  }

  export interface AccessToken extends BaseToken {
    aud?: string | string[];
    claims?: JsonObject;
  }

  export interface RefreshToken extends BaseToken {
    readonly scopes: Set<string>;
    resource?: string | string[];
    /** Seconds since the epoch once consumed (rotated). */
    consumed?: number;
    consume(): Promise<void>;
  }

  export interface Grant {
    jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    getOIDCScope(): string;
    getOIDCScopeFiltered(filter: Iterable<string>): string;
    getResourceScope(resource: string): string;
    getOIDCClaims(): string[];
    /** Granted scopes per resource indicator. */
    resources?: Record<string, string>;
    save(): Promise<string>;
  }

  export interface IdToken {
    scope: string;
    set(claim: string, value: unknown): void;
    issue(options: { use: 'idtoken' }): Promise<string>;
  }

  export interface Interaction {
    uid: string;
    returnTo: string;
    grantId?: string;
    prompt: {
      name: 'login' | 'consent' | string;
      reasons: string[];
      details: {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
        login_hint?: string;
        [key: string]: unknown;
      };
    };
    params: Record<string, string | undefined> & { client_id: string };
    session?: { accountId: string; uid: string };
    lastSubmission?: JsonObject;
  }

  export interface InteractionResult {
    login?: { accountId: string; remember?: boolean; amr?: string[]; acr?: string };
    consent?: { grantId?: string };
    error?: string;
    error_description?: string;
    [key: string]: unknown;
  }

  export interface OIDCContext {
    readonly route: string;
    readonly issuer: string;
    readonly provider: Provider;
    params: Record<string, unknown>;
    readonly body?: Record<string, unknown>;
    readonly client?: Client;
    readonly account?: Account;
    readonly entities: {
      Account?: Account;
      Client?: Client;
      Grant?: Grant;
      AccessToken?: AccessToken;
      RefreshToken?: RefreshToken;
      [key: string]: unknown;
    };
    entity(key: string, value: unknown): void;
    urlFor(name: string, options?: JsonObject): string;
  }

  /** The part of a Koa context the IdP touches. */
  export interface KoaContextWithOIDC {
    readonly req: IncomingMessage;
    readonly res: ServerResponse;
    readonly method: string;
    readonly path: string;
    query: Record<string, string | string[] | undefined>;
    status: number;
    body: unknown;
    type: string;
    /** Read by oidc-provider to build endpoint URLs when mounted under a path (as koa-mount sets it). */
    mountPath?: string;
    oidc: OIDCContext;
  }

  export type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;
  export type GrantHandler = (ctx: KoaContextWithOIDC) => Promise<void>;

  export interface Adapter {
    upsert(id: string, payload: JsonObject, expiresIn?: number): Promise<void>;
    find(id: string): Promise<JsonObject | undefined>;
    findByUserCode(userCode: string): Promise<JsonObject | undefined>;
    findByUid(uid: string): Promise<JsonObject | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export type TtlFunction = (ctx: KoaContextWithOIDC | undefined, token: BaseToken, client?: Client) => number;

  export interface Configuration {
    adapter?: (model: string) => Adapter;
    clients?: ClientMetadata[];
    jwks?: { keys: JsonObject[] };
    findAccount?: (ctx: KoaContextWithOIDC, sub: string, token?: unknown) => Promise<Account | undefined>;
    claims?: Record<string, string[] | null>;
    scopes?: string[];
    extraParams?: string[];
    conformIdTokenClaims?: boolean;
    clientBasedCORS?: (ctx: KoaContextWithOIDC, origin: string, client: Client) => boolean;
    cookies?: {
      names?: { session?: string; interaction?: string; resume?: string };
      keys?: string[];
      long?: JsonObject;
      short?: JsonObject;
    };
    features?: Record<string, JsonObject & { enabled?: boolean }>;
    routes?: Record<string, string>;
    pkce?: { required?: (ctx: KoaContextWithOIDC, client: Client) => boolean };
    interactions?: { url?: (ctx: KoaContextWithOIDC, interaction: Interaction) => Promise<string> | string };
    extraTokenClaims?: (ctx: KoaContextWithOIDC, token: BaseToken) => Promise<JsonObject | undefined> | JsonObject | undefined;
    issueRefreshToken?: (ctx: KoaContextWithOIDC, client: Client, source: { scopes: Set<string> }) => Promise<boolean> | boolean;
    rotateRefreshToken?: boolean | ((ctx: KoaContextWithOIDC) => boolean);
    renderError?: (ctx: KoaContextWithOIDC, out: Record<string, string>, error: Error) => Promise<void> | void;
    ttl?: Record<string, number | TtlFunction>;
    enabledJWA?: Record<string, string[]>;
    clockTolerance?: number;
  }

  /** A string is taken as the `error_detail` (kept out of the response, passed to events). */
  export type ErrorOptions = string | { detail?: string; cause?: unknown };

  export class OIDCProviderError extends Error {
    error: string;
    error_description?: string;
    error_detail?: string;
    status: number;
  }

  export const errors: {
    OIDCProviderError: typeof OIDCProviderError;
    InvalidGrant: new (options?: ErrorOptions) => OIDCProviderError;
    InvalidRequest: new (description?: string, status?: number, options?: ErrorOptions) => OIDCProviderError;
    InvalidScope: new (description: string, scope?: string, options?: ErrorOptions) => OIDCProviderError;
    InvalidTarget: new (description?: string, options?: ErrorOptions) => OIDCProviderError;
    UnauthorizedClient: new (description?: string, options?: ErrorOptions) => OIDCProviderError;
    AccessDenied: new (description?: string, options?: ErrorOptions) => OIDCProviderError;
  };

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    use(middleware: Middleware): this;
    on(event: string, listener: (...args: any[]) => void): this;
    registerGrantType(name: string, handler: GrantHandler, params?: string[], allowedDuplicates?: string[]): void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResult,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    readonly Grant: {
      new (fields: { accountId: string; clientId: string }): Grant;
      find(id: string): Promise<Grant | undefined>;
    };
    readonly AccessToken: {
      new (fields: TokenFields): AccessToken;
      /** Finds an opaque access token (JWT access tokens are not stored). */
      find(value: string, options?: { ignoreExpiration?: boolean; ignoreSessionBinding?: boolean }): Promise<AccessToken | undefined>;
    };
    readonly RefreshToken: {
      new (fields: TokenFields): RefreshToken;
      find(value: string): Promise<RefreshToken | undefined>;
    };
    readonly IdToken: new (claims: JsonObject, options: { ctx: KoaContextWithOIDC }) => IdToken;
    readonly ResourceServer: typeof ResourceServer;
    readonly Client: { find(id: string): Promise<Client | undefined> };
  }

  export default Provider;
}
