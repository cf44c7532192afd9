import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { generatePkce, randomToken, randomUuid, sha256Base64Url } from '../../../src/core/crypto.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

describe('generatePkce', () => {
  test('a 43-character base64url verifier and its S256 challenge (RFC 7636)', async () => {
    const pkce = await generatePkce();
    assert.equal(pkce.codeVerifier.length, 43);
    assert.match(pkce.codeVerifier, BASE64URL);
    assert.equal(pkce.codeChallengeMethod, 'S256');
    assert.equal(pkce.codeChallenge, createHash('sha256').update(pkce.codeVerifier, 'ascii').digest('base64url'));
    assert.equal(pkce.codeChallenge.length, 43);
  });

  test('every pair is new', async () => {
    const pairs = await Promise.all(Array.from({ length: 50 }, () => generatePkce()));
    assert.equal(new Set(pairs.map((p) => p.codeVerifier)).size, 50);
  });
});

describe('sha256Base64Url', () => {
  test('the RFC 7636 appendix B example', async () => {
    assert.equal(await sha256Base64Url('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  test('UTF-8 input', async () => {
    assert.equal(await sha256Base64Url('é'), createHash('sha256').update('é', 'utf8').digest('base64url'));
  });
});

describe('randomToken and randomUuid', () => {
  test('randomToken carries the requested bytes, base64url without padding', () => {
    assert.equal(randomToken().length, 43);
    assert.equal(randomToken(16).length, 22);
    assert.equal(randomToken(3).length, 4);
    assert.match(randomToken(), BASE64URL);
  });

  test('randomToken values are unique', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken(16)));
    assert.equal(tokens.size, 1000);
  });

  test('randomUuid is a v4 UUID and unique', () => {
    const ids = Array.from({ length: 100 }, () => randomUuid());
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, 100);
  });
});
