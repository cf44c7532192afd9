/**
 * A hostile or broken identity provider, against the real one: each case alters one thing of a
 * real sign-in or refresh (the ID token, re-signed or not; the token response; the authorization
 * response) and proves three things: the library refuses it with a typed error naming what
 * failed, the token cache is byte for byte what it was, and the next honest request is served.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JWTPayload } from 'jose';
import { type AuthError, isInteractionRequired, ServerError } from '../../src/core/errors.js';
import { SerializableTokenCache } from '../../src/core/cache/serializable-token-cache.js';
import { parseAuthorizationResponse } from '../../src/core/grants/authorization-code.js';
import { PublicClientApplication } from '../../src/node/applications.js';
import { completeAuthorization, CookieJar } from '../idp/headless-login.js';
import { forgeIdToken, type Idp, PUBLIC_CLIENT_ID, type Signing, startIdp, type TokenTamper } from '../idp/server.js';
import { rejectsWithCode } from '../unit/core/fakes.js';
import { tokenRequestCount } from './fixture.js';

const READ = ['api://demo/read'];
/** Never requested: completeAuthorization stops at the redirect that leaves the IdP. */
const REDIRECT_URI = 'http://127.0.0.1:9/';
const now = () => Math.floor(Date.now() / 1000);

/** A hook that replaces the response's ID token with a forged one. */
function forgedIdToken(signing: Signing, edit?: (claims: JWTPayload) => JWTPayload): TokenTamper {
  return async ({ status, body }) => ({ status, body: { ...body, id_token: await forgeIdToken(String(body.id_token), signing, edit) } });
}

/** A hook that edits the token response's JSON. */
function editedBody(edit: (body: Record<string, unknown>) => Record<string, unknown>, status?: number): TokenTamper {
  return ({ status: original, body }) => ({ status: status ?? original, body: edit({ ...body }) });
}

interface Attack {
  name: string;
  code: AuthError['code'];
  /** What the error message must name. */
  reason: RegExp;
  /** Rewrites the next token response. */
  tamper?: TokenTamper;
  /** Alters the authorization response before the app sees it. */
  alterRedirect?: (params: Record<string, string>) => Record<string, string>;
  /** More checks of the error. */
  check?: (err: AuthError) => void;
}

