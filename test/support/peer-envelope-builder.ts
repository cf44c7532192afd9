/**
 * The documented window-channel envelope, built independently of the implementation: HMAC-SHA256
 * over every field, AES-256-GCM payload, keys from HKDF-SHA256 under `<labelPrefix> enc|mac`.
 * Both channels' tests (Unix sockets, BroadcastChannel) forge and replay messages with it.
 */
import { createCipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export interface EnvelopeFields {
  type: string;
  from: string;
  to: string;
  ts: number;
  nonce?: string;
  re?: string;
}

export function buildEnvelope(labelPrefix: string, key: Uint8Array, fields: EnvelopeFields, payload: unknown): string {
  const derived = (label: string) => Buffer.from(hkdfSync('sha256', key, new Uint8Array(0), `${labelPrefix} ${label}`, 32));
  const header = { v: 1, type: fields.type, from: fields.from, to: fields.to, ts: fields.ts, nonce: fields.nonce ?? randomBytes(16).toString('base64url'), ...(fields.re ? { re: fields.re } : {}) };
  const ivBytes = randomBytes(12);
  const iv = ivBytes.toString('base64url');
  const covered = (data?: string) => Buffer.from(JSON.stringify([header.v, header.type, header.from, header.to, header.ts, header.nonce, header.re ?? '', iv, ...(data === undefined ? [] : [data])]));
  const cipher = createCipheriv('aes-256-gcm', derived('enc'), ivBytes);
  cipher.setAAD(covered());
  const data = Buffer.concat([cipher.update(JSON.stringify(payload)), cipher.final(), cipher.getAuthTag()]).toString('base64url');
  const mac = createHmac('sha256', derived('mac')).update(covered(data)).digest('base64url');
  return JSON.stringify({ ...header, iv, data, mac });
}
