import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe, mock, test } from 'node:test';
import { base64url, CompactSign, type CryptoKey, FlattenedSign, exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { Authority, type AuthorityMetadata } from '../../../src/core/authority.js';
import { AuthError, isInteractionRequired, ServerError } from '../../../src/core/errors.js';
import { HttpPipeline, MAX_RESPONSE_BYTES } from '../../../src/core/http.js';
import {
  checkIdTokenClaims,
  checkTokenResponse,
  DEFAULT_CLOCK_SKEW_S,
  IdTokenValidator,
  readOAuthJson,
  serverErrorFrom,
} from '../../../src/core/token-response.js';
import { FakeFetch, jsonResponse, memoryCache, rejectsWithCode, textResponse, throwsWithCode } from './fakes.js';

describe('checkTokenResponse', () => {
  test('a minimal response gets token_type Bearer and expires_in 600 (MSAL for Python’s)', () => {
    const checked = checkTokenResponse({ access_token: 'at' });
    assert.equal(checked.access_token, 'at');
    assert.equal(checked.token_type, 'Bearer');
    assert.equal(checked.expires_in, 600);
    assert.equal(checked.refresh_token, undefined);
    assert.equal(checked.id_token, undefined);
  });

  test('a full Entra response is kept, extra fields included', () => {
    const body = {
      access_token: 'at',
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 7199,
      refresh_in: 1800,
      refresh_token: 'rt',
      id_token: 'h.p.s',
      scope: 'User.Read openid profile',
      client_info: 'eyJ1aWQiOiIxIiwidXRpZCI6IjIifQ',
      foci: '1',
      correlation_id: 'abc',
    };
    assert.deepEqual(checkTokenResponse(body), body);
  });

  test('numeric strings (ADFS, older Entra) are accepted as seconds', () => {
    const checked = checkTokenResponse({ access_token: 'at', expires_in: '3599', ext_expires_in: '7199', refresh_in: '0' });
    assert.equal(checked.expires_in, 3599);
    assert.equal(checked.ext_expires_in, 7199);
    assert.equal(checked.refresh_in, 0);
  });

  test('null optional fields count as absent', () => {
    const checked = checkTokenResponse({ access_token: 'at', expires_in: null, refresh_token: null, id_token: null });
    assert.equal(checked.expires_in, 600);
    assert.equal(checked.refresh_token, undefined);
    assert.equal(checked.id_token, undefined);
  });

  for (const [label, value] of [
    ['missing', undefined],
    ['empty', ''],
    ['a number', 42],
    ['an object', { token: 'x' }],
    ['null', null],
  ] as const) {
    test(`access_token ${label} is invalid_response`, () => {
      const err = throwsWithCode(() => checkTokenResponse({ access_token: value, token_type: 'Bearer' }), 'invalid_response');
      assert.match(err.message, /access_token/);
    });
  }

  for (const [label, value] of [
    ['a non-numeric string', 'soon'],
    ['a decimal string', '1.5'],
    ['a negative number', -1],
    ['a negative string', '-60'],
    ['a boolean', true],
    ['an object', {}],
    ['an empty string', ''],
    // Found by a property test: it made expiresOn an Invalid Date.
    ['beyond a century', 8_638_204_691_862],
    ['a string of forty digits', '9'.repeat(40)],
  ] as const) {
    test(`expires_in ${label} is invalid_response`, () => {
      const err = throwsWithCode(() => checkTokenResponse({ access_token: 'at', expires_in: value }), 'invalid_response');
      assert.match(err.message, /expires_in/);
    });
  }

  for (const field of ['ext_expires_in', 'refresh_in']) {
    test(`${field} of the wrong type is invalid_response`, () => {
      const err = throwsWithCode(() => checkTokenResponse({ access_token: 'at', [field]: 'later' }), 'invalid_response');
      assert.match(err.message, new RegExp(field));
    });
  }

  for (const field of ['token_type', 'refresh_token', 'id_token', 'scope', 'client_info', 'foci']) {
    test(`${field} that is not a string is invalid_response`, () => {
      for (const value of [42, ['a'], { a: 1 }, true]) {
        const err = throwsWithCode(() => checkTokenResponse({ access_token: 'at', [field]: value }), 'invalid_response');
        assert.match(err.message, new RegExp(field));
      }
    });
  }

  test('error messages never contain the token', () => {
    const err = throwsWithCode(() => checkTokenResponse({ access_token: 'SECRET-AT', refresh_token: 7 }), 'invalid_response');
    assert.doesNotMatch(err.message, /SECRET/);
  });
});

describe('readOAuthJson and serverErrorFrom', () => {
  const entraError = {
    error: 'invalid_grant',
    error_description: 'AADSTS50173: The provided grant has expired due to it being revoked.',
    error_codes: [50173, 'x', 70000],
    timestamp: '2025-01-01 00:00:00Z',
    trace_id: 'trace-1',
    correlation_id: 'corr-1',
    suberror: 'bad_token',
    claims: '{"access_token":{"capolids":{"essential":true,"values":["1"]}}}',
  };

  test('an error body on 400 is a ServerError with every field', async () => {
    const err = await readOAuthJson(jsonResponse(entraError, 400), 'token response').catch((e: unknown) => e);
    assert.ok(err instanceof ServerError);
    assert.ok(err instanceof AuthError);
    assert.equal(err.name, 'ServerError');
    assert.equal(err.code, 'server_error');
    assert.equal(err.error, 'invalid_grant');
    assert.equal(err.errorDescription, entraError.error_description);
    assert.deepEqual(err.errorCodes, [50173, 70000]);
    assert.equal(err.suberror, 'bad_token');
    assert.equal(err.claims, entraError.claims);
    assert.equal(err.correlationId, 'corr-1');
    assert.equal(err.traceId, 'trace-1');
    assert.equal(err.timestamp, '2025-01-01 00:00:00Z');
    assert.equal(err.status, 400);
    assert.equal(err.message, `invalid_grant: ${entraError.error_description}`);
    assert.equal(isInteractionRequired(err), true);
  });

  test('an error body on 401 keeps its status', async () => {
    const err = await readOAuthJson(jsonResponse({ error: 'invalid_client' }, 401), 'token response').catch((e: unknown) => e);
    assert.ok(err instanceof ServerError);
    assert.equal(err.status, 401);
    assert.equal(err.message, 'invalid_client');
    assert.equal(err.errorDescription, undefined);
    assert.equal(err.errorCodes, undefined);
  });

  test('a 200 carrying an error is a ServerError', async () => {
    const err = await readOAuthJson(jsonResponse({ error: 'authorization_pending' }, 200), 'token response').catch((e: unknown) => e);
    assert.ok(err instanceof ServerError);
    assert.equal(err.error, 'authorization_pending');
    assert.equal(err.status, 200);
  });

  test('an HTML 500 is invalid_response naming the status', async () => {
    const err = await rejectsWithCode(readOAuthJson(textResponse('<html><body>Service unavailable</body></html>', 500), 'token response'), 'invalid_response');
    assert.match(err.message, /HTTP 500/);
    assert.ok(!(err instanceof ServerError));
  });

  test('a JSON 400 without an error field is invalid_response', async () => {
    await rejectsWithCode(readOAuthJson(jsonResponse({ message: 'bad' }, 400), 'token response'), 'invalid_response');
  });

  test('a non-string error on 400 is invalid_response', async () => {
    await rejectsWithCode(readOAuthJson(jsonResponse({ error: 42 }, 400), 'token response'), 'invalid_response');
  });

  test('a redirect is invalid_response', async () => {
    await rejectsWithCode(readOAuthJson(textResponse('', 302, { location: 'https://elsewhere' }), 'token response'), 'invalid_response');
  });

  test('a 200 that is not a JSON object is invalid_response', async () => {
    await rejectsWithCode(readOAuthJson(textResponse('<html></html>', 200), 'token response'), 'invalid_response');
    await rejectsWithCode(readOAuthJson(jsonResponse([1], 200), 'token response'), 'invalid_response');
  });

  test('an oversized body is response_too_large', async () => {
    await rejectsWithCode(
      readOAuthJson(textResponse('{}', 400, { 'content-length': String(MAX_RESPONSE_BYTES + 1) }), 'token response'),
      'response_too_large',
    );
  });

  test('a 200 object is returned', async () => {
    assert.deepEqual(await readOAuthJson(jsonResponse({ access_token: 'at' }), 'token response'), { access_token: 'at' });
  });

  test('serverErrorFrom without an error field says server_error and ignores wrong types', () => {
    const err = serverErrorFrom({ error_description: 5, error_codes: 'x', claims: {} }, 500);
    assert.equal(err.error, 'server_error');
    assert.equal(err.errorDescription, undefined);
    assert.equal(err.errorCodes, undefined);
    assert.equal(err.claims, undefined);
    assert.equal(err.status, 500);
  });
});

describe('IdTokenValidator', () => {
  const NOW_MS = Date.UTC(2025, 3, 1, 10, 0, 0);
  const NOW = NOW_MS / 1000;
  const CLIENT_ID = 'client-abc';
  const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const OIDC_ISSUER = 'https://idp.example.com/tenant';
  const JWKS_URI = 'https://idp.example.com/tenant/jwks';
  let privateKey: CryptoKey;
  let publicKey: CryptoKey;
  let publicJwk: JWK;
  let otherPrivateKey: CryptoKey;
  let otherPublicJwk: JWK;

  before(async () => {
    ({ privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true }));
    publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const other = await generateKeyPair('RS256', { extractable: true });
    otherPrivateKey = other.privateKey;
    otherPublicJwk = { ...(await exportJWK(other.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' };
  });
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: NOW_MS }));
  afterEach(() => mock.timers.reset());

  function metadata(issuer: string): AuthorityMetadata {
    return { issuer, authorization_endpoint: `${OIDC_ISSUER}/authorize`, token_endpoint: `${OIDC_ISSUER}/token`, jwks_uri: JWKS_URI };
  }
  const oidcAuthority = () => new Authority(OIDC_ISSUER, 'OIDC', 'idp.example.com', 'tenant', metadata(OIDC_ISSUER), ['idp.example.com']);
  const entraAuthority = () =>
    new Authority(
      'https://login.microsoftonline.com/common',
      'AAD',
      'login.microsoftonline.com',
      'common',
      metadata('https://login.microsoftonline.com/{tenantid}/v2.0'),
      ['login.microsoftonline.com'],
    );

  function setup(...jwksAnswers: ReturnType<typeof jsonResponse>[]) {
    const fake = new FakeFetch().on(JWKS_URI, ...(jwksAnswers.length > 0 ? jwksAnswers : [jsonResponse({ keys: [publicJwk] })]));
    const cache = memoryCache();
    const validator = new IdTokenValidator(new HttpPipeline(fake.fetch, cache), cache);
    return { fake, validator };
  }

  function claims(overrides: Record<string, unknown> = {}): JWTPayload {
    const base: Record<string, unknown> = { iss: OIDC_ISSUER, sub: 'user-1', aud: CLIENT_ID, exp: NOW + 3600, iat: NOW, nonce: 'n-1' };
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) delete base[name];
      else base[name] = value;
    }
    return base as JWTPayload;
  }

  function sign(payload: JWTPayload, options: { key?: CryptoKey | Uint8Array; alg?: string; kid?: string } = {}): Promise<string> {
    return new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'k1' }).sign(options.key ?? privateKey);
  }

  test('a valid token returns its claims; the JWKS is fetched once and cached', async () => {
    const { fake, validator } = setup();
    const token = await sign(claims());
    const payload = await validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID, nonce: 'n-1' });
    assert.equal(payload.sub, 'user-1');
    await validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID });
    assert.equal(fake.count(JWKS_URI), 1);
  });

  test('a bad signature is invalid_id_token', async () => {
    const { validator } = setup();
    const forged = await sign(claims(), { key: otherPrivateKey, kid: 'k1' });
    await rejectsWithCode(validator.validate(forged, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
  });

  test('a tampered payload is invalid_id_token', async () => {
    const { validator } = setup();
    const [header, , signature] = (await sign(claims())).split('.');
    const payload = base64url.encode(JSON.stringify(claims({ sub: 'admin' })));
    await rejectsWithCode(validator.validate(`${header}.${payload}.${signature}`, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
  });

  test('alg none is invalid_id_token', async () => {
    const { validator } = setup();
    const header = base64url.encode(JSON.stringify({ alg: 'none', kid: 'k1' }));
    const payload = base64url.encode(JSON.stringify(claims()));
    await rejectsWithCode(validator.validate(`${header}.${payload}.`, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
  });

  test('an unencoded payload (RFC 7797 b64: false), signed by the right key, is invalid_id_token', async () => {
    const { validator } = setup();
    // The same characters as a JWT's payload part, but signed as raw bytes: JWTs never do this.
    const raw = base64url.encode(JSON.stringify(claims()));
    const jws = await new FlattenedSign(new TextEncoder().encode(raw)).setProtectedHeader({ alg: 'RS256', kid: 'k1', b64: false, crit: ['b64'] }).sign(privateKey);
    const token = `${jws.protected}.${raw}.${jws.signature}`;
    const err = await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
    assert.match(err.message, /unencoded payload/);
  });

  test('a signed payload that is not a JSON object is invalid_id_token', async () => {
    const { validator } = setup();
    for (const body of ['[1,2]', '"claims"', 'not json', '\xff']) {
      const token = await new CompactSign(new TextEncoder().encode(body)).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
      await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
    }
  });

  test('HS256 signed with the public key bytes is invalid_id_token', async () => {
    const { validator } = setup();
    for (const secret of [new TextEncoder().encode(await exportSPKI(publicKey)), new TextEncoder().encode(JSON.stringify(publicJwk))]) {
      const token = await sign(claims(), { key: secret, alg: 'HS256' });
      await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
    }
  });

  test('an unknown kid triggers exactly one JWKS refetch, then fails', async () => {
    const { fake, validator } = setup();
    const token = await sign(claims(), { key: otherPrivateKey, kid: 'k2' });
    await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
    assert.equal(fake.count(JWKS_URI), 2);
  });

  test('a rotated key is found by the refetch', async () => {
    const { fake, validator } = setup(jsonResponse({ keys: [publicJwk] }), jsonResponse({ keys: [publicJwk, otherPublicJwk] }));
    const token = await sign(claims(), { key: otherPrivateKey, kid: 'k2' });
    const payload = await validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID });
    assert.equal(payload.sub, 'user-1');
    assert.equal(fake.count(JWKS_URI), 2);
    // The refreshed set is cached: the next token needs no request.
    await validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID });
    assert.equal(fake.count(JWKS_URI), 2);
  });

  test('a token without kid is verified when the JWKS holds several keys (jose JWKSMultipleMatchingKeys)', async () => {
    const { kid: _a, ...first } = publicJwk;
    const { kid: _b, ...second } = otherPublicJwk;
    const { validator } = setup(jsonResponse({ keys: [first, second] }));
    const unkeyed = (payload: JWTPayload, key: CryptoKey) => new SignJWT(payload).setProtectedHeader({ alg: 'RS256' }).sign(key);
    assert.equal((await validator.validate(await unkeyed(claims(), otherPrivateKey), oidcAuthority(), { clientId: CLIENT_ID })).sub, 'user-1');
    assert.equal((await validator.validate(await unkeyed(claims(), privateKey), oidcAuthority(), { clientId: CLIENT_ID })).sub, 'user-1');
    // A key outside the set still fails, as do claim checks after the signature.
    const stranger = (await generateKeyPair('RS256')).privateKey;
    await rejectsWithCode(validator.validate(await unkeyed(claims(), stranger), oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
    await rejectsWithCode(
      validator.validate(await unkeyed(claims({ aud: 'someone-else' }), otherPrivateKey), oidcAuthority(), { clientId: CLIENT_ID }),
      'invalid_id_token',
    );
  });

  test('a wrong iss is invalid_id_token', async () => {
    const { validator } = setup();
    const token = await sign(claims({ iss: 'https://evil.example.com/tenant' }));
    await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
  });

  test('a {tenantid} issuer is filled from tid', async () => {
    const { validator } = setup();
    const token = await sign(claims({ iss: `https://login.microsoftonline.com/${TENANT_ID}/v2.0`, tid: TENANT_ID }));
    const payload = await validator.validate(token, entraAuthority(), { clientId: CLIENT_ID });
    assert.equal(payload.tid, TENANT_ID);
  });

  test('a {tenantid} issuer with a tid naming another tenant is invalid_id_token', async () => {
    const { validator } = setup();
    const token = await sign(claims({ iss: `https://login.microsoftonline.com/${TENANT_ID}/v2.0`, tid: '00000000-0000-0000-0000-000000000001' }));
    await rejectsWithCode(validator.validate(token, entraAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
  });

  test('a {tenantid} issuer without tid is invalid_id_token', async () => {
    const { validator } = setup();
    const token = await sign(claims({ iss: `https://login.microsoftonline.com/${TENANT_ID}/v2.0` }));
    await rejectsWithCode(validator.validate(token, entraAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
  });

  test('a wrong aud is invalid_id_token', async () => {
    const { validator } = setup();
    const token = await sign(claims({ aud: 'another-client' }));
    await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
  });

  test('an azp naming another party is invalid_id_token', async () => {
    const { validator } = setup();
    const token = await sign(claims({ aud: [CLIENT_ID, 'api'], azp: 'another-client' }));
    const err = await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
    assert.match(err.message, /azp/);
  });

  test('several audiences without azp is invalid_id_token', async () => {
    const { validator } = setup();
    const token = await sign(claims({ aud: [CLIENT_ID, 'api'] }));
    const err = await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
    assert.match(err.message, /azp/);
  });

  test('several audiences with azp = client id are accepted', async () => {
    const { validator } = setup();
    const token = await sign(claims({ aud: [CLIENT_ID, 'api'], azp: CLIENT_ID }));
    await validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID });
  });

  test('expired beyond the clock skew is invalid_id_token; within it is accepted', async () => {
    const { validator } = setup();
    const within = await sign(claims({ iat: NOW - 7200, exp: NOW - DEFAULT_CLOCK_SKEW_S + 1 }));
    await validator.validate(within, oidcAuthority(), { clientId: CLIENT_ID });
    const beyond = await sign(claims({ iat: NOW - 7200, exp: NOW - DEFAULT_CLOCK_SKEW_S - 1 }));
    const err = await rejectsWithCode(validator.validate(beyond, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
    assert.match(err.message, /exp/);
  });

  test('clockSkewSeconds replaces the default skew', async () => {
    const { validator } = setup();
    const token = await sign(claims({ iat: NOW - 7200, exp: NOW - 10 }));
    await validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID, clockSkewSeconds: 60 });
    await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID, clockSkewSeconds: 5 }), 'invalid_id_token');
  });

  test('a token that turns expired as the frozen clock moves', async () => {
    const { validator } = setup();
    const token = await sign(claims({ exp: NOW + 60 }));
    await validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID, clockSkewSeconds: 0 });
    mock.timers.tick(61_000);
    await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID, clockSkewSeconds: 0 }), 'invalid_id_token');
  });

  test('iat in the future beyond the skew is invalid_id_token; within it is accepted', async () => {
    const { validator } = setup();
    await validator.validate(await sign(claims({ iat: NOW + DEFAULT_CLOCK_SKEW_S - 1 })), oidcAuthority(), { clientId: CLIENT_ID });
    const err = await rejectsWithCode(
      validator.validate(await sign(claims({ iat: NOW + DEFAULT_CLOCK_SKEW_S + 60 })), oidcAuthority(), { clientId: CLIENT_ID }),
      'invalid_id_token',
    );
    assert.match(err.message, /future|iat/);
  });

  test('nbf in the future beyond the skew is invalid_id_token', async () => {
    const { validator } = setup();
    await rejectsWithCode(validator.validate(await sign(claims({ nbf: NOW + 3000 })), oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
  });

  test('a missing nonce is invalid_id_token when one was sent', async () => {
    const { validator } = setup();
    const err = await rejectsWithCode(
      validator.validate(await sign(claims({ nonce: undefined })), oidcAuthority(), { clientId: CLIENT_ID, nonce: 'n-1' }),
      'invalid_id_token',
    );
    assert.match(err.message, /no nonce/);
  });

  test('a different nonce is invalid_id_token', async () => {
    const { validator } = setup();
    const err = await rejectsWithCode(
      validator.validate(await sign(claims({ nonce: 'n-2' })), oidcAuthority(), { clientId: CLIENT_ID, nonce: 'n-1' }),
      'invalid_id_token',
    );
    assert.match(err.message, /nonce does not match/);
  });

  test('no nonce expected: a token without nonce is fine', async () => {
    const { validator } = setup();
    await validator.validate(await sign(claims({ nonce: undefined })), oidcAuthority(), { clientId: CLIENT_ID });
  });

  test('max_age: a recent auth_time passes, an old one or none fails', async () => {
    const { validator } = setup();
    const expect = { clientId: CLIENT_ID, maxAge: 600 };
    await validator.validate(await sign(claims({ auth_time: NOW - 100 })), oidcAuthority(), expect);
    await validator.validate(await sign(claims({ auth_time: NOW - 600 - DEFAULT_CLOCK_SKEW_S })), oidcAuthority(), expect);
    const old = await rejectsWithCode(
      validator.validate(await sign(claims({ auth_time: NOW - 600 - DEFAULT_CLOCK_SKEW_S - 1 })), oidcAuthority(), expect),
      'invalid_id_token',
    );
    assert.match(old.message, /max_age/);
    const none = await rejectsWithCode(validator.validate(await sign(claims()), oidcAuthority(), expect), 'invalid_id_token');
    assert.match(none.message, /auth_time/);
  });

  for (const claim of ['sub', 'iat', 'exp', 'iss', 'aud']) {
    test(`a token without ${claim} is invalid_id_token`, async () => {
      const { validator } = setup();
      await rejectsWithCode(validator.validate(await sign(claims({ [claim]: undefined })), oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
    });
  }

  test('something that is not a JWT is invalid_id_token', async () => {
    const { fake, validator } = setup();
    for (const token of ['', 'abc', 'a.b.c', 'x.y']) {
      await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
    }
    assert.equal(fake.count(JWKS_URI), 0);
  });

  test('an authority without jwks_uri is invalid_id_token', async () => {
    const { validator } = setup();
    const authority = new Authority(OIDC_ISSUER, 'OIDC', 'idp.example.com', 'tenant', { ...metadata(OIDC_ISSUER), jwks_uri: undefined }, []);
    await rejectsWithCode(validator.validate(await sign(claims()), authority, { clientId: CLIENT_ID }), 'invalid_id_token');
  });

  test('a JWKS that is not a key set is discovery_failed, and not cached: the next validation asks again', async () => {
    const { fake, validator } = setup(jsonResponse({ keys: 'nope' }), jsonResponse({ keys: [publicJwk] }));
    const token = await sign(claims());
    await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID }), 'discovery_failed');
    assert.equal((await validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID })).sub, 'user-1');
    assert.equal(fake.count(JWKS_URI), 2);
  });

  test('a JWKS endpoint failing is discovery_failed', async () => {
    const { validator } = setup(textResponse('down', 500));
    await rejectsWithCode(validator.validate(await sign(claims()), oidcAuthority(), { clientId: CLIENT_ID }), 'discovery_failed');
  });

  test('error messages never contain the token', async () => {
    const { validator } = setup();
    const token = await sign(claims({ aud: 'another-client' }));
    const err = await rejectsWithCode(validator.validate(token, oidcAuthority(), { clientId: CLIENT_ID }), 'invalid_id_token');
    assert.ok(!err.message.includes(token.split('.')[1]));
    assert.ok(!err.message.includes(token.split('.')[2]));
  });
});

