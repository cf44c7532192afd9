/**
 * `api.fetch(url, init)`: a request to a protected resource that finds its own way in (issue 15).
 *
 * The request goes out as given. A `401` with a Bearer challenge starts the discovery: the
 * resource's metadata (RFC 9728, whose `resource` must cover the URL), the provider whose issuer
 * is one the metadata names (configured first, then clients registered earlier), or, when none
 * is and the issuer allows it, a public native client registered there (RFC 7591). The person is
 * asked before their token first goes to a resource for an extension, and before a registration;
 * then the provider signs in (silently when it can) for the `scope` the challenge names (the
 * metadata's `scopes_supported` otherwise) and the request is sent again. A later
 * `insufficient_scope` or `insufficient_claims` challenge steps up the same way. Each call answers
 * at most {@link MAX_ROUNDS} challenges; the response after that is the caller's, whatever it is.
 *
 * Which provider, scopes and account served a resource is remembered (in memory), so the next
 * call sends the token at once: from the cache, without a token request while it is valid.
 *
 * DPoP (RFC 9449): a provider whose entry has `"dpop": true` hands out DPoP-bound tokens here
 * (`forResource`); each attempt then carries a fresh proof (resource-headers.ts), and a resource's
 * `401 use_dpop_nonce` is answered by sending once more with its nonce; asked again, the call
 * rejects with `dpop_nonce_loop`. A resource whose metadata requires DPoP-bound tokens is refused
 * (`not_supported`) unless the provider serving it has DPoP on.
 *
 * Only https resources and issuers; http on a loopback host only with `msalSignIn.allowLoopbackHttp`.
 * Nothing here logs a token or a URL's query.
 */
import {
  AuthError,
  type AuthorizationServerMetadata,
  decodeClaimsParameter,
  describeUrl,
  discardBody,
  discoverProtectedResource,
  fetchAuthorizationServerMetadata,
  type FetchLike,
  type Logger,
  parseResourceChallenges,
  parseSecureUrl,
  type ProtectedResourceMetadata,
  type ResourceChallenge,
  resourceMatchesRequest,
  SharedInFlight,
} from '../core/index.js';
import type { ConsentMemory, FetchCaller, FetchConsentUi } from './fetch-consent.js';
import { findProviderForIssuer, type IssuerMatch } from './issuer-match.js';
import { describeError } from './report-errors.js';
import { type ResourceCredential, resourceRequestHeaders, resourceRetry } from './resource-headers.js';
import type { ProviderConfig } from './settings.js';

/** Challenges one call answers: the first 401's discovery, then one step-up. */
export const MAX_ROUNDS = 2;

/** What the fetch needs of a provider (MsalAuthenticationProvider has it). */
export interface FetchProvider {
  readonly config: ProviderConfig;
  acquireTokenSilently(
    scopes: readonly string[],
    accountId: string | undefined,
    options?: { forceRefresh?: boolean; claimsChallenge?: string; forResource?: boolean },
  ): Promise<FetchSession | undefined>;
  signIn(scopes: readonly string[], options?: { claimsChallenge?: string; forResource?: boolean }): Promise<FetchSession>;
}

/** The part of a session the fetch uses. */
export interface FetchSession extends ResourceCredential {
  account: { id: string };
}

/** Clients registered at issuers no setting names (registered-clients.ts + the provider registry). */
export interface ClientRegistrar {
  /**
   * Registers a client at `metadata.issuer` (or takes the one stored) and returns its provider,
   * registered with the editor. Called only after the person agreed.
   */
  providerFor(metadata: AuthorizationServerMetadata): Promise<FetchProvider>;
}

export interface AuthenticatedFetchDependencies {
  /** Sends a resource request (the platform's fetch). */
  send(url: string, init: RequestInit): Promise<Response>;
  /** Reads metadata documents (the core's bounded HTTP client). */
  discovery: FetchLike;
  /** Configured providers first, then those of registered clients. */
  providers(): readonly FetchProvider[];
  registrar: ClientRegistrar;
  consentUi: FetchConsentUi;
  consent: ConsentMemory;
  /** `msalSignIn.allowLoopbackHttp`, read at each call. */
  allowLoopbackHttp(): boolean;
  logger: Pick<Logger, 'info' | 'warning'>;
}