const ATTACKS: Attack[] = [
  { name: 'an ID token signed with another key under the IdP kid (bad signature)', code: 'invalid_id_token', reason: /SIGNATURE_VERIFICATION_FAILED/, tamper: forgedIdToken('foreign-key') },
  { name: 'an unsigned ID token (alg: none)', code: 'invalid_id_token', reason: /ALG_NOT_ALLOWED/, tamper: forgedIdToken('none') },
  { name: 'an ID token HMAC-signed with the IdP public key (HS256 confusion)', code: 'invalid_id_token', reason: /ALG_NOT_ALLOWED/, tamper: forgedIdToken('hs256-public-key') },
  { name: 'an ID token under a kid the IdP never published', code: 'invalid_id_token', reason: /NO_MATCHING_KEY/, tamper: forgedIdToken('unknown-kid') },
  { name: 'an ID token from another issuer', code: 'invalid_id_token', reason: /"iss"/, tamper: forgedIdToken('idp', (c) => ({ ...c, iss: 'http://127.0.0.1:1/evil/v2.0' })) },
  { name: 'an ID token for another audience', code: 'invalid_id_token', reason: /"aud"/, tamper: forgedIdToken('idp', (c) => ({ ...c, aud: 'another-client' })) },
  { name: 'an ID token with several audiences and no azp', code: 'invalid_id_token', reason: /several audiences and no azp/, tamper: forgedIdToken('idp', (c) => ({ ...c, aud: [PUBLIC_CLIENT_ID, 'another-client'], azp: undefined })) },
  { name: 'an ID token with several audiences and another azp', code: 'invalid_id_token', reason: /another party \(azp\)/, tamper: forgedIdToken('idp', (c) => ({ ...c, aud: [PUBLIC_CLIENT_ID, 'another-client'], azp: 'another-client' })) },
  { name: 'an expired ID token', code: 'invalid_id_token', reason: /expired \("exp"/, tamper: forgedIdToken('idp', (c) => ({ ...c, iat: now() - 7200, exp: now() - 3600 })) },
  { name: 'an ID token issued an hour in the future (beyond the clock skew)', code: 'invalid_id_token', reason: /issued in the future/, tamper: forgedIdToken('idp', (c) => ({ ...c, iat: now() + 3600, exp: now() + 7200 })) },
  { name: 'an ID token without the nonce', code: 'invalid_id_token', reason: /no nonce/, tamper: forgedIdToken('idp', (c) => ({ ...c, nonce: undefined })) },
  { name: 'an ID token with another nonce', code: 'invalid_id_token', reason: /nonce does not match/, tamper: forgedIdToken('idp', (c) => ({ ...c, nonce: 'replayed-nonce' })) },
  {
    name: 'an OAuth error with a description',
    code: 'server_error',
    reason: /^invalid_grant: AADSTS70008/,
    tamper: editedBody(() => ({ error: 'invalid_grant', error_description: 'AADSTS70008: the code has expired' }), 400),
    check: (err) => {
      assert.ok(err instanceof ServerError);
      assert.equal(err.error, 'invalid_grant');
      assert.equal(err.errorDescription, 'AADSTS70008: the code has expired');
      assert.equal(err.status, 400);
    },
  },
  {
    name: 'an OAuth error without a description',
    code: 'server_error',
    reason: /^invalid_request$/,
    tamper: editedBody(() => ({ error: 'invalid_request' }), 400),
    check: (err) => {
      assert.ok(err instanceof ServerError);
      assert.equal(err.error, 'invalid_request');
      assert.equal(err.errorDescription, undefined);
    },
  },
  // A 5xx throttles its request (MSAL for Python's 5 s); the next sign-in redeems another code, so it is another request.
  { name: 'an HTTP 500 without an OAuth body', code: 'throttled', reason: /HTTP 500; the server asked to wait/, tamper: () => ({ status: 500, body: '<html>Internal Server Error</html>' }) },
  {
    name: 'a token response without access_token',
    code: 'invalid_response',
    reason: /no access_token/,
    tamper: editedBody(({ access_token: _dropped, ...rest }) => rest),
  },
  {
    name: 'a token response whose expires_in is not a number',
    code: 'invalid_response',
    reason: /expires_in is not a number/,
    tamper: editedBody((body) => ({ ...body, expires_in: 'one hour' })),
  },
  { name: 'a client_info that is not base64url JSON', code: 'invalid_response', reason: /client_info/, tamper: editedBody((body) => ({ ...body, client_info: '%%not-base64%%' })) },
  { name: 'an authorization response with another state', code: 'state_mismatch', reason: /state does not match/, alterRedirect: (p) => ({ ...p, state: 'forged-state' }) },
  { name: 'an authorization response without state', code: 'state_mismatch', reason: /no state/, alterRedirect: ({ state: _dropped, ...rest }) => rest },
  { name: 'an authorization response from another issuer (RFC 9207 iss)', code: 'issuer_mismatch', reason: /another issuer/, alterRedirect: (p) => ({ ...p, iss: 'http://127.0.0.1:1/evil/v2.0' }) },
  { name: 'an authorization response without the iss its server announces (RFC 9207)', code: 'issuer_mismatch', reason: /lacks the iss/, alterRedirect: ({ iss: _dropped, ...rest }) => rest },
];

describe('tampered responses from the real identity provider', () => {
  let idp: Idp;
  const jar = new CookieJar();
  before(async () => {
    idp = await startIdp();
  });
  after(() => idp.close());

  /** A fresh app whose cache already holds Alice's tokens, so there is something to protect. */
  async function signedInApp() {
    const cache = new SerializableTokenCache();
    const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: idp.urls.entraAuthority(), allowInsecureLoopbackAuthority: true, tokenCache: cache });
    await signIn(app);
    return { app, cache };
  }

  /** One authorization-code sign-in through the IdP's pages; `alter` changes the redirect's query. */
  async function signIn(app: PublicClientApplication, alter?: (params: Record<string, string>) => Record<string, string>) {
    const flow = await app.initiateAuthCodeFlow(READ, { redirectUri: REDIRECT_URI });
    const redirect = await completeAuthorization(flow.authUri, { account: 'alice', jar });
    const params = parseAuthorizationResponse(redirect.search);
    return app.acquireTokenByAuthCodeFlow(flow, alter ? alter(params) : params);
  }

  for (const attack of ATTACKS) {
    it(`refuses ${attack.name}: ${attack.code}, cache unchanged, next sign-in served`, async () => {
      const { app, cache } = await signedInApp();
      const before = cache.serialize();
      const tokenRequests = tokenRequestCount(idp);
      if (attack.tamper) idp.tamperNextTokenResponse(attack.tamper);

      const err = await rejectsWithCode(signIn(app, attack.alterRedirect), attack.code);
      assert.match(err.message, attack.reason, 'the error names what failed');
      attack.check?.(err);
      assert.equal(cache.serialize(), before, 'the token cache is unchanged');
      if (attack.tamper) assert.equal(idp.pendingTamperCount, 0, 'the tampered response was the one refused');
      else assert.equal(tokenRequestCount(idp), tokenRequests, 'a refused authorization response is never redeemed');

      assert.deepEqual(idp.errors.filter((e) => e.event === 'tamper_error'), [], 'the tampering layer itself worked');

      const next = await signIn(app);
      assert.equal(next.tokenSource, 'identity_provider');
      assert.equal(next.idTokenClaims?.preferred_username, 'alice@example.com');
      const [account] = await app.getAccounts();
      assert.equal((await app.acquireTokenSilent(READ, account))?.tokenSource, 'cache');
    });
  }

  it('an unknown kid makes the library fetch the JWKS once more, not more', async () => {
    const { app } = await signedInApp();
    const jwksFetches = () => idp.requests.filter((entry) => entry.method === 'GET' && entry.path.endsWith('/discovery/v2.0/keys')).length;
    const fetched = jwksFetches();
    idp.tamperNextTokenResponse(forgedIdToken('unknown-kid'));
    await rejectsWithCode(signIn(app), 'invalid_id_token');
    assert.equal(jwksFetches(), fetched + 1);
    idp.tamperNextTokenResponse(forgedIdToken('unknown-kid'));
    await rejectsWithCode(signIn(app), 'invalid_id_token');
    assert.equal(jwksFetches(), fetched + 1, 'within the cool-down a forged kid cannot make us hammer the IdP');
  });

  it('an OAuth error from the authorization endpoint itself (consent declined) is a ServerError, cache unchanged', async () => {
    const { app, cache } = await signedInApp();
    const before = cache.serialize();
    const flow = await app.initiateAuthCodeFlow(['api://downstream/read'], { redirectUri: REDIRECT_URI, prompt: 'consent' });
    const redirect = await completeAuthorization(flow.authUri, { account: 'alice', jar, consent: false });
    const err = await rejectsWithCode(app.acquireTokenByAuthCodeFlow(flow, parseAuthorizationResponse(redirect.search)), 'server_error');
    assert.equal((err as ServerError).error, 'access_denied');
    assert.equal(cache.serialize(), before);
    assert.equal((await signIn(app)).tokenSource, 'identity_provider');
  });
});

