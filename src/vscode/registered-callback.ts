/**
 * The callback URI a registered client's URI-handler sign-in sends, and the registration kept in
 * step with it (RFC 7592).
 *
 * A browser-based editor (code-server, vscode.dev) answers every `asExternalUri` with a new
 * `vscode-reqid`, and routes a callback only to the window that asked for that id, once. The
 * callback URI a client was registered with therefore brings back one sign-in, in one window; a
 * later one (after a sign-out, in another window, after a reload) needs a new URI, which the
 * identity provider refuses until the registration holds it. So each sign-in asks the editor for
 * its callback URI, as for any provider, and when the registration does not hold that URI, the
 * registration is updated first: `redirect_uris` becomes the loopback URI and the new callback
 * (the old callback routes nowhere any more). The answer, with a rotated registration access
 * token, is stored before the sign-in starts. On the desktop the URI is the same `vscode://` URI
 * every time: nothing is updated.
 *
 * When the server offers no management (no `registration_client_uri` and token), refuses it, or
 * cannot be reached, the sign-in fails with a {@link RegisteredCallbackError}: no ServerError, so
 * the flow chain offers the next flow (the device code, where the issuer has one), and the person
 * is told to use the device code or the desktop editor. Registering a second client instead was
 * ruled out: it would leave the first one orphaned at the issuer, and need the person's consent
 * again for every window.
 */
import { AuthError, describeUrl, type NativeClientRegistration, ServerError } from '../core/index.js';
import { LOOPBACK_REDIRECT_URI, type RegisteredClients } from './registered-clients.js';

/** Why the registration could not be brought in step with the editor's callback URI. */
export type RegisteredCallbackProblem =
  /** The server gave no client configuration endpoint or token (RFC 7592 is optional). */
  | 'notManageable'
  /** The server answered the update with an error (a dead token, 403, metadata it does not accept). */
  | 'refused'
  /** The update did not complete (network, an unusable answer). */
  | 'failed';

/**
 * A registered client's browser sign-in cannot come back to this window: its registration lacks
 * the editor's callback URI and could not be updated. Not a ServerError, so the flow chain offers
 * the device code next.
 */
export class RegisteredCallbackError extends Error {
  override readonly name = 'RegisteredCallbackError';
  /** `issuer`: the one the client is registered at; `cause`: the update's failure. */
  constructor(readonly problem: RegisteredCallbackProblem, readonly issuer: string, cause?: unknown) {
    super(`the client registered at ${describeUrl(issuer)} could not be updated for this window's callback URI (${problem})`, cause === undefined ? undefined : { cause });
  }
}

/**
 * The editor's callback URIs this window asked for and has not sent yet. The URI a registration
 * was made with still routes to this window until one callback used it: the first sign-in after
 * the registration sends it, and needs no update. Every later sign-in asks the editor anew.
 */
export class EditorCallbackUris {
  readonly #unspent = new Set<string>();

  constructor(private readonly askEditor: () => Promise<string>) {}

  /** A callback URI for a new registration; kept for the first sign-in of this window. */
  async forRegistration(): Promise<string> {
    const uri = await this.askEditor();
    this.#unspent.add(uri);
    return uri;
  }

  /** The URI for a sign-in: one of `registered` this window asked for and never sent, else a new one. */
  async forSignIn(registered: readonly string[]): Promise<string> {
    const kept = registered.find((uri) => this.#unspent.delete(uri));
    return kept ?? this.askEditor();
  }
}

/** Sends an RFC 7592 update of `registration` with these redirect URIs (the core's updateNativeClient). */
export type UpdateClient = (registration: NativeClientRegistration, redirectUris: string[]) => Promise<NativeClientRegistration>;

export class RegisteredCallbacks {
  /** One update at a time per issuer in this window: a second sign-in waits, then finds its own URI. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly clients: RegisteredClients,
    private readonly callbackUris: EditorCallbackUris,
    private readonly updateClient: UpdateClient,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  /**
   * The callback URI for a URI-handler sign-in of the client registered at `issuer`, the
   * registration updated first when it does not hold it. Rejects with a {@link RegisteredCallbackError}.
   */
  callbackUriFor(issuer: string): Promise<string> {
    const previous = this.#queues.get(issuer) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.#resolve(issuer));
    const settled = next.catch(() => undefined);
    this.#queues.set(issuer, settled);
    void settled.then(() => {
      if (this.#queues.get(issuer) === settled) this.#queues.delete(issuer);
    });
    return next;
  }

  async #resolve(issuer: string): Promise<string> {
    const registration = await this.clients.find(issuer);
    if (!registration) throw new AuthError('not_supported', `no client is registered at ${describeUrl(issuer)} any more`);
    const callbackUri = await this.callbackUris.forSignIn(registration.redirect_uris);
    if (registration.redirect_uris.includes(callbackUri)) return callbackUri;
    const updated = await this.#update(registration, [LOOPBACK_REDIRECT_URI, callbackUri]);
    await this.clients.replace(updated);
    this.log(`updated the redirect URIs of the client registered at ${describeUrl(issuer)} for this window's callback URI`);
    return callbackUri;
  }

  async #update(registration: NativeClientRegistration, redirectUris: string[]): Promise<NativeClientRegistration> {
    try {
      return await this.updateClient(registration, redirectUris);
    } catch (err) {
      // Another window may have updated first and rotated the token: once more with the one it stored.
      if (err instanceof ServerError && err.status === 401) {
        const latest = await this.clients.find(registration.issuer);
        if (latest?.registration_access_token && latest.registration_access_token !== registration.registration_access_token) {
          return this.updateClient(latest, redirectUris).catch((retryErr: unknown) => {
            throw callbackError(retryErr, registration.issuer);
          });
        }
      }
      throw callbackError(err, registration.issuer);
    }
  }
}

function callbackError(err: unknown, issuer: string): RegisteredCallbackError {
  const problem: RegisteredCallbackProblem = err instanceof ServerError ? 'refused' : err instanceof AuthError && err.code === 'not_supported' ? 'notManageable' : 'failed';
  return new RegisteredCallbackError(problem, issuer, err);
}
