// A tampering layer on the token endpoint: a test hands the IdP a hook that rewrites the next
// token response (its JSON, its status) after oidc-provider has made it, and helpers forge ID
// tokens from the real one: re-signed with the IdP's own key (claims changed, signature valid),
// with a foreign key, unsigned (`alg: none`) or HMAC-signed with the IdP's public key.
import type { ServerResponse } from 'node:http';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { base64url, CompactSign, decodeJwt, decodeProtectedHeader, importJWK, type JWK, type JWTPayload } from 'jose';
import { getSigningJwk, toPublicJwk } from './keys.js';

/** What the hook answers instead: a JSON body (or raw text) and, optionally, another status. */
export interface TamperedAnswer {
  status?: number;
  body: unknown;
}

/** Rewrites one token response: gets oidc-provider's status and parsed JSON body. */
export type TokenTamper = (original: { status: number; body: Record<string, unknown> }) => TamperedAnswer | Promise<TamperedAnswer>;

/**
 * Buffers what oidc-provider writes to `res`, then sends the hook's answer instead. Headers are
 * still unsent when `end` is called (Koa writes JSON bodies in one `end`), so status and length
 * can change.
 */
export function interceptJsonResponse(res: ServerResponse, tamper: TokenTamper, onError: (error: unknown) => void): void {
  const chunks: Buffer[] = [];
  const originalEnd = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
  const toBuffer = (chunk: unknown, encoding?: unknown) =>
    Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  res.write = ((chunk: unknown, encoding?: unknown) => {
    chunks.push(toBuffer(chunk, encoding));
    return true;
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown, encoding?: unknown) => {
    if (chunk !== undefined && typeof chunk !== 'function') chunks.push(toBuffer(chunk, encoding));
    const text = Buffer.concat(chunks).toString('utf8');
    void (async () => {
      const answer = await tamper({ status: res.statusCode, body: JSON.parse(text) as Record<string, unknown> });
      const out = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.statusCode = answer.status ?? res.statusCode;
      res.setHeader('content-length', Buffer.byteLength(out));
      originalEnd(out);
    })().catch((error: unknown) => {
      onError(error);
      res.statusCode = 500;
      res.removeHeader('content-length');
      originalEnd('{"error":"server_error","error_description":"the tampering hook failed"}');
    });
    return res;
  }) as ServerResponse['end'];
}

/** How a forged ID token is signed. */
export type Signing =
  /** The IdP's own key and kid: a valid signature over changed claims. */
  | 'idp'
  /** Another RSA key under the IdP's kid: a bad signature. */
  | 'foreign-key'
  /** Another RSA key under a kid the IdP never published. */
  | 'unknown-kid'
  /** `alg: none`, no signature. */
  | 'none'
  /** HS256 keyed with the IdP's public key (the algorithm-confusion attack). */
  | 'hs256-public-key';

let foreignKey: KeyObject | undefined;

function encodePart(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

/** A new ID token from `original`: its claims passed through `edit`, signed as `signing` says. */
export async function forgeIdToken(original: string, signing: Signing, edit: (claims: JWTPayload) => JWTPayload = (claims) => claims): Promise<string> {
  const claims = edit({ ...decodeJwt(original) });
  const header = decodeProtectedHeader(original);
  const payload = new TextEncoder().encode(JSON.stringify(claims));
  const idpJwk = await getSigningJwk();
  switch (signing) {
    case 'idp':
      return new CompactSign(payload).setProtectedHeader({ ...header, alg: 'RS256' }).sign(await importJWK(idpJwk, 'RS256'));
    case 'foreign-key':
    case 'unknown-kid': {
      foreignKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const kid = signing === 'unknown-kid' ? 'a-kid-the-idp-never-published' : header.kid;
      return new CompactSign(payload).setProtectedHeader({ ...header, alg: 'RS256', kid }).sign(foreignKey);
    }
    case 'none':
      return `${encodePart({ alg: 'none', typ: 'JWT' })}.${encodePart(claims)}.`;
    case 'hs256-public-key': {
      const publicPem = createPublicKey({ key: toPublicJwk(idpJwk) as JWK & { kty: string }, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      return new CompactSign(payload).setProtectedHeader({ ...header, alg: 'HS256' }).sign(new Uint8Array(Buffer.from(publicPem)));
    }
  }
}