/** `RequestInit` plus who is asking. */
export interface AuthenticatedFetchInit extends RequestInit {
  /** The calling extension's id (`context.extension.id`): the consent dialog names it. */
  extensionId?: string;
}

/** What served a resource: the provider, the scopes (with modifiers) and the account. */
interface ResourceGrant {
  resource: URL;
  providerId: string;
  scopes: string[];
  accountId?: string;
}

/** What a challenge asks of the next round. */
type NextStep =
  | { kind: 'discover'; header: string }
  | { kind: 'scope'; scopes: string[] }
  | { kind: 'claims'; claims: string }
  | { kind: 'refresh' };

/** A request that can be sent more than once: its body read once, its headers without credentials. */
interface ReplayableRequest {
  method: string;
  headers: Headers;
  body: ArrayBuffer | undefined;
  init: RequestInit;
}

/** RFC 9728 §2 `dpop_bound_access_tokens_required`. */
function requiresDpop(metadata: ProtectedResourceMetadata): boolean {
  return metadata.dpop_bound_access_tokens_required === true;
}

function splitScope(scope: string | undefined): string[] {
  return scope ? scope.split(/\s+/).filter(Boolean) : [];
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

/**
 * The challenge of a response: a Bearer one (a DPoP one too once a token was sent, RFC 9449 §7.1),
 * the one naming its metadata first, else the first. Malformed headers are no challenge.
 */
function resourceChallenge(header: string, authenticated: boolean): ResourceChallenge | undefined {
  try {
    const schemes = authenticated ? ['bearer', 'dpop'] : ['bearer'];
    const candidates = parseResourceChallenges(header).filter((challenge) => schemes.includes(challenge.scheme));
    return candidates.find((challenge) => challenge.resourceMetadata !== undefined) ?? candidates.find((challenge) => challenge.error !== undefined) ?? candidates[0];
  } catch {
    return undefined;
  }
}

/** What to do about a response, or undefined when it is the caller's. */
export function nextStep(response: Pick<Response, 'status' | 'headers'>, authenticated: boolean): NextStep | undefined {
  if (response.status !== 401 && response.status !== 403) return undefined;
  const header = response.headers.get('www-authenticate') ?? '';
  const challenge = resourceChallenge(header, authenticated);
  if (!challenge) return undefined;
  if (!authenticated) return response.status === 401 ? { kind: 'discover', header } : undefined;
  if (challenge.error === 'insufficient_scope' && challenge.scope) return { kind: 'scope', scopes: splitScope(challenge.scope) };
  if (challenge.error === 'insufficient_claims' && challenge.claims) return { kind: 'claims', claims: decodeClaimsParameter(challenge.claims) };
  return response.status === 401 ? { kind: 'refresh' } : undefined;
}

async function replayable(url: string, init: RequestInit): Promise<ReplayableRequest> {
  // A Request reads the body the way fetch would and infers its content type (form, text, multipart).
  const request = new Request(url, init);
  for (const name of ['authorization', 'dpop']) {
    if (request.headers.has(name)) throw new AuthError('invalid_argument', `api.fetch sets the ${name} header itself`);
  }
  const body = request.body ? await request.arrayBuffer() : undefined;
  return { method: request.method, headers: new Headers(request.headers), body, init };
}

export class AuthenticatedFetch {
  /** Per resource: what served it last. Keyed by the resource identifier. */
  readonly #grants = new Map<string, ResourceGrant>();
  /** Consent questions and registrations in progress, so that concurrent calls ask once. */
  readonly #inFlight = new SharedInFlight<unknown>();

  constructor(private readonly deps: AuthenticatedFetchDependencies) {}

  /** See the module comment. Rejects with an {@link AuthError} (the core's codes) when access cannot be had. */
  async fetch(caller: FetchCaller, url: string, init: RequestInit = {}): Promise<Response> {
    const target = parseSecureUrl(url, 'the requested URL', 'invalid_argument', this.#discoveryOptions());
    const request = await replayable(target.href, init);
    let grant = this.#rememberedGrant(caller, target);
    let session = grant ? await this.#silentSession(grant) : undefined;
    for (let round = 0; ; round += 1) {
      const response = await this.#send(target.href, request, session);
      const step = round < MAX_ROUNDS ? nextStep(response, session !== undefined) : undefined;
      if (!step) return response;
      await discardBody(response);
      this.deps.logger.info(`fetch ${describeUrl(target.href)}: ${response.status}, ${step.kind}`);
      if (step.kind === 'discover') {
        ({ grant, session } = await this.#discover(caller, target, step.header));
        continue;
      }
      if (!grant) return response; // a challenge to a request we did not authenticate is not ours to answer
      if (step.kind === 'scope') grant.scopes = union(grant.scopes, step.scopes);
      session = await this.#token(grant, step.kind === 'claims' ? { claimsChallenge: step.claims } : step.kind === 'refresh' ? { forceRefresh: true } : {});
      this.#remember(grant, session);
    }
  }

  #discoveryOptions() {
    return { allowInsecureLoopbackHttp: this.deps.allowLoopbackHttp() };
  }

  /** Sends the request with the session's credentials; once more when a DPoP resource asks for its nonce. */
  async #send(url: string, request: ReplayableRequest, session: FetchSession | undefined): Promise<Response> {
    if (!session) return this.#sendOnce(url, request, {});
    for (let retried = false; ; retried = true) {
      const authorized = await resourceRequestHeaders(session, { method: request.method, url });
      const response = await this.#sendOnce(url, request, authorized.headers);
      // Throws dpop_nonce_loop when the retry is answered with another request for a nonce.
      if (!resourceRetry(session, url, response, authorized, retried).retry) return response;
      await discardBody(response);
      this.deps.logger.info(`fetch ${describeUrl(url)}: the resource asked for a DPoP nonce, sending again`);
    }
  }

  #sendOnce(url: string, request: ReplayableRequest, credentials: Record<string, string>): Promise<Response> {
    const headers = new Headers(request.headers);
    for (const [name, value] of Object.entries(credentials)) headers.set(name, value);
    const { extensionId: _caller, ...init } = request.init as AuthenticatedFetchInit;
    return this.deps.send(url, { ...init, method: request.method, headers, body: request.body ?? null });
  }

  /** The remembered grant covering `target`, if this caller was allowed to use it. */
  #rememberedGrant(caller: FetchCaller, target: URL): ResourceGrant | undefined {
    for (const grant of this.#grants.values()) {
      if (resourceMatchesRequest(grant.resource, target) && this.deps.consent.has(caller, grant.resource.href)) return { ...grant, scopes: [...grant.scopes] };
    }
    return undefined;
  }

  #remember(grant: ResourceGrant, session: FetchSession): void {
    grant.accountId = session.account.id;
    this.#grants.set(grant.resource.href, { ...grant, scopes: [...grant.scopes] });
  }

  #providerById(id: string): FetchProvider {
    const provider = this.deps.providers().find((candidate) => candidate.config.id === id);
    if (!provider) throw new AuthError('not_supported', `the provider ${id} is no longer registered`);
    return provider;
  }

  /** A token without asking the person, or undefined. */
  async #silentSession(grant: ResourceGrant, options: { forceRefresh?: boolean; claimsChallenge?: string } = {}): Promise<FetchSession | undefined> {
    try {
      return await this.#providerById(grant.providerId).acquireTokenSilently(grant.scopes, grant.accountId, { ...options, forResource: true });
    } catch (err) {
      this.deps.logger.warning(`fetch: no token without sign-in: ${describeError(err)}`);
      return undefined;
    }
  }

  /** A token for the grant: silently when possible, else by signing in. */
  async #token(grant: ResourceGrant, options: { forceRefresh?: boolean; claimsChallenge?: string }): Promise<FetchSession> {
    const silent = await this.#silentSession(grant, options);
    if (silent) return silent;
    return this.#providerById(grant.providerId).signIn(grant.scopes, { forResource: true, ...(options.claimsChallenge ? { claimsChallenge: options.claimsChallenge } : {}) });
  }

  /** After an unauthenticated 401: metadata, provider, consent, token. */
  async #discover(caller: FetchCaller, target: URL, header: string): Promise<{ grant: ResourceGrant; session: FetchSession }> {
    const options = this.#discoveryOptions();
    const { challenge, resourceMetadata } = await discoverProtectedResource(this.deps.discovery, target.href, header, options);
    const match = await this.#providerFor(caller, resourceMetadata);
    if (requiresDpop(resourceMetadata) && match.provider.config.dpop !== true) {
      throw new AuthError('not_supported', `${describeUrl(resourceMetadata.resource)} accepts only DPoP-bound tokens, and the provider ${match.provider.config.id} has no "dpop": true`);
    }
    const resource = new URL(resourceMetadata.resource);
    await this.#once(`consent ${caller.id ?? ''} ${resource.href}`, async () => {
      if (this.deps.consent.has(caller, resource.href)) return;
      const allowed = await this.deps.consentUi.allowResourceAccess({ caller, resource: resource.href, provider: match.provider.config.label });
      if (!allowed) throw new AuthError('cancelled', `the person did not allow the request to ${describeUrl(resource.href)}`);
      await this.deps.consent.add(caller, resource.href);
    });
    const remembered = this.#grants.get(resource.href);
    const named = splitScope(challenge.scope);
    const scopes = named.length > 0 ? named : (resourceMetadata.scopes_supported ?? []);
    const grant: ResourceGrant = {
      resource,
      providerId: match.provider.config.id,
      scopes: union(remembered?.providerId === match.provider.config.id ? remembered.scopes : [], [...scopes, ...match.scopeModifiers]),
      ...(remembered?.providerId === match.provider.config.id && remembered.accountId ? { accountId: remembered.accountId } : {}),
    };
    const session = await this.#token(grant, {});
    this.#remember(grant, session);
    return { grant, session };
  }

  /**
   * The provider for the first issuer of the metadata that one serves; otherwise a client
   * registered at the first issuer, with the person's consent, when that issuer allows it.
   */
  async #providerFor(caller: FetchCaller, metadata: ProtectedResourceMetadata): Promise<IssuerMatch<FetchProvider>> {
    for (const issuer of metadata.authorization_servers) {
      const match = findProviderForIssuer(this.deps.providers(), issuer);
      if (match) return match;
    }
    const issuer = metadata.authorization_servers[0]!;
    // A registered client is Bearer (registered-clients.ts): registering one this resource refuses would be for nothing.
    if (requiresDpop(metadata)) throw new AuthError('not_supported', `${describeUrl(metadata.resource)} accepts only DPoP-bound tokens, and no provider with "dpop": true signs in to ${describeUrl(issuer)}`);
    const provider = await this.#once(`register ${issuer}`, async () => {
      const again = findProviderForIssuer(this.deps.providers(), issuer);
      if (again) return again.provider;
      const asMetadata = await fetchAuthorizationServerMetadata(this.deps.discovery, issuer, this.#discoveryOptions());
      if (asMetadata.registration_endpoint === undefined) {
        throw new AuthError('not_supported', `no configured provider signs in to ${describeUrl(issuer)}, which offers no dynamic client registration`);
      }
      const allowed = await this.deps.consentUi.allowRegistration({ caller, resource: metadata.resource, issuer });
      if (!allowed) throw new AuthError('cancelled', `the person did not allow a client registration at ${describeUrl(issuer)}`);
      this.deps.logger.info(`fetch: registering a client at ${describeUrl(issuer)}`);
      return this.deps.registrar.providerFor(asMetadata);
    });
    return { provider, scopeModifiers: [] };
  }

  /** Runs `work` once for concurrent callers with the same key; later calls run it again. */
  #once<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.#inFlight.share(key, work) as Promise<T>;
  }
}