describe('checkIdTokenClaims (frozen clock)', () => {
  const NOW_MS = Date.UTC(2025, 3, 1, 10, 0, 0);
  const NOW = NOW_MS / 1000;
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: NOW_MS }));
  afterEach(() => mock.timers.reset());

  test('a missing iat is invalid_id_token', () => {
    throwsWithCode(() => checkIdTokenClaims({ aud: 'c' }, { clientId: 'c' }), 'invalid_id_token');
  });

  test('a single audience without azp is fine', () => {
    checkIdTokenClaims({ iat: NOW, sub: 'u', aud: 'c' }, { clientId: 'c' });
    checkIdTokenClaims({ iat: NOW, sub: 'u', aud: ['c'] }, { clientId: 'c' });
  });

  test('an azp equal to the client id is fine even with one audience', () => {
    checkIdTokenClaims({ iat: NOW, sub: 'u', aud: 'c', azp: 'c' }, { clientId: 'c' });
  });

  test('a sub that is not a non-empty string is invalid_id_token (found by a property test)', () => {
    for (const sub of [{}, 7, '', null, ['u']]) {
      throwsWithCode(() => checkIdTokenClaims({ iat: NOW, sub, aud: 'c' } as never, { clientId: 'c' }), 'invalid_id_token');
    }
  });
});
