/**
 * The account's name from userinfo (src/core/userinfo.ts): the response checks in their order,
 * when a request is made at all (once, at a user's sign-in whose ID token names nobody), and
 * that no failure of it fails a sign-in or shows a token in the log.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { ConfidentialClientApplication, PublicClientApplication } from '../../../src/core/index.js';
import type { DeviceFlow } from '../../../src/core/grants/device-code.js';
import { AuthError, ServerError } from '../../../src/core/errors.js';
import { HttpPipeline, MAX_RESPONSE_BYTES } from '../../../src/core/http.js';
import { LogContext, type Logger } from '../../../src/core/logger.js';
import { claimsNameAccount, lookUpAccountProfile, processUserinfoResponse, profileFromUserinfo } from '../../../src/core/userinfo.js';
import { FakeFetch, jsonResponse, memoryCache, rejectsWithCode, textResponse } from './fakes.js';

const ISSUER = 'https://sso.example/';
const CLIENT = 'vscode';
const SUB = 'dwho';
const USERINFO = `${ISSUER}oauth2/userinfo`;
const TOKEN = `${ISSUER}oauth2/token`;
const JWKS = `${ISSUER}oauth2/jwks`;
const DISCOVERY = `${ISSUER}.well-known/openid-configuration`;
const ACCESS_TOKEN = 'at-secret-value-1234567890';

function metadata(withUserinfo = true) {
  return {
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}oauth2/authorize`,
    token_endpoint: TOKEN,
    jwks_uri: JWKS,
    ...(withUserinfo ? { userinfo_endpoint: USERINFO } : {}),
  };
}

/** A logger that keeps every line, to search them for secrets. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string) => void lines.push(message);
  return { lines, error: keep, warning: keep, info: keep, verbose: keep, trace: keep };
}

let privateKey: CryptoKey;
let publicJwk: Record<string, unknown>;

before(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
});

function idToken(claims: JWTPayload = {}, audience: string = CLIENT): Promise<string> {
  return new SignJWT({ sub: SUB, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
}

async function tokenResponse(claims: JWTPayload = {}, extra: Record<string, unknown> = {}) {
  return jsonResponse({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-secret', id_token: await idToken(claims), ...extra });
}

/** An issuer whose token endpoint answers `token` and whose userinfo endpoint answers `userinfo`. */
function fakeIssuer(token: Response, userinfo?: Response, options: { withUserinfo?: boolean } = {}): FakeFetch {
  const fake = new FakeFetch().on(DISCOVERY, jsonResponse(metadata(options.withUserinfo ?? true))).on(JWKS, jsonResponse({ keys: [publicJwk] })).on(TOKEN, token);
  if (userinfo) fake.on(USERINFO, userinfo);
  return fake;
}

function publicApp(fake: FakeFetch, logger?: Logger) {
  return new PublicClientApplication({ clientId: CLIENT, oidcAuthority: ISSUER, httpClient: fake.fetch, logger });
}

