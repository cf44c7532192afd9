/**
 * DPoP (RFC 9449): proof-of-possession for access and refresh tokens without a broker. A key pair
 * per account signs a short proof for every request; a token bound to the key's thumbprint is
 * useless to whoever copies it without the private key.
 *
 * This file holds the pieces a request needs and nothing that sends one: the key pair, the proof
 * JWT, the `jkt` thumbprint, the servers' nonces, and the rule for the one retry a
 * `use_dpop_nonce` answer allows.
 *
 * Proofs use one algorithm, ES256, so they are made on WebCrypto directly rather than with jose's
 * general key and JWT modules: ECDSA P-256 with SHA-256 already signs in the JWS form (r || s,
 * RFC 7518 §3.4), and the thumbprint is one hash of a fixed JSON shape (RFC 7638 §3.2).
 */
import type { CryptoKey, JWK } from 'jose';
import * as base64url from 'jose/base64url';
import { randomToken, sha256Base64Url } from './crypto.js';
import { AuthError } from './errors.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

/** The proof algorithm: ES256 is the one every DPoP server must accept in practice (and oidc-provider's first). */
export const DPOP_ALGORITHM = 'ES256';

/** ES256's key type in WebCrypto, and how it signs. */
const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A DPoP key pair and what is derived from its public half. */
export interface DpopKey {
  privateKey: CryptoKey;
  /** The public JWK (`kty`, `crv`, `x`, `y`) sent in every proof's header. */
  publicJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of the public key: the token's `cnf.jkt` and the cache's `key_id`. */
  thumbprint: string;
}

/** The key with its public JWK: only the members a P-256 public key has, never `d`, `ext` or `key_ops`. */
async function describeKey(privateKey: CryptoKey, { kty, crv, x, y }: JWK): Promise<DpopKey> {
  const publicJwk: JWK = { kty, crv, x, y };
  return { privateKey, publicJwk, thumbprint: await dpopThumbprint(publicJwk) };
}

/**
 * A new ES256 key pair. The private key is not extractable unless `extractable` is true: the
 * platform then keeps it out of reach of script, but it lives only as long as the process. A key
 * that must outlive a restart (a refresh token is bound to it) is made extractable and its private
 * JWK kept in secret storage ({@link exportDpopPrivateJwk}, {@link importDpopKey}).
 */
export async function generateDpopKey(options: { extractable?: boolean } = {}): Promise<DpopKey> {
  const { privateKey, publicKey } = await globalThis.crypto.subtle.generateKey(P256, options.extractable === true, ['sign', 'verify']);
  // A public key is always extractable.
  return describeKey(privateKey, (await globalThis.crypto.subtle.exportKey('jwk', publicKey)) as JWK);
}

/** The private JWK of an extractable key, for secret storage. Never log it. */
export async function exportDpopPrivateJwk(key: DpopKey): Promise<JWK> {
  if (!key.privateKey.extractable) throw new AuthError('invalid_argument', 'this DPoP key is not extractable');
  const { kty, crv, x, y, d } = (await globalThis.crypto.subtle.exportKey('jwk', key.privateKey)) as JWK;
  return { kty, crv, x, y, d };
}

/**
 * A key from the private JWK {@link exportDpopPrivateJwk} gave; imported extractable, so it can be
 * stored again. WebCrypto refuses a `d` that does not belong to `x` and `y`, so the public JWK
 * taken from the same object is the private key's own.
 */
export async function importDpopKey(privateJwk: JWK): Promise<DpopKey> {
  const { kty, crv, x, y, d } = privateJwk ?? {};
  if (kty !== 'EC' || crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string' || typeof d !== 'string') {
    throw new AuthError('invalid_argument', 'a DPoP key must be a P-256 private JWK');
  }
  let privateKey: CryptoKey;
  try {
    privateKey = await globalThis.crypto.subtle.importKey('jwk', { kty, crv, x, y, d }, P256, true, ['sign']);
  } catch (cause) {
    throw new AuthError('invalid_argument', 'a DPoP key must be a P-256 private JWK', { cause });
  }
  return describeKey(privateKey, privateJwk);
}

/**
 * RFC 7638 SHA-256 thumbprint of a public P-256 JWK (the `jkt`): the required members of an EC
 * key in lexicographic order, without white space (§3.2), hashed.
 */
export function dpopThumbprint(publicJwk: JWK): Promise<string> {
  const { kty, crv, x, y } = publicJwk;
  if (kty !== 'EC' || typeof crv !== 'string' || typeof x !== 'string' || typeof y !== 'string') {
    return Promise.reject(new AuthError('invalid_argument', 'a DPoP thumbprint is of a public EC JWK (crv, x, y)'));
  }
  return sha256Base64Url(JSON.stringify({ crv, kty, x, y }));
}

