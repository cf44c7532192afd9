/**
 * The public native clients this extension registered (RFC 7591) at authorization servers no
 * setting names, one per issuer, kept in SecretStorage so that every window and every later
 * session reuses the same client instead of registering again. Each becomes a provider like the
 * configured ones (ProviderRegistry registers it with VS Code, label: the issuer's host), so the
 * Accounts menu lists its accounts and signs them out.
 *
 * A registration is only ever added after the person agreed to it (authenticated-fetch.ts asks);
 * this store neither asks nor registers on its own. A client id configured for the same issuer in
 * the settings always wins: the registry leaves a registered client out when one is.
 */
import {
  AuthError,
  type AuthorizationServerMetadata,
  describeUrl,
  type FetchLike,
  isJsonObject,
  type NativeClientRegistration,
  registerNativeClient,
  SharedInFlight,
  updateNativeClient,
} from '../core/index.js';
import type { ProviderConfig } from './settings.js';
import { readJsonSecret, type SecretStore } from './secret-store.js';

/** The SecretStorage key: a JSON object, issuer → registration. */
export const REGISTERED_CLIENTS_KEY = 'msalSignIn.registeredClients';

/** Registers a client at an issuer (the core's registerNativeClient with the editor's redirect URIs). */
export type RegisterClient = (metadata: AuthorizationServerMetadata) => Promise<NativeClientRegistration>;

/** FNV-1a, 32 bits: a short stable suffix that tells two issuers on one host apart (not a secret). */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** The provider id of the client registered at `issuer`: `dcr.<host>.<hash>`, within the settings' id rule. */
export function registeredProviderId(issuer: string): string {
  const host = new URL(issuer).host.toLowerCase().replace(/[^a-z0-9.-]/g, '-').slice(0, 40);
  return `dcr.${host}.${shortHash(issuer)}`;
}

/**
 * The provider a registration stands for. Its URI-handler sign-ins ask the editor for a callback
 * URI like any provider's, and registered-callback.ts updates the registration (RFC 7592) when it
 * does not hold that URI: the config carries no redirect URI, so an update re-registers nothing.
 *
 * It is Bearer, like a configured entry without `"dpop": true`: DPoP is where a setting opts in,
 * and no person chose it for a registration made on a resource's say-so (a resource that accepts
 * only DPoP is served by a configured entry).
 */
export function registeredProviderConfig(registration: NativeClientRegistration, allowLoopbackHttp: boolean): ProviderConfig {
  return {
    id: registeredProviderId(registration.issuer),
    label: new URL(registration.issuer).host,
    kind: 'oidc',
    clientId: registration.client_id,
    issuer: registration.issuer,
    defaultScopes: [],
    allowLoopbackHttp,
    registered: true,
  };
}

function isRegistration(value: unknown, issuer: string): value is NativeClientRegistration {
  return isJsonObject(value) && value.issuer === issuer && typeof value.client_id === 'string' && value.client_id !== '' && value.token_endpoint_auth_method === 'none';
}

export class RegisteredClients {
  readonly #registering = new SharedInFlight<NativeClientRegistration>();

  constructor(
    private readonly secrets: SecretStore,
    private readonly registerClient: RegisterClient,
  ) {}