describe('tampered refresh responses from the real identity provider', () => {
  // Rotation off: the IdP answered (and, with rotation, would have replaced) the refresh token
  // whose response was tampered with, so the cached one must stay redeemable for the next request.
  let idp: Idp;
  before(async () => {
    idp = await startIdp({ rotateRefreshToken: false });
  });
  after(() => idp.close());

  /** Bob signed in through the real login page, his tokens in a cache of their own. */
  async function signedInBob() {
    const cache = new SerializableTokenCache();
    const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: idp.urls.entraAuthority(), allowInsecureLoopbackAuthority: true, tokenCache: cache });
    const flow = await app.initiateAuthCodeFlow(READ, { redirectUri: REDIRECT_URI });
    const redirect = await completeAuthorization(flow.authUri, { account: 'bob', jar: new CookieJar() });
    await app.acquireTokenByAuthCodeFlow(flow, parseAuthorizationResponse(redirect.search));
    const [account] = await app.getAccounts();
    return { cache, app, account: account! };
  }

  const REFRESH_ATTACKS: Pick<Attack, 'name' | 'code' | 'tamper'>[] = [
    { name: 'a forged ID token (another issuer, re-signed by the IdP key)', code: 'invalid_id_token', tamper: forgedIdToken('idp', (c) => ({ ...c, iss: 'http://127.0.0.1:1/evil/v2.0' })) },
    { name: 'an ID token under an unknown kid', code: 'invalid_id_token', tamper: forgedIdToken('unknown-kid') },
    { name: 'an expires_in that is not a number', code: 'invalid_response', tamper: editedBody((body) => ({ ...body, expires_in: 'soon' })) },
    { name: 'no access_token', code: 'invalid_response', tamper: editedBody(({ access_token: _dropped, ...rest }) => rest) },
    {
      name: 'an OAuth error about the request, not the token (invalid_grant, AADSTS50076)',
      code: 'server_error',
      tamper: editedBody(() => ({ error: 'invalid_grant', error_description: 'AADSTS50076: multi-factor authentication required', error_codes: [50076] }), 400),
    },
  ];

  for (const attack of REFRESH_ATTACKS) {
    it(`a silent refresh answered with ${attack.name}: ${attack.code}, cache unchanged, next refresh served`, async () => {
      const { cache, app, account } = await signedInBob();
      const before = cache.serialize();

      idp.tamperNextTokenResponse(attack.tamper!);
      await rejectsWithCode(app.acquireTokenSilentWithError(READ, account, { forceRefresh: true }), attack.code);
      assert.equal(idp.pendingTamperCount, 0);
      assert.equal(cache.serialize(), before, 'the token cache, refresh token included, is unchanged');

      const next = await app.acquireTokenSilent(READ, account, { forceRefresh: true });
      assert.equal(next?.tokenSource, 'identity_provider');
      assert.notEqual(cache.serialize(), before);
    });
  }

  it('a silent refresh answered with a dead refresh token (invalid_grant, AADSTS700082): only that refresh token leaves the cache', async () => {
    const { cache, app, account } = await signedInBob();
    const before = JSON.parse(cache.serialize());

    idp.tamperNextTokenResponse(editedBody(() => ({ error: 'invalid_grant', error_description: 'AADSTS700082: expired', error_codes: [700082] }), 400));
    const err = await rejectsWithCode(app.acquireTokenSilentWithError(READ, account, { forceRefresh: true }), 'server_error');
    assert.ok(isInteractionRequired(err));
    const after = JSON.parse(cache.serialize());
    assert.deepEqual(after.RefreshToken, {}, 'the refused refresh token is gone: it would be refused on every silent call');
    assert.deepEqual({ ...after, RefreshToken: undefined }, { ...before, RefreshToken: undefined }, 'everything else is kept');
    assert.equal((await app.acquireTokenSilent(READ, account))?.tokenSource, 'cache', 'the valid access token is still served');
    assert.deepEqual((await app.getAccounts()).map((a) => a.homeAccountId), [account!.homeAccountId], 'the account stays listed');
  });
});
