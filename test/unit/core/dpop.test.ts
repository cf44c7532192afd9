import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { base64url, calculateJwkThumbprint, compactVerify, decodeJwt, decodeProtectedHeader, EmbeddedJWK, exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify } from 'jose';
import {
  createDpopProof,
  decideDpopRetry,
  DpopNonces,
  dpopHtu,
  dpopResourceHeaders,
  dpopThumbprint,
  exportDpopPrivateJwk,
  generateDpopKey,
  importDpopKey,
  isUseDpopNonce,
} from '../../../src/core/dpop.js';
import { AuthError } from '../../../src/core/errors.js';
import { rejectsWithCode } from './fakes.js';

const TOKEN_URL = 'https://login.example/token';

describe('DPoP keys', () => {
  test('a new key is ES256 with a non-extractable private key and a public JWK without d', async () => {
    const key = await generateDpopKey();
    assert.equal(key.privateKey.extractable, false);
    assert.deepEqual(Object.keys(key.publicJwk).sort(), ['crv', 'kty', 'x', 'y']);
    assert.equal(key.thumbprint, await dpopThumbprint(key.publicJwk));
    await rejectsWithCode(exportDpopPrivateJwk(key), 'invalid_argument');
  });

  test('an extractable key goes to storage and comes back with the same thumbprint', async () => {
    const key = await generateDpopKey({ extractable: true });
    const stored = await exportDpopPrivateJwk(key);
    const restored = await importDpopKey(stored);
    assert.equal(restored.thumbprint, key.thumbprint);
    await rejectsWithCode(importDpopKey({ kty: 'RSA', n: 'x', e: 'AQAB' }), 'invalid_argument');
  });

  test('the thumbprint is RFC 7638 (the RFC 9449 §6.1 example key)', async () => {
    const jwk = { kty: 'EC', crv: 'P-256', x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs', y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA' };
    assert.equal(await dpopThumbprint(jwk), '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I');
  });
});

