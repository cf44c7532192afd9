/**
 * Property tests of the token-response checks and of ID token validation: the token endpoint's
 * body and the ID token inside it are outside input. Whatever arrives, the checks return typed
 * data or throw an AuthError; valid responses and correctly signed, valid ID tokens still pass.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { Authority } from '../../../src/core/authority.js';
import { ServerError } from '../../../src/core/errors.js';
import { HttpPipeline } from '../../../src/core/http.js';
import { checkIdTokenClaims, checkTokenResponse, IdTokenValidator, readOAuthJson } from '../../../src/core/token-response.js';
import { FakeFetch, jsonResponse, memoryCache } from './fakes.js';
import { anyJson, anyString, b64, bodyText, hostileValue, makeTokenSigner, mutatedDocument, runOptions, typedOrValue, typedOrValueAsync } from './property.js';

const VALID_RESPONSE = {
  access_token: 'at',
  token_type: 'Bearer',
  expires_in: 3599,
  ext_expires_in: 7199,
  refresh_in: 1800,
  refresh_token: 'rt',
  id_token: 'h.p.s',
  scope: 'openid api://demo/read',
  client_info: 'eyJ1aWQiOiIxIiwidXRpZCI6IjIifQ',
  foci: '1',
};

const tokenResponseBody = fc.oneof(mutatedDocument(VALID_RESPONSE), anyJson.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)));

describe('checkTokenResponse: properties', () => {
  test('the valid response passes unchanged', () => {
    assert.deepEqual(checkTokenResponse({ ...VALID_RESPONSE }), VALID_RESPONSE);
  });

  test('any body gives a checked response or invalid_response', () => {
    fc.assert(
      fc.property(tokenResponseBody, (body) => {
        const checked = typedOrValue(() => checkTokenResponse(body), ['invalid_response']);
        if (checked === undefined) return;
        assert.ok(typeof checked.access_token === 'string' && checked.access_token.length > 0);
        assert.equal(typeof checked.token_type, 'string');
        assert.ok(Number.isFinite(checked.expires_in) && checked.expires_in >= 0);
        for (const name of ['refresh_token', 'id_token', 'scope', 'client_info', 'foci'] as const) {
          assert.ok(checked[name] === undefined || typeof checked[name] === 'string', name);
        }
      }),
      runOptions(6749),
    );
  });
});

/** Statuses a Response with a body may have (204, 205 and 304 carry none). */
const httpStatus = fc.integer({ min: 200, max: 599 }).filter((status) => ![204, 205, 304].includes(status));

describe('readOAuthJson: properties', () => {
  const errorBody = mutatedDocument({ error: 'invalid_grant', error_description: 'AADSTS70008: expired', error_codes: [70008], suberror: 'bad_token', claims: '{}', correlation_id: 'c', trace_id: 't', timestamp: 'x' });
  test('any status and body give a JSON object, a ServerError or invalid_response', async () => {
    await fc.assert(
      fc.asyncProperty(httpStatus, bodyText(fc.oneof(errorBody, tokenResponseBody)), async (status, text) => {
        const response = new Response(text, { status, headers: { 'content-type': 'application/json' } });
        const body = await typedOrValueAsync(() => readOAuthJson(response, 'token response'), ['invalid_response', 'server_error']);
        if (body === undefined) return;
        assert.ok(status >= 200 && status <= 299, 'an error status never passes as a body');
        assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body));
        assert.notEqual(typeof body.error, 'string');
      }),
      runOptions(7231),
    );
  });

  test('a ServerError carries only typed fields, whatever the error body held', async () => {
    await fc.assert(
      fc.asyncProperty(errorBody, httpStatus, async (body, status) => {
        const err = await readOAuthJson(jsonResponse(body, status), 'token response').then(
          () => undefined,
          (e: unknown) => e,
        );
        if (!(err instanceof ServerError)) return;
        assert.equal(typeof err.error, 'string');
        assert.ok(err.errorDescription === undefined || typeof err.errorDescription === 'string');
        assert.ok(err.errorCodes === undefined || err.errorCodes.every((code) => typeof code === 'number'));
        assert.ok(err.claims === undefined || typeof err.claims === 'string');
      }),
      runOptions(6750),
    );
  });
});

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
