/**
 * Shared pieces of the property-based tests of parsers of outside input: the run count, the one
 * property they all check ("nothing escapes but the library's typed errors") and generators for
 * garbage and for near-valid documents with one field mutated.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { exportJWK, type JWK } from 'jose';
import { AuthError } from '../../../src/core/errors.js';

/** Every parser sees at least this many generated inputs. */
export const NUM_RUNS = 10_000;

/** Fixed seeds keep a failing input reproducible; FC_SEED overrides them for exploratory runs. */
export function runOptions(seed: number): { numRuns: number; seed: number } {
  const override = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  return { numRuns: NUM_RUNS, seed: override ?? seed };
}

/** Fails unless `err` is an AuthError (any subclass, such as ServerError); returns it typed. */
export function assertTyped(err: unknown, allowed?: readonly string[]): AuthError {
  assert.ok(err instanceof AuthError, `an untyped error escaped: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  if (allowed) assert.ok(allowed.includes(err.code), `unexpected code ${err.code}: ${err.message}`);
  return err;
}

/** Runs `fn`: returns its value, or undefined after checking that what it threw is typed. */
export function typedOrValue<T>(fn: () => T, allowed?: readonly string[]): T | undefined {
  try {
    return fn();
  } catch (err) {
    assertTyped(err, allowed);
    return undefined;
  }
}

/** The async form of {@link typedOrValue}. */
export async function typedOrValueAsync<T>(fn: () => Promise<T>, allowed?: readonly string[]): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    assertTyped(err, allowed);
    return undefined;
  }
}

/** Any string, lone surrogates and control characters included. */
export const anyString = fc.string({ unit: 'binary', maxLength: 64 });

/** Keys that trip naive object handling. */
const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', ''];

/** Any JSON value, with nasty keys in its objects now and then. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.oneof(fc.constantFrom(...NASTY_KEYS), fc.string({ maxLength: 8 })), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
);

/** Values a hostile or broken server may put where a field belongs. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, -0, '', ' ', '0', '-1', '1e3', 'NaN', 'Infinity', '9'.repeat(40), '[]', '{}', [], {}, ['x'], { a: 1 }),
  fc.integer(),
  fc.double(),
  anyString,
  anyJson,
);

/**
 * A near-valid document: `valid` with one field deleted or replaced by a hostile value, or one
 * extra field (possibly a nasty key) added. Mutated fields are chosen among `fields`.
 */
export function mutatedDocument(valid: Record<string, unknown>, fields: readonly string[] = Object.keys(valid)): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    fc.record({ field: fc.constantFrom(...fields), value: hostileValue }).map(({ field, value }) => withField(valid, field, value)),
    fc.constantFrom(...fields).map((field) => {
      const copy = { ...valid };
      delete copy[field];
      return copy;
    }),
    fc.record({ field: fc.oneof(fc.constantFrom(...NASTY_KEYS), fc.string({ maxLength: 8 })), value: hostileValue }).map(({ field, value }) => withField(valid, field, value)),
  );
}

/** A copy of `doc` with `field` set as own data (even `__proto__`), as JSON.parse would make it. */
export function withField(doc: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const copy = { ...doc };
  Object.defineProperty(copy, field, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** JSON text of a document, or garbage text, or truncated JSON. */
export function bodyText(doc: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    doc.map((value) => JSON.stringify(value)),
    fc.tuple(doc, fc.nat()).map(([value, cut]) => {
      const text = JSON.stringify(value) ?? '';
      return text.slice(0, cut % (text.length + 1));
    }),
    anyString,
    anyJson.map((value) => JSON.stringify(value)),
  );
}

/** base64url of a string as is, or of any other value's JSON. */
export function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : (JSON.stringify(value) ?? '')).toString('base64url');
}

/**
 * An Ed25519 key that signs any claims as they are (jose's SignJWT refuses some hostile claim
 * values), synchronously with node:crypto: ten thousand tokens cost well under a second.
 */
export async function makeTokenSigner(kid = 'k1'): Promise<{ jwks: { keys: JWK[] }; sign(claims: Record<string, unknown>): string }> {
  const pair = generateKeyPairSync('ed25519');
  const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: 'EdDSA', use: 'sig' }] };
  return {
    jwks,
    sign(claims) {
      const input = `${b64({ alg: 'EdDSA', kid })}.${b64(claims)}`;
      return `${input}.${sign(null, Buffer.from(input), pair.privateKey).toString('base64url')}`;
    },
  };
}

/**
 * Entra's client_info as a hostile server may send it: valid, garbage, base64url of garbage, of
 * JSON with uid/utid mutated (also in standard base64), of any JSON value.
 */
export const clientInfoValue: fc.Arbitrary<string> = fc.oneof(
  fc.constant(b64({ uid: 'u', utid: 't' })),
  anyString,
  anyString.map((text) => b64(text)),
  mutatedDocument({ uid: 'u', utid: 't' }).map((doc) => b64(doc)),
  mutatedDocument({ uid: 'u', utid: 't' }).map((doc) => Buffer.from(JSON.stringify(doc)).toString('base64')),
  hostileValue.map((value) => b64(JSON.stringify(value) ?? '')),
);
