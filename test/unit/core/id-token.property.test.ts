/**
 * Property tests of ID token validation (token-response.ts: IdTokenValidator and the claim checks
 * jose leaves to the client): the ID token is outside input. Garbage, unsigned and JWT-shaped
 * strings never pass; signed tokens with one claim mutated pass only when every check holds.
 */
import assert from 'node:assert/strict';
import { afterEach, before, describe, mock, test } from 'node:test';
import fc from 'fast-check';
import { UnsecuredJWT } from 'jose';
import { Authority } from '../../../src/core/authority.js';
import { HttpPipeline } from '../../../src/core/http.js';
import { checkIdTokenClaims, checkRegisteredClaims, IdTokenValidator } from '../../../src/core/token-response.js';
import { FakeFetch, jsonResponse, memoryCache } from './fakes.js';
import { anyJson, anyString, b64, hostileValue, makeTokenSigner, mutatedDocument, runOptions, typedOrValue, typedOrValueAsync } from './property.js';

const CLIENT_ID = 'client-abc';
const ISSUER = 'https://idp.example.com/tenant';
const JWKS_URI = 'https://idp.example.com/tenant/jwks';
const SKEW = 300;

function authority(): Authority {
  const metadata = { issuer: ISSUER, authorization_endpoint: `${ISSUER}/authorize`, token_endpoint: `${ISSUER}/token`, jwks_uri: JWKS_URI };
  return new Authority(ISSUER, 'OIDC', 'idp.example.com', 'tenant', metadata, ['idp.example.com']);
}

function validClaims(now: number): Record<string, unknown> {
  return { iss: ISSUER, sub: 'user-1', aud: CLIENT_ID, exp: now + 3600, iat: now, nonce: 'n-1', auth_time: now - 10, tid: 't' };
}

/** Claim values a hostile IdP may send: times around the skew boundaries among them. */
function claimValue(now: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    hostileValue,
    fc.integer({ min: now - 2 * SKEW - 3600, max: now + 2 * SKEW + 3600 }),
    fc.constantFrom(ISSUER, `${ISSUER}/`, CLIENT_ID, [CLIENT_ID], [CLIENT_ID, 'other'], ['other'], 'n-1', 'n-2'),
  );
}

function mutatedClaims(now: number): fc.Arbitrary<Record<string, unknown>> {
  const valid = validClaims(now);
  const fields = [...Object.keys(valid), 'azp'];
  return fc.oneof(
    fc.record({ field: fc.constantFrom(...fields), value: claimValue(now) }).map(({ field, value }) => ({ ...valid, [field]: value })),
    mutatedDocument(valid),
  );
}

/** What a token that passed validation must satisfy, checked independently of the validator. */
function assertAcceptable(payload: Record<string, unknown>, now: number): void {
  assert.equal(payload.iss, ISSUER);
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  assert.ok(audiences.includes(CLIENT_ID), 'aud holds the client');
  if (audiences.length > 1) assert.equal(payload.azp, CLIENT_ID);
  if (payload.azp !== undefined) assert.equal(payload.azp, CLIENT_ID);
  assert.equal(payload.nonce, 'n-1');
  assert.ok(typeof payload.exp === 'number' && payload.exp + SKEW >= now, 'not expired');
  assert.ok(typeof payload.iat === 'number' && payload.iat <= now + SKEW, 'not issued in the future');
  assert.equal(typeof payload.sub, 'string');
}

describe('checkIdTokenClaims: properties', () => {
  test('any claims pass only when acceptable, or throw invalid_id_token', () => {
    const now = Math.floor(Date.now() / 1000);
    assert.doesNotThrow(() => checkIdTokenClaims(validClaims(now), { clientId: CLIENT_ID, nonce: 'n-1', maxAge: 3600 }));
    fc.assert(
      fc.property(fc.oneof(mutatedClaims(now), anyJson.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)), (claims) => {
        typedOrValue(() => checkIdTokenClaims(claims, { clientId: CLIENT_ID, nonce: 'n-1', maxAge: 3600 }), ['invalid_id_token']);
      }),
      runOptions(1003),
    );
  });
});