describe('DPoP keys and proofs checked with jose (WebCrypto made them, jose verifies)', () => {
  test('the thumbprint is jose\'s RFC 7638 thumbprint, extra members ignored; a non-EC key is refused', async () => {
    for (let i = 0; i < 5; i += 1) {
      const key = await generateDpopKey();
      assert.equal(key.thumbprint, await calculateJwkThumbprint(key.publicJwk, 'sha256'));
    }
    const rfc9449 = { kty: 'EC', crv: 'P-256', x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs', y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA' };
    assert.equal(await dpopThumbprint({ ...rfc9449, use: 'sig', kid: 'k1' }), await calculateJwkThumbprint(rfc9449, 'sha256'));
    await rejectsWithCode(dpopThumbprint({ kty: 'RSA', n: 'x', e: 'AQAB' }), 'invalid_argument');
    await rejectsWithCode(dpopThumbprint({ kty: 'EC', crv: 'P-256', x: 'x' }), 'invalid_argument');
  });

  test('a proof verifies with jose against the public JWK, header and claims exactly RFC 9449 §4.2\'s', async () => {
    const key = await generateDpopKey();
    const proof = await createDpopProof(key, { method: 'POST', url: TOKEN_URL, nonce: 'n-3' }, { now: 1_700_000_000 });
    const { payload, protectedHeader } = await compactVerify(proof, await importJWK(key.publicJwk, 'ES256'), { algorithms: ['ES256'] });
    assert.deepEqual(protectedHeader, { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk });
    assert.deepEqual(Object.keys(protectedHeader.jwk!).sort(), ['crv', 'kty', 'x', 'y']);
    const claims = JSON.parse(new TextDecoder().decode(payload));
    assert.deepEqual(Object.keys(claims).sort(), ['htm', 'htu', 'iat', 'jti', 'nonce']);
    assert.deepEqual({ htm: claims.htm, htu: claims.htu, iat: claims.iat, nonce: claims.nonce }, { htm: 'POST', htu: TOKEN_URL, iat: 1_700_000_000, nonce: 'n-3' });
    // The JWS form of an ES256 signature: r || s, 32 bytes each.
    assert.equal(base64url.decode(proof.split('.')[2]).length, 64);
  });

  test('a tampered proof does not verify', async () => {
    const key = await generateDpopKey();
    const [header, payload, signature] = (await createDpopProof(key, { method: 'GET', url: TOKEN_URL })).split('.');
    const forged = base64url.encode(JSON.stringify({ ...decodeJwt(`${header}.${payload}.${signature}`), htm: 'POST' }));
    await assert.rejects(jwtVerify(`${header}.${forged}.${signature}`, EmbeddedJWK, { typ: 'dpop+jwt' }), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  test('a private JWK jose exported (as stored by earlier versions) imports, and signs for its own public key', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const { kty, crv, x, y, d } = await exportJWK(pair.privateKey);
    const key = await importDpopKey({ kty, crv, x, y, d } as JWK);
    assert.deepEqual(key.publicJwk, { kty, crv, x, y });
    assert.equal(key.thumbprint, await calculateJwkThumbprint({ kty, crv, x, y }, 'sha256'));
    await jwtVerify(await createDpopProof(key, { method: 'GET', url: TOKEN_URL }), pair.publicKey, { typ: 'dpop+jwt' });
    assert.deepEqual(await exportDpopPrivateJwk(key), { kty, crv, x, y, d });
  });

  test('a private JWK whose d is not the key of its x and y is refused', async () => {
    const [a, b] = await Promise.all([generateDpopKey({ extractable: true }), generateDpopKey({ extractable: true })]);
    const mixed = { ...(await exportDpopPrivateJwk(a)), d: (await exportDpopPrivateJwk(b)).d };
    await rejectsWithCode(importDpopKey(mixed), 'invalid_argument');
    await rejectsWithCode(importDpopKey(null as unknown as JWK), 'invalid_argument');
  });
});

describe('DPoP proofs', () => {
  test('carry typ, the public jwk, jti, htm, htu without query or fragment, iat, ath and nonce', async () => {
    const key = await generateDpopKey();
    const proof = await createDpopProof(key, { method: 'GET', url: 'https://API.example/v1/items?page=2#top', accessToken: 'at-1', nonce: 'n-1' }, { now: 1_700_000_000 });
    const header = decodeProtectedHeader(proof);
    assert.deepEqual({ typ: header.typ, alg: header.alg, jwk: header.jwk }, { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk });
    const claims = decodeJwt(proof);
    assert.equal(claims.htm, 'GET');
    assert.equal(claims.htu, 'https://api.example/v1/items');
    assert.equal(claims.iat, 1_700_000_000);
    assert.equal(claims.nonce, 'n-1');
    assert.equal(claims.ath, createHash('sha256').update('at-1').digest('base64url'));
    assert.match(String(claims.jti), /^[A-Za-z0-9_-]{20,}$/);
    await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', currentDate: new Date(1_700_000_000_000) });
  });

  test('each proof has its own jti; no ath or nonce unless given', async () => {
    const key = await generateDpopKey();
    const [a, b] = await Promise.all([createDpopProof(key, { method: 'POST', url: TOKEN_URL }), createDpopProof(key, { method: 'POST', url: TOKEN_URL })]);
    assert.notEqual(decodeJwt(a).jti, decodeJwt(b).jti);
    assert.equal('ath' in decodeJwt(a) || 'nonce' in decodeJwt(a), false);
    await rejectsWithCode(createDpopProof(key, { method: 'get', url: TOKEN_URL }), 'invalid_argument');
  });

  test('resource headers: the DPoP scheme and a proof bound to the token', async () => {
    const key = await generateDpopKey();
    const headers = await dpopResourceHeaders(key, { method: 'GET', url: 'https://api.example/x', accessToken: 'at-2' });
    assert.equal(headers.authorization, 'DPoP at-2');
    assert.equal(decodeJwt(headers.dpop).ath, createHash('sha256').update('at-2').digest('base64url'));
    assert.equal(dpopHtu('https://api.example:443/x?y#z'), 'https://api.example/x');
  });
});

describe('DPoP nonces', () => {
  const headers = (nonce: string | null) => new Headers(nonce === null ? {} : { 'DPoP-Nonce': nonce });

  test('are kept per origin and replaced by the latest', () => {
    const nonces = new DpopNonces();
    assert.equal(nonces.remember(TOKEN_URL, headers('a')), 'a');
    assert.equal(nonces.get('https://login.example/other'), 'a');
    assert.equal(nonces.get('https://api.example/x'), undefined);
    nonces.remember(TOKEN_URL, headers('b'));
    nonces.remember(TOKEN_URL, headers(null));
    assert.equal(nonces.get(TOKEN_URL), 'b');
  });

  test('refuse values outside the NQCHAR syntax and forget the oldest origin past the bound', () => {
    const nonces = new DpopNonces();
    assert.equal(nonces.remember(TOKEN_URL, headers('has "quote"')), undefined);
    assert.equal(nonces.remember(TOKEN_URL, headers('x'.repeat(2000))), undefined);
    for (let i = 0; i < 65; i += 1) nonces.remember(`https://host${i}.example/`, headers(`n${i}`));
    assert.equal(nonces.get('https://host0.example/'), undefined);
    assert.equal(nonces.get('https://host64.example/'), 'n64');
  });
});

describe('use_dpop_nonce retry rule', () => {
  const tokenAnswer = { status: 400, error: 'use_dpop_nonce', nonce: 'n-2' };
  const resourceAnswer = { status: 401, wwwAuthenticate: 'DPoP error="use_dpop_nonce", algs="ES256"', nonce: 'n-2' };

  test('recognises the token endpoint’s 400 and the resource’s 401 challenge, nothing else', () => {
    assert.equal(isUseDpopNonce('token', tokenAnswer), true);
    assert.equal(isUseDpopNonce('resource', resourceAnswer), true);
    assert.equal(isUseDpopNonce('token', { ...tokenAnswer, status: 401 }), false);
    assert.equal(isUseDpopNonce('resource', { ...resourceAnswer, wwwAuthenticate: 'Bearer error="use_dpop_nonce"' }), false);
    assert.equal(isUseDpopNonce('resource', { ...resourceAnswer, wwwAuthenticate: 'DPoP error="unterminated' }), false);
    assert.equal(isUseDpopNonce('resource', { ...resourceAnswer, status: 403 }), false);
  });

  test('retries once with the nonce given', () => {
    assert.deepEqual(decideDpopRetry('token', tokenAnswer, { retried: false }), { retry: true, nonce: 'n-2' });
    assert.deepEqual(decideDpopRetry('resource', resourceAnswer, { sentNonce: 'n-1', retried: false }), { retry: true, nonce: 'n-2' });
    assert.deepEqual(decideDpopRetry('token', { status: 400, error: 'invalid_grant', nonce: 'n-2' }, { retried: false }), { retry: false });
    assert.deepEqual(decideDpopRetry('token', { ...tokenAnswer, nonce: null }, { retried: false }), { retry: false });
  });

  test('a second use_dpop_nonce, or the nonce just sent, is a nonce loop', () => {
    const isLoop = (err: unknown) => err instanceof AuthError && err.code === 'dpop_nonce_loop';
    assert.throws(() => decideDpopRetry('token', tokenAnswer, { sentNonce: 'n-1', retried: true }), isLoop);
    assert.throws(() => decideDpopRetry('resource', resourceAnswer, { sentNonce: 'n-2', retried: false }), isLoop);
  });
});
