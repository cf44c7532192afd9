/**
 * Randomness and hashing through WebCrypto (available in Node, browsers and VS Code's web
 * extension host), so the core needs no `node:crypto`.
 */
import * as base64url from 'jose/base64url';

function randomBytes(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** A random base64url string carrying `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return base64url.encode(randomBytes(bytes));
}

/** A random UUID, for correlation ids. */
export function randomUuid(): string {
  return globalThis.crypto.randomUUID();
}

/** base64url(SHA-256(text)). */
export async function sha256Base64Url(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return base64url.encode(new Uint8Array(digest));
}

/** A PKCE pair (RFC 7636): a 43-character verifier and its S256 challenge. */
export interface Pkce {
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
}

export async function generatePkce(): Promise<Pkce> {
  const codeVerifier = randomToken(32);
  return { codeVerifier, codeChallenge: await sha256Base64Url(codeVerifier), codeChallengeMethod: 'S256' };
}