describe('processUserinfoResponse: checks in order', () => {
  it('returns the claims of a 200 JSON answer about the expected subject', async () => {
    const claims = await processUserinfoResponse(jsonResponse({ sub: SUB, preferred_username: 'dwho', name: 'Doctor Who' }), SUB);
    assert.deepEqual(claims, { sub: SUB, preferred_username: 'dwho', name: 'Doctor Who' });
  });

  it('a 401 is a ServerError with the bearer challenge error (RFC 6750)', async () => {
    const response = textResponse('', 401, { 'www-authenticate': 'Bearer realm="sso", error="invalid_token", error_description="expired"' });
    const err = await processUserinfoResponse(response, SUB).then(() => assert.fail('resolved'), (e: unknown) => e);
    assert.ok(err instanceof ServerError);
    assert.equal(err.error, 'invalid_token');
    assert.equal(err.status, 401);
  });

  it('a 403 without a challenge is insufficient_scope; a malformed challenge still is a refusal', async () => {
    const forbidden = await processUserinfoResponse(textResponse('', 403), SUB).catch((e: unknown) => e);
    assert.ok(forbidden instanceof ServerError && forbidden.error === 'insufficient_scope');
    const malformed = await processUserinfoResponse(textResponse('', 401, { 'www-authenticate': '=,=' }), SUB).catch((e: unknown) => e);
    assert.ok(malformed instanceof ServerError && malformed.error === 'invalid_token');
  });

  it('any other status is invalid_response, before the body is read', async () => {
    const err = await rejectsWithCode(processUserinfoResponse(jsonResponse({ sub: SUB }, 500), SUB), 'invalid_response');
    assert.match(err.message, /HTTP 500/);
  });

  it('a signed or encrypted answer (application/jwt) is not_supported', async () => {
    await rejectsWithCode(processUserinfoResponse(textResponse('e30.e30.', 200, { 'content-type': 'application/jwt; charset=utf-8' }), SUB), 'not_supported');
  });

  for (const [label, body] of [
    ['not JSON', '<html>'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
  ] as const) {
    it(`a body that is ${label} is invalid_response`, async () => {
      await rejectsWithCode(processUserinfoResponse(textResponse(body, 200, { 'content-type': 'application/json' }), SUB), 'invalid_response');
    });
  }

  it('an oversized body is response_too_large', async () => {
    const big = JSON.stringify({ sub: SUB, padding: 'x'.repeat(MAX_RESPONSE_BYTES) });
    await rejectsWithCode(processUserinfoResponse(textResponse(big, 200, { 'content-type': 'application/json' }), SUB), 'response_too_large');
  });

  it('a missing or non-string sub is invalid_response', async () => {
    for (const body of [{ name: 'x' }, { sub: 42 }]) {
      const err = await rejectsWithCode(processUserinfoResponse(jsonResponse(body), SUB), 'invalid_response');
      assert.match(err.message, /sub is missing/);
    }
  });

  it("another subject's answer is invalid_response (OIDC Core 5.3.4)", async () => {
    const err = await rejectsWithCode(processUserinfoResponse(jsonResponse({ sub: 'rtyler', name: 'Rose Tyler' }), SUB), 'invalid_response');
    assert.match(err.message, /5\.3\.4/);
  });
});

describe('which claims name an account, and how userinfo names it', () => {
  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['sub alone', { sub: SUB }, false],
    ['empty strings', { sub: SUB, preferred_username: '', email: '', name: '' }, false],
    ['a non-string name', { sub: SUB, name: 42 }, false],
    ['an empty emails array', { sub: SUB, emails: [] }, false],
    ['preferred_username', { sub: SUB, preferred_username: 'dwho' }, true],
    ['email', { sub: SUB, email: 'dwho@badwolf.org' }, true],
    ['upn', { sub: SUB, upn: 'dwho@badwolf.org' }, true],
    ['name', { sub: SUB, name: 'Doctor Who' }, true],
    ["B2C's emails", { sub: SUB, emails: ['dwho@badwolf.org'] }, true],
  ];
  for (const [label, claims, names] of cases) {
    it(`${label}: ${names ? 'names the account' : 'names nobody'}`, () => assert.equal(claimsNameAccount(claims), names));
  }

  it('username: preferred_username, else upn, else email (as the cache reads ID tokens); name apart', () => {
    assert.deepEqual(profileFromUserinfo({ sub: SUB, preferred_username: 'p', upn: 'u', email: 'e', name: 'n' }), { username: 'p', name: 'n' });
    assert.deepEqual(profileFromUserinfo({ sub: SUB, upn: 'u', email: 'e' }), { username: 'u' });
    assert.deepEqual(profileFromUserinfo({ sub: SUB, email: 'e', preferred_username: 7 }), { username: 'e' });
    assert.deepEqual(profileFromUserinfo({ sub: SUB }), {});
  });
});