  /** Every stored registration; an unreadable value counts as none (it is replaced by the next registration). */
  async all(): Promise<NativeClientRegistration[]> {
    return Object.values(await this.#read());
  }

  /** The stored registration for `issuer`, if any. */
  async find(issuer: string): Promise<NativeClientRegistration | undefined> {
    return (await this.#read())[issuer];
  }

  /**
   * The registration for the issuer of `metadata`: the stored one, else a new one, stored before
   * it is returned. Concurrent calls for one issuer register once. Call only with the person's consent.
   */
  async obtain(metadata: AuthorizationServerMetadata): Promise<NativeClientRegistration> {
    const stored = await this.find(metadata.issuer);
    if (stored) return stored;
    return this.#registering.share(metadata.issuer, () => this.#registerAndStore(metadata));
  }

  /** Stores `registration` in place of its issuer's (after an RFC 7592 update: new redirect URIs, maybe a new token). */
  async replace(registration: NativeClientRegistration): Promise<void> {
    const current = await this.#read();
    current[registration.issuer] = registration;
    await this.secrets.store(REGISTERED_CLIENTS_KEY, JSON.stringify(current));
  }

  /** Fires when another window (or this one) changed the stored registrations. */
  onDidChange(listener: () => unknown): { dispose(): unknown } {
    return this.secrets.onDidChange((event) => {
      if (event.key === REGISTERED_CLIENTS_KEY) listener();
    });
  }

  async #registerAndStore(metadata: AuthorizationServerMetadata): Promise<NativeClientRegistration> {
    // The core checked the answer (client_id, auth method, redirect URIs) before it returns one.
    const registration = await this.registerClient(metadata);
    await this.replace(registration);
    return registration;
  }

  async #read(): Promise<Record<string, NativeClientRegistration>> {
    const stored = await readJsonSecret(this.secrets, REGISTERED_CLIENTS_KEY);
    // No prototype: an issuer named `__proto__` stays a plain key.
    const registrations: Record<string, NativeClientRegistration> = Object.create(null) as Record<string, NativeClientRegistration>;
    for (const [issuer, value] of Object.entries(isJsonObject(stored) ? stored : {})) if (isRegistration(value, issuer)) registrations[issuer] = value;
    return registrations;
  }
}

/** The redirect URIs a registered client needs: any loopback port (RFC 8252 §7.3), and the editor's URI handler. */
export const LOOPBACK_REDIRECT_URI = 'http://127.0.0.1/';

/** How the registrations name this extension at the issuer (its consent page shows it). */
const CLIENT_NAME = 'MSAL Sign-In for VS Code';

/** Registers this extension at an issuer as a public native client. */
export function editorClientRegistration(
  httpClient: FetchLike,
  externalCallbackUri: () => Promise<string>,
  allowLoopbackHttp: () => boolean,
): RegisterClient {
  return async (metadata) =>
    registerNativeClient(httpClient, metadata, {
      clientName: CLIENT_NAME,
      redirectUris: [LOOPBACK_REDIRECT_URI, await externalCallbackUri()],
      allowInsecureLoopbackHttp: allowLoopbackHttp(),
    });
}

/** Updates a registration with new redirect URIs (RFC 7592), the rest of its metadata as registered. */
export function editorClientUpdate(httpClient: FetchLike, allowLoopbackHttp: () => boolean) {
  return (registration: NativeClientRegistration, redirectUris: string[]) =>
    updateNativeClient(httpClient, registration, { clientName: CLIENT_NAME, redirectUris, allowInsecureLoopbackHttp: allowLoopbackHttp() });
}

/** What the registrar needs of the provider registry. */
export interface RegisteredProviderHost<P extends { readonly config: ProviderConfig }> {
  readonly providers: readonly P[];
  applyRegisteredClients(configs: readonly ProviderConfig[]): Promise<void>;
}

/** Hands the stored registrations to the registry as providers. */
export async function syncRegisteredProviders(clients: RegisteredClients, host: RegisteredProviderHost<{ readonly config: ProviderConfig }>, allowLoopbackHttp: boolean): Promise<void> {
  const configs = (await clients.all()).map((registration) => registeredProviderConfig(registration, allowLoopbackHttp));
  await host.applyRegisteredClients(configs);
}

/** The registrar of the authenticated fetch: a stored or new registration, then its provider as registered. */
export function clientRegistrar<P extends { readonly config: ProviderConfig }>(clients: RegisteredClients, host: RegisteredProviderHost<P>, allowLoopbackHttp: () => boolean) {
  return {
    async providerFor(metadata: AuthorizationServerMetadata): Promise<P> {
      await clients.obtain(metadata);
      await syncRegisteredProviders(clients, host, allowLoopbackHttp());
      const id = registeredProviderId(metadata.issuer);
      const provider = host.providers.find((candidate) => candidate.config.id === id);
      if (!provider) throw new AuthError('not_supported', `the client registered at ${describeUrl(metadata.issuer)} could not be registered as a provider`);
      return provider;
    },
  };
}
