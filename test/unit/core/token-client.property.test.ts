/**
 * Property tests of a whole token request as the application sends it: discovery, the token
 * endpoint's answer (status, body, ID token, client_info), the ID token check and the cache write.
 * Whatever the token endpoint answers, the caller gets a result or an AuthError, and after an
 * error the token cache is exactly as it was.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { PublicClientApplication } from '../../../src/core/index.js';
import { SerializableTokenCache } from '../../../src/core/cache/serializable-token-cache.js';
import type { FetchLike } from '../../../src/core/http.js';
import { anyString, b64, bodyText, clientInfoValue, makeTokenSigner, mutatedDocument, runOptions, typedOrValueAsync } from './property.js';

const ISSUER = 'https://idp.example.com/tenant';
const CLIENT_ID = 'client-abc';
const SCOPES = ['api://demo/read'];

const DISCOVERY = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  jwks_uri: `${ISSUER}/jwks`,
};

describe('a token request end to end: properties', () => {
  let signer: Awaited<ReturnType<typeof makeTokenSigner>>;
  before(async () => {
    signer = await makeTokenSigner();
  });
  const idToken = (claims: Record<string, unknown>) => signer.sign(claims);

  test('any token endpoint answer gives a result or an AuthError, and an error leaves the cache unchanged', async () => {
    let answer: { status: number; text: string } = { status: 200, text: '{}' };
    const fetchLike: FetchLike = async (url) => {
      if (url === `${ISSUER}/.well-known/openid-configuration`) return Response.json(DISCOVERY);
      if (url === DISCOVERY.jwks_uri) return Response.json(signer.jwks);
      if (url === DISCOVERY.token_endpoint) return new Response(answer.text, { status: answer.status, headers: { 'content-type': 'application/json' } });
      throw new Error(`no route for ${url}`);
    };
    const cache = new SerializableTokenCache();
    const app = new PublicClientApplication({ clientId: CLIENT_ID, oidcAuthority: ISSUER, httpClient: fetchLike, tokenCache: cache });

    // A cache holding a signed-in account: what a hostile answer must not damage.
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: ISSUER, sub: 'user-1', aud: CLIENT_ID, exp: now + 3600, iat: now, preferred_username: 'alice@example.com' };
    const valid = { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt2', id_token: idToken(claims), scope: SCOPES.join(' '), client_info: b64({ uid: 'u', utid: 't' }) };
    answer = { status: 200, text: JSON.stringify(valid) };
    const first = await app.acquireTokenByRefreshToken('rt', SCOPES);
    assert.equal(first.account?.homeAccountId, 'u.t');
    const snapshot = cache.serialize();

    const idTokens = fc.oneof(
      fc.constant(valid.id_token),
      anyString,
      mutatedDocument(claims).map((mutated) => idToken(mutated)),
    );
    const body = fc.oneof(
      mutatedDocument(valid),
      fc.record({ id_token: idTokens, client_info: clientInfoValue }).map((fields) => ({ ...valid, ...fields })),
      mutatedDocument({ error: 'invalid_grant', error_description: 'expired', error_codes: [70008], suberror: 'bad_token' }),
    );
    const status = fc.oneof(fc.constant(200), fc.constantFrom(400, 401, 429, 500, 503), fc.integer({ min: 200, max: 599 })).filter((s) => ![204, 205, 304].includes(s));

    await fc.assert(
      fc.asyncProperty(status, bodyText(body), async (httpStatus, text) => {
        cache.deserialize(snapshot);
        answer = { status: httpStatus, text };
        const result = await typedOrValueAsync(() => app.acquireTokenByRefreshToken('rt', SCOPES));
        if (result === undefined) {
          assert.equal(cache.serialize(), snapshot, 'a refused answer leaves the cache unchanged');
          return;
        }
        assert.ok(httpStatus >= 200 && httpStatus <= 299);
        assert.ok(typeof result.accessToken === 'string' && result.accessToken.length > 0);
        assert.ok(Number.isFinite(result.expiresOn.getTime()), 'expiresOn is a valid date');
        assert.ok(result.refreshOn === undefined || Number.isFinite(result.refreshOn.getTime()), 'refreshOn is a valid date');
        assert.ok(result.extExpiresOn === undefined || Number.isFinite(result.extExpiresOn.getTime()), 'extExpiresOn is a valid date');
      }),
      runOptions(6749_2),
    );
  });
});