describe('lookUpAccountProfile: one request, only when it can help, never a failure', () => {
  const tokens = { access_token: ACCESS_TOKEN, token_type: 'Bearer' };
  const lookup = (fake: FakeFetch, logger?: Logger) => ({ pipeline: new HttpPipeline(fake.fetch, memoryCache()), log: new LogContext(logger) });

  it('sends the access token as a bearer token once and returns the profile', async () => {
    const fake = new FakeFetch().on(USERINFO, jsonResponse({ sub: SUB, preferred_username: 'dwho', name: 'Doctor Who' }));
    assert.deepEqual(await lookUpAccountProfile(USERINFO, tokens, { sub: SUB }, lookup(fake)), { username: 'dwho', name: 'Doctor Who' });
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.requests[0]?.init.method, 'GET');
    assert.equal(fake.requests[0]?.init.headers.authorization, `Bearer ${ACCESS_TOKEN}`);
  });

  it('asks nothing when the ID token names the account, there is no ID token or endpoint, or the token is not a bearer token', async () => {
    const fake = new FakeFetch();
    assert.equal(await lookUpAccountProfile(USERINFO, tokens, { sub: SUB, email: 'dwho@badwolf.org' }, lookup(fake)), undefined);
    assert.equal(await lookUpAccountProfile(USERINFO, tokens, undefined, lookup(fake)), undefined);
    assert.equal(await lookUpAccountProfile(USERINFO, tokens, { name: 'no sub' }, lookup(fake)), undefined);
    assert.equal(await lookUpAccountProfile(undefined, tokens, { sub: SUB }, lookup(fake)), undefined);
    assert.equal(await lookUpAccountProfile(USERINFO, { access_token: ACCESS_TOKEN, token_type: 'pop' }, { sub: SUB }, lookup(fake)), undefined);
    assert.equal(fake.requests.length, 0);
  });

  it('a refusal, a fault, a timeout or another subject gives undefined, logged without the token', async () => {
    const answers: Array<[string, () => Promise<Response> | Response]> = [
      ['401', () => textResponse('', 401, { 'www-authenticate': 'Bearer error="invalid_token"' })],
      ['500', () => jsonResponse({}, 500)],
      ['html', () => textResponse('<html>', 200, { 'content-type': 'text/html' })],
      ['other sub', () => jsonResponse({ sub: 'rtyler', name: 'Rose Tyler' })],
      ['network', () => Promise.reject(new TypeError('fetch failed'))],
      ['timeout', () => Promise.reject(Object.assign(new Error('t'), { name: 'TimeoutError' }))],
    ];
    for (const [label, answer] of answers) {
      const logger = recordingLogger();
      const fake = new FakeFetch().on(USERINFO, () => answer());
      assert.equal(await lookUpAccountProfile(USERINFO, tokens, { sub: SUB }, lookup(fake, logger)), undefined, label);
      assert.equal(fake.requests.length, 1, label);
      assert.ok(logger.lines.some((line) => /gave no name/.test(line)), `${label}: the failure is logged`);
      assert.ok(logger.lines.every((line) => !line.includes(ACCESS_TOKEN)), `${label}: never the token`);
    }
  });
});

