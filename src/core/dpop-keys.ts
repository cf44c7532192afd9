/**
 * Where an application's DPoP keys live (RFC 9449): one key pair per account, so that the
 * account's refresh token, bound to the key at sign-in, can be redeemed again, and its access
 * tokens presented with fresh proofs. A sign-in starts with a new key (the account is not known
 * until the answer comes); the application then keeps it under the account it signed in.
 *
 * The store is the host's: {@link MemoryDpopKeyStore} holds non-extractable keys for the life of
 * the process; a host that keeps its token cache across restarts keeps the keys beside it (the VS
 * Code extension in SecretStorage, through `exportDpopPrivateJwk` / `importDpopKey`), or the
 * refresh tokens it kept cannot be redeemed.
 */
import type { Authority } from './authority.js';
import { AuthError } from './errors.js';
import { DPOP_ALGORITHM, type DpopKey, DpopNonces, generateDpopKey } from './dpop.js';

/** Whose key: an account (its home account id and environment), or the app itself (`homeAccountId: ''`). */
export interface DpopKeyOwner {
  homeAccountId: string;
  environment: string;
}

/** The owner of an account's key. */
export function dpopKeyOwnerOf(account: Pick<DpopKeyOwner, 'homeAccountId' | 'environment'>): DpopKeyOwner {
  return { homeAccountId: account.homeAccountId, environment: account.environment };
}

/** The host's keeper of DPoP keys. */
export interface DpopKeyStore {
  /** A new key pair, for a sign-in whose account is not known yet. */
  create(): Promise<DpopKey>;
  /** The owner's key, if one is kept. */
  get(owner: DpopKeyOwner): Promise<DpopKey | undefined>;
  /** Keeps `key` as the owner's (replacing any other). */
  save(owner: DpopKeyOwner, key: DpopKey): Promise<void>;
  /** Forgets the owner's key (at sign-out). */
  remove(owner: DpopKeyOwner): Promise<void>;
}

/** The application option `dpop`: proof-of-possession on for issuers that support ES256 proofs. */
export interface DpopOptions {
  keys: DpopKeyStore;
}

function ownerKey(owner: DpopKeyOwner): string {
  return `${owner.homeAccountId}|${owner.environment}`.toLowerCase();
}

/** Keys held in memory, private halves not extractable: they die with the process, as do the tokens bound to them. */
export class MemoryDpopKeyStore implements DpopKeyStore {
  readonly #byOwner = new Map<string, DpopKey>();

  create(): Promise<DpopKey> {
    return generateDpopKey();
  }

  async get(owner: DpopKeyOwner): Promise<DpopKey | undefined> {
    return this.#byOwner.get(ownerKey(owner));
  }

  async save(owner: DpopKeyOwner, key: DpopKey): Promise<void> {
    this.#byOwner.set(ownerKey(owner), key);
  }

  async remove(owner: DpopKeyOwner): Promise<void> {
    this.#byOwner.delete(ownerKey(owner));
  }
}

/** Checks the `dpop` application option. */
export function checkDpopOptions(dpop: unknown): void {
  if (dpop === undefined) return;
  const keys = (dpop as { keys?: Partial<DpopKeyStore> } | null)?.keys;
  const methods = ['create', 'get', 'save', 'remove'] as const;
  if (typeof dpop !== 'object' || dpop === null || typeof keys !== 'object' || keys === null || !methods.every((name) => typeof keys[name] === 'function')) {
    throw new AuthError('invalid_argument', 'dpop must be { keys } with a DpopKeyStore (create, get, save, remove), e.g. new MemoryDpopKeyStore()');
  }
}

/** Whether the issuer takes ES256 DPoP proofs (RFC 9449 §5.1 `dpop_signing_alg_values_supported`). */
export function issuerSupportsDpop(authority: Authority): boolean {
  const algs = authority.metadata['dpop_signing_alg_values_supported'];
  return Array.isArray(algs) && algs.includes(DPOP_ALGORITHM);
}

/** The `token_type` of a DPoP-bound access token (compared without case, RFC 9449 §5). */
export const DPOP_TOKEN_TYPE = 'DPoP';

export function isDpopTokenType(tokenType: string | undefined): boolean {
  return tokenType?.toLowerCase() === 'dpop';
}

/** What a token request signs with: the key, and the servers' nonces the proofs carry. */
export interface DpopBinding {
  key: DpopKey;
  nonces: DpopNonces;
}
