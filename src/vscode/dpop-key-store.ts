/**
 * The DPoP keys (RFC 9449) of one provider's accounts, in SecretStorage: one ES256 key pair per
 * account, kept as its private JWK under `msalSignIn.dpopKey.<providerId>.<hash of the account>`.
 *
 * Why SecretStorage and not a non-extractable CryptoKey: the account's refresh token is bound to
 * the key, and the token cache outlives the extension host. A non-extractable key exists only in
 * the process that made it (the Node extension host has no key store that keeps CryptoKeys across
 * restarts, unlike a browser's IndexedDB), so after a reload the refresh token could never be
 * redeemed again. The key is therefore made extractable and its private half is stored as the
 * tokens are: encrypted by the OS keychain behind SecretStorage, never logged.
 *
 * Keys are read from SecretStorage at each use (another window may have signed in), and imported
 * keys are remembered by their stored text, so that a refresh does not import the JWK again.
 */
import { type DpopKey, type DpopKeyOwner, type DpopKeyStore, exportDpopPrivateJwk, generateDpopKey, importDpopKey } from '../core/index.js';
import { SETTINGS_SECTION } from './settings.js';
import type { SecretStore } from './secret-store.js';

/** The SecretStorage key of an owner's DPoP key: the account id is hashed, it is nobody's business. */
export async function dpopKeySecretName(providerId: string, owner: DpopKeyOwner): Promise<string> {
  const text = `${owner.homeAccountId}|${owner.environment}`.toLowerCase();
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  const hex = [...digest.slice(0, 16)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${SETTINGS_SECTION}.dpopKey.${providerId}.${hex}`;
}

/** Imported keys kept in memory per provider. */
const MAX_REMEMBERED = 16;

export class SecretDpopKeyStore implements DpopKeyStore {
  /** Imported keys by their stored JWK text: the same text is the same key. */
  readonly #imported = new Map<string, DpopKey>();

  constructor(
    private readonly secrets: SecretStore,
    private readonly providerId: string,
  ) {}

  /** Extractable, so that {@link save} can keep it (see the module comment). */
  create(): Promise<DpopKey> {
    return generateDpopKey({ extractable: true });
  }

  async get(owner: DpopKeyOwner): Promise<DpopKey | undefined> {
    const text = await this.secrets.get(await dpopKeySecretName(this.providerId, owner));
    if (!text) return undefined;
    const known = this.#imported.get(text);
    if (known) return known;
    let key: DpopKey;
    try {
      key = await importDpopKey(JSON.parse(text));
    } catch {
      // A damaged entry is no key: the account's next refresh fails and it signs in again.
      return undefined;
    }
    this.#remember(text, key);
    return key;
  }

  async save(owner: DpopKeyOwner, key: DpopKey): Promise<void> {
    const name = await dpopKeySecretName(this.providerId, owner);
    const text = JSON.stringify(await exportDpopPrivateJwk(key));
    // A refresh signs with the key already kept: nothing to write.
    if ((await this.secrets.get(name)) === text) return;
    await this.secrets.store(name, text);
    this.#remember(text, key);
  }

  /** A handful of accounts per provider: the oldest is forgotten past {@link MAX_REMEMBERED}. */
  #remember(text: string, key: DpopKey): void {
    this.#imported.delete(text);
    this.#imported.set(text, key);
    if (this.#imported.size > MAX_REMEMBERED) this.#imported.delete(this.#imported.keys().next().value as string);
  }

  async remove(owner: DpopKeyOwner): Promise<void> {
    await this.secrets.delete(await dpopKeySecretName(this.providerId, owner));
  }
}