describe('the applications: a name for the account at sign-in', () => {
  it('auth code: an ID token with only sub gets its username and name from userinfo, kept in the cache (1 request)', async () => {
    const logger = recordingLogger();
    const fake = fakeIssuer(await tokenResponse(), jsonResponse({ sub: SUB, preferred_username: 'dwho', email: 'dwho@badwolf.org', name: 'Doctor Who' }));
    const app = publicApp(fake, logger);
    const result = await app.acquireTokenByAuthorizationCode('code', ['api://x/read']);
    assert.deepEqual({ username: result.account?.username, name: result.account?.name }, { username: 'dwho', name: 'Doctor Who' });
    assert.equal(fake.count(USERINFO), 1);
    const [account] = await app.getAccounts();
    assert.deepEqual({ username: account?.username, name: account?.name, homeAccountId: account?.homeAccountId }, { username: 'dwho', name: 'Doctor Who', homeAccountId: SUB });
    assert.ok(logger.lines.every((line) => !line.includes(ACCESS_TOKEN) && !line.includes('rt-secret')));
  });

  it('auth code: an ID token that names the account sends no userinfo request', async () => {
    const fake = fakeIssuer(await tokenResponse({ preferred_username: 'dwho@id-token' }), jsonResponse({ sub: SUB, preferred_username: 'other' }));
    const result = await publicApp(fake).acquireTokenByAuthorizationCode('code', []);
    assert.equal(result.account?.username, 'dwho@id-token');
    assert.equal(fake.count(USERINFO), 0);
  });

  it('auth code: a name in the ID token wins; userinfo is not asked for the username alone', async () => {
    const fake = fakeIssuer(await tokenResponse({ name: 'Doctor Who' }), jsonResponse({ sub: SUB, preferred_username: 'dwho' }));
    const result = await publicApp(fake).acquireTokenByAuthorizationCode('code', []);
    assert.deepEqual({ username: result.account?.username, name: result.account?.name }, { username: '', name: 'Doctor Who' });
    assert.equal(fake.count(USERINFO), 0);
  });

  it('auth code: a refused userinfo request leaves the sign-in good and the account named by sub', async () => {
    const fake = fakeIssuer(await tokenResponse(), textResponse('', 401, { 'www-authenticate': 'Bearer error="invalid_token"' }));
    const result = await publicApp(fake).acquireTokenByAuthorizationCode('code', []);
    assert.equal(result.accessToken, ACCESS_TOKEN);
    assert.deepEqual({ username: result.account?.username, name: result.account?.name, homeAccountId: result.account?.homeAccountId }, { username: '', name: undefined, homeAccountId: SUB });
    assert.equal(fake.count(USERINFO), 1);
  });

  it("auth code: another subject's userinfo is ignored", async () => {
    const fake = fakeIssuer(await tokenResponse(), jsonResponse({ sub: 'rtyler', preferred_username: 'rtyler', name: 'Rose Tyler' }));
    const result = await publicApp(fake).acquireTokenByAuthorizationCode('code', []);
    assert.deepEqual({ username: result.account?.username, name: result.account?.name }, { username: '', name: undefined });
  });

  it('auth code: no userinfo_endpoint in discovery, no request', async () => {
    const fake = fakeIssuer(await tokenResponse(), undefined, { withUserinfo: false });
    const result = await publicApp(fake).acquireTokenByAuthorizationCode('code', []);
    assert.equal(result.account?.username, '');
    assert.equal(fake.requests.filter((request) => request.url.includes('userinfo')).length, 0);
  });

  it('device code: the account is named from userinfo too', async () => {
    const fake = fakeIssuer(await tokenResponse(), jsonResponse({ sub: SUB, email: 'dwho@badwolf.org' }));
    const flow: DeviceFlow = {
      userCode: 'U',
      deviceCode: 'D',
      verificationUri: `${ISSUER}device`,
      expiresIn: 600,
      expiresAt: Math.floor(Date.now() / 1000) + 600,
      interval: 0,
      message: 'm',
      scope: ['openid', 'profile', 'offline_access'],
    };
    const result = await publicApp(fake).acquireTokenByDeviceFlow(flow);
    assert.equal(result.account?.username, 'dwho@badwolf.org');
    assert.equal(fake.count(USERINFO), 1);
  });

  it('refresh: no userinfo request, and the account keeps the name it got at sign-in', async () => {
    const fake = fakeIssuer(await tokenResponse(), jsonResponse({ sub: SUB, preferred_username: 'dwho', name: 'Doctor Who' }));
    const app = publicApp(fake);
    await app.acquireTokenByAuthorizationCode('code', []);
    const [account] = await app.getAccounts();
    assert.ok(account);
    const refreshed = await app.acquireTokenSilent([], account, { forceRefresh: true });
    assert.equal(refreshed?.tokenSource, 'identity_provider');
    assert.equal(fake.count(USERINFO), 1, 'only the sign-in asked');
    assert.deepEqual((await app.getAccounts()).map((entry) => [entry.username, entry.name]), [['dwho', 'Doctor Who']]);
  });

  it('password grant, on-behalf-of and client credentials never ask userinfo', async () => {
    const fake = fakeIssuer(await tokenResponse(), jsonResponse({ sub: SUB, preferred_username: 'from-userinfo' }));
    const password = await publicApp(fake).acquireTokenByUsernamePassword('dwho', 'dwho', []);
    assert.equal(password.account?.username, 'dwho');
    const confidential = new ConfidentialClientApplication({ clientId: CLIENT, clientCredential: 'secret', oidcAuthority: ISSUER, httpClient: fake.fetch });
    await confidential.acquireTokenOnBehalfOf('incoming-assertion', ['api://downstream/read']);
    await confidential.acquireTokenForClient(['api://x/.default']);
    assert.equal(fake.count(USERINFO), 0);
  });

  it('an AuthError from the lookup never escapes a sign-in', async () => {
    const fake = fakeIssuer(await tokenResponse(), textResponse('x'.repeat(10), 200, { 'content-type': 'application/jwt' }));
    const result = await publicApp(fake).acquireTokenByAuthorizationCode('code', []);
    assert.ok(!(result instanceof AuthError));
    assert.equal(result.account?.username, '');
  });
});