/** `htu` (RFC 9449 §4.2): the request URL without query and fragment. */
export function dpopHtu(url: string): string {
  const parsed = new URL(url);
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

/** What one proof is for. */
export interface DpopProofClaims {
  /** The request's method (`htm`). */
  method: string;
  /** The request's URL; its query and fragment are dropped (`htu`). */
  url: string;
  /** For a resource request: the access token, hashed into `ath`. */
  accessToken?: string;
  /** The server's latest `DPoP-Nonce`, when it gave one. */
  nonce?: string;
}

/**
 * A DPoP proof JWT (RFC 9449 §4.2): header `typ: dpop+jwt`, `alg: ES256`, the public `jwk`;
 * claims `jti` (random), `htm`, `htu`, `iat`, and `ath` and `nonce` when given. `now` (epoch
 * seconds) is for tests.
 */
export async function createDpopProof(key: DpopKey, claims: DpopProofClaims, options: { now?: number } = {}): Promise<string> {
  if (typeof claims.method !== 'string' || !/^[A-Z]+$/.test(claims.method)) throw new AuthError('invalid_argument', 'the DPoP method must be an upper-case HTTP method');
  const payload: Record<string, unknown> = { jti: randomToken(16), htm: claims.method, htu: dpopHtu(claims.url), iat: options.now ?? Math.floor(Date.now() / 1000) };
  if (claims.accessToken !== undefined) payload.ath = await sha256Base64Url(claims.accessToken);
  if (claims.nonce !== undefined) payload.nonce = claims.nonce;
  const header = { typ: 'dpop+jwt', alg: DPOP_ALGORITHM, jwk: key.publicJwk };
  const signingInput = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
  // WebCrypto's ECDSA signature is r || s, which is what JWS carries (RFC 7518 §3.4): no DER to undo.
  const signature = await globalThis.crypto.subtle.sign(ECDSA_SHA256, key.privateKey, new TextEncoder().encode(signingInput));
  return `${signingInput}.${base64url.encode(new Uint8Array(signature))}`;
}

/** The headers of a resource request with a DPoP-bound access token (RFC 9449 §7.1). */
export async function dpopResourceHeaders(key: DpopKey, request: { method: string; url: string; accessToken: string; nonce?: string }): Promise<{ authorization: string; dpop: string }> {
  return { authorization: `DPoP ${request.accessToken}`, dpop: await createDpopProof(key, request) };
}

/** The most origins whose nonce is kept: a client talks to a handful; a hostile stream cannot grow it. */
const MAX_NONCE_ORIGINS = 64;
/** A nonce is opaque, but never more than a header's worth. */
const MAX_NONCE_LENGTH = 1024;
/** RFC 9449 §8.1: `nonce = 1*NQCHAR`, printable ASCII without `"` and `\`. */
const NONCE_SYNTAX = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The latest `DPoP-Nonce` of each server, per origin (RFC 9449 §8: the authorization server's and
 * each resource's are separate). Oldest origins are forgotten past {@link MAX_NONCE_ORIGINS}.
 */
export class DpopNonces {
  readonly #byOrigin = new Map<string, string>();

  /** The nonce to put in the next proof for `url`, if its server gave one. */
  get(url: string): string | undefined {
    return this.#byOrigin.get(new URL(url).origin);
  }

  /** Keeps the `DPoP-Nonce` of a response from `url` (any status: errors carry new nonces too). Returns it. */
  remember(url: string, headers: { get(name: string): string | null }): string | undefined {
    const nonce = headers.get('dpop-nonce')?.trim();
    if (!nonce || nonce.length > MAX_NONCE_LENGTH || !NONCE_SYNTAX.test(nonce)) return undefined;
    const origin = new URL(url).origin;
    this.#byOrigin.delete(origin);
    this.#byOrigin.set(origin, nonce);
    if (this.#byOrigin.size > MAX_NONCE_ORIGINS) this.#byOrigin.delete(this.#byOrigin.keys().next().value as string);
    return nonce;
  }
}

/** One answer of a request that carried a proof, as far as the nonce rule needs it. */
export interface DpopAnswer {
  status: number;
  /** The token endpoint's OAuth `error`, once its JSON body was read. */
  error?: string;
  /** The resource's `WWW-Authenticate`. */
  wwwAuthenticate?: string | null;
  /** The answer's `DPoP-Nonce`. */
  nonce?: string | null;
}

/**
 * Whether an answer asks for a (new) nonce: at the token endpoint a 400 whose error is
 * `use_dpop_nonce` (RFC 9449 §8), at a resource a 401 with a `DPoP` challenge whose error is
 * `use_dpop_nonce` (§9). A malformed challenge is not one.
 */
export function isUseDpopNonce(endpoint: 'token' | 'resource', answer: DpopAnswer): boolean {
  if (endpoint === 'token') return answer.status === 400 && answer.error === 'use_dpop_nonce';
  if (answer.status !== 401 || !answer.wwwAuthenticate) return false;
  try {
    return parseWwwAuthenticate(answer.wwwAuthenticate).some((c) => c.scheme === 'dpop' && c.params.error === 'use_dpop_nonce');
  } catch {
    return false;
  }
}

/** What to do after an answer: send once more with `nonce`, or stop and hand the answer on. */
export type DpopRetryDecision = { retry: true; nonce: string } | { retry: false };

/**
 * The retry rule for a `use_dpop_nonce` answer (RFC 9449 §8, §9): send the request again once, with
 * a fresh proof carrying the nonce the answer gave. `sentNonce` is the nonce the answered proof
 * carried; `retried` says whether that proof was already the retry.
 *
 * An answer that asks for a nonce without giving one is handed on (no retry could succeed). A
 * second `use_dpop_nonce`, or one that gives back the very nonce just sent, is a server that will
 * never be satisfied: an {@link AuthError} `dpop_nonce_loop`, not an endless exchange.
 */
export function decideDpopRetry(endpoint: 'token' | 'resource', answer: DpopAnswer, sent: { sentNonce?: string; retried: boolean }): DpopRetryDecision {
  if (!isUseDpopNonce(endpoint, answer)) return { retry: false };
  const nonce = answer.nonce?.trim();
  if (!nonce) return { retry: false };
  if (sent.retried || nonce === sent.sentNonce) {
    throw new AuthError('dpop_nonce_loop', `the ${endpoint === 'token' ? 'token endpoint' : 'resource'} asked for a new DPoP nonce again after a retry with the nonce it gave`);
  }
  return { retry: true, nonce };
}