describe('checkRegisteredClaims: the verdict of jose\'s JWT claims validation, which it replaced', () => {
  afterEach(() => mock.timers.reset());

  /** What jwtVerify was given for ID tokens, through jose's own claims validation (UnsecuredJWT.decode runs it alone). */
  function joseAccepts(claims: Record<string, unknown>, skew: number, now: number): boolean {
    try {
      UnsecuredJWT.decode(new UnsecuredJWT(claims).encode(), {
        issuer: ISSUER,
        audience: CLIENT_ID,
        clockTolerance: skew,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
        currentDate: new Date(now * 1000),
      });
      return true;
    } catch {
      return false;
    }
  }

  test('any claims: accepted by both or refused by both, refusals typed invalid_id_token', () => {
    const now = Math.floor(Date.UTC(2025, 5, 1, 12, 0, 0) / 1000);
    mock.timers.enable({ apis: ['Date'], now: now * 1000 });
    const valid = { ...validClaims(now), nbf: now - 10 };
    const fields = ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf'];
    const boundary = (skew: number) => fc.constantFrom(now - skew - 1, now - skew, now - skew + 1, now + skew - 1, now + skew, now + skew + 1);
    const claimsAndSkew = fc.constantFrom(0, 60, SKEW).chain((skew) =>
      fc.tuple(
        fc.oneof(
          fc.record({ field: fc.constantFrom(...fields), value: fc.oneof(claimValue(now), boundary(skew)) }).map(({ field, value }) => ({ ...valid, [field]: value })),
          mutatedDocument(valid),
        ),
        fc.constant(skew),
      ),
    );
    fc.assert(
      fc.property(claimsAndSkew, ([claims, skew]) => {
        // What the validator sees: the claims as JSON carried them.
        const parsed = JSON.parse(JSON.stringify(claims)) as Record<string, unknown>;
        const ours = typedOrValue(() => (checkRegisteredClaims(parsed, ISSUER, { clientId: CLIENT_ID, clockSkewSeconds: skew }), true), ['invalid_id_token']) === true;
        assert.equal(ours, joseAccepts(parsed, skew, now), JSON.stringify(parsed));
      }),
      runOptions(7638),
    );
  });
});

describe('IdTokenValidator: properties', () => {
  let signer: Awaited<ReturnType<typeof makeTokenSigner>>;
  before(async () => {
    signer = await makeTokenSigner('k1');
  });
  const sign = (claims: Record<string, unknown>) => signer.sign(claims);

  function validator(): IdTokenValidator {
    const cache = memoryCache();
    return new IdTokenValidator(new HttpPipeline(new FakeFetch().on(JWKS_URI, jsonResponse(signer.jwks)).fetch, cache), cache);
  }

  const header = mutatedDocument({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' });
  /** Strings that look like a JWT: three base64url parts of JSON, garbage or nothing. */
  const jwtShaped = fc
    .tuple(fc.oneof(header, anyJson), fc.oneof(anyJson, fc.constant(validClaims(Math.floor(Date.now() / 1000)))), fc.uint8Array({ maxLength: 72 }), fc.constantFrom(3, 2, 4, 5))
    .map(([h, p, signature, parts]) => [b64(h), b64(p), Buffer.from(signature).toString('base64url'), 'x', 'y'].slice(0, parts).join('.'));

  test('a correctly signed valid token passes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = sign(validClaims(now));
    const payload = await validator().validate(token, authority(), { clientId: CLIENT_ID, nonce: 'n-1' });
    assertAcceptable(payload, now);
  });

  test('garbage and JWT-shaped strings are rejected with invalid_id_token', async () => {
    const checker = validator();
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyString, jwtShaped), async (token) => {
        const payload = await typedOrValueAsync(() => checker.validate(token, authority(), { clientId: CLIENT_ID, nonce: 'n-1' }), ['invalid_id_token']);
        assert.equal(payload, undefined, 'an unsigned or garbage token never passes');
      }),
      runOptions(7515),
    );
  });

  test('signed tokens with one claim mutated pass only when every check holds', async () => {
    const checker = validator();
    const now = Math.floor(Date.now() / 1000);
    await fc.assert(
      fc.asyncProperty(mutatedClaims(now), async (claims) => {
        const token = sign(claims);
        const payload = await typedOrValueAsync(() => checker.validate(token, authority(), { clientId: CLIENT_ID, nonce: 'n-1' }), ['invalid_id_token']);
        if (payload !== undefined) assertAcceptable(payload, Math.floor(Date.now() / 1000));
      }),
      runOptions(7519),
    );
  });
});
