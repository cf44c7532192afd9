// Proves the test IdP with plain fetch: both faces' discovery, every grant the project uses, the
// Entra additions, and the headless browser. No code from src/ is involved.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, importPKCS8, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import {
  ACCOUNTS,
  CLIENT_ASSERTION_TYPE,
  CONFIDENTIAL_CERT_CLIENT_ID,
  CONFIDENTIAL_CLIENT_SECRET,
  CONFIDENTIAL_SECRET_CLIENT_ID,
  DEMO_API,
  DEVICE_CODE_GRANT_TYPE,
  DOWNSTREAM_API,
  JWT_BEARER_GRANT_TYPE,
  PUBLIC_CLIENT_ID,
  startIdp,
  TENANT_DOMAIN,
  TENANT_ID,
  type Idp,
} from './server.js';
import { completeAuthorization, completeDeviceAuthorization, CookieJar, parseHtmlPage } from './headless-login.js';

type Json = Record<string, any>;

interface Answer {
  status: number;
  body: Json;
}

async function getJson(url: string): Promise<Answer> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  return { status: response.status, body: await response.json() as Json };
}

async function postForm(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { accept: 'application/json', ...headers },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: await response.json() as Json };
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function decodeClientInfo(value: string): Json {
  return JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Json;
}

const REDIRECT_URI = 'http://127.0.0.1:49152/callback';
const USER_SCOPE = `${DEMO_API}/read openid profile offline_access`;

describe('test IdP', () => {
  let idp: Idp;
  let entraDiscovery: Json;
  let oidcDiscovery: Json;
  let jwks: JSONWebKeySet;

  before(async () => {
    idp = await startIdp();
    entraDiscovery = (await getJson(`${idp.urls.entraAuthority()}/v2.0/.well-known/openid-configuration`)).body;
    oidcDiscovery = (await getJson(`${idp.urls.oidcIssuer}/.well-known/openid-configuration`)).body;
    jwks = (await getJson(entraDiscovery.jwks_uri as string)).body as JSONWebKeySet;
  });

  after(async () => {
    await idp.close();
  });

  /** Runs the authorization code flow with PKCE through the headless browser. */
  async function authorizationCodeTokens(authority: string, discovery: Json, scope = USER_SCOPE, account: 'alice' | 'bob' = 'alice'): Promise<Answer> {
    const { verifier, challenge } = pkce();
    const state = randomUUID();
    const query = new URLSearchParams({
      client_id: PUBLIC_CLIENT_ID,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      nonce: randomUUID(),
      client_info: '1',
    });
    const authorizationEndpoint = discovery.authorization_endpoint as string;
    assert.ok(authorizationEndpoint.startsWith(authority));
    const redirect = await completeAuthorization(`${authorizationEndpoint}?${query}`, { account });
    assert.equal(`${redirect.origin}${redirect.pathname}`, REDIRECT_URI);
    assert.equal(redirect.searchParams.get('state'), state);
    const code = redirect.searchParams.get('code');
    assert.ok(code, `no code in ${redirect.href}`);
    return postForm(discovery.token_endpoint as string, {
      grant_type: 'authorization_code',
      client_id: PUBLIC_CLIENT_ID,
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      scope,
      client_info: '1',
    });
  }

  describe('discovery', () => {
    it('serves the generic face under /oidc', () => {
      assert.equal(oidcDiscovery.issuer, `${idp.urls.origin}/oidc`);
      assert.equal(oidcDiscovery.authorization_endpoint, `${idp.urls.origin}/oidc/auth`);
      assert.equal(oidcDiscovery.token_endpoint, `${idp.urls.origin}/oidc/token`);
      assert.equal(oidcDiscovery.device_authorization_endpoint, `${idp.urls.origin}/oidc/device/auth`);
      assert.ok(oidcDiscovery.introspection_endpoint);
      assert.ok(oidcDiscovery.revocation_endpoint);
    });

    it('serves the Entra face for the tenant id and its domain with the tenant issuer', async () => {
      for (const tenant of [TENANT_ID, TENANT_DOMAIN]) {
        const { status, body } = await getJson(`${idp.urls.entraAuthority(tenant)}/v2.0/.well-known/openid-configuration`);
        assert.equal(status, 200);
        assert.equal(body.issuer, `${idp.urls.origin}/${TENANT_ID}/v2.0`);
        assert.equal(body.authorization_endpoint, `${idp.urls.origin}/${tenant}/oauth2/v2.0/authorize`);
        assert.equal(body.token_endpoint, `${idp.urls.origin}/${tenant}/oauth2/v2.0/token`);
        assert.equal(body.device_authorization_endpoint, `${idp.urls.origin}/${tenant}/oauth2/v2.0/devicecode`);
        assert.equal(body.jwks_uri, `${idp.urls.origin}/${tenant}/discovery/v2.0/keys`);
      }
    });

    it('gives the multi-tenant authorities the {tenantid} issuer placeholder', async () => {
      for (const tenant of ['common', 'organizations', 'consumers']) {
        const { status, body } = await getJson(`${idp.urls.entraAuthority(tenant)}/v2.0/.well-known/openid-configuration`);
        assert.equal(status, 200);
        assert.equal(body.issuer, `${idp.urls.origin}/{tenantid}/v2.0`);
        assert.equal(body.token_endpoint, `${idp.urls.origin}/${tenant}/oauth2/v2.0/token`);
      }
    });

    it('answers an unknown tenant with invalid_tenant', async () => {
      const { status, body } = await getJson(`${idp.urls.origin}/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration`);
      assert.equal(status, 400);
      assert.equal(body.error, 'invalid_tenant');
    });

    it('serves Entra instance discovery', async () => {
      const authorizationEndpoint = `${idp.urls.entraAuthority('organizations')}/oauth2/v2.0/authorize`;
      const { status, body } = await getJson(`${idp.urls.origin}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(authorizationEndpoint)}`);
      assert.equal(status, 200);
      assert.equal(body.tenant_discovery_endpoint, `${idp.urls.origin}/organizations/v2.0/.well-known/openid-configuration`);
      assert.equal(body['api-version'], '1.1');
      const host = `127.0.0.1:${idp.port}`;
      assert.deepEqual(body.metadata, [{ preferred_network: host, preferred_cache: host, aliases: [host] }]);

      const foreign = await getJson(`${idp.urls.origin}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent('https://login.example.net/common/oauth2/v2.0/authorize')}`);
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.error, 'invalid_instance');
    });
  });

  describe('authorization code with PKCE', () => {
    it('issues access, ID and refresh tokens with client_info on the Entra face', async () => {
      const { status, body } = await authorizationCodeTokens(idp.urls.entraAuthority(), entraDiscovery);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.scope, `${DEMO_API}/read`);
      assert.equal(typeof body.refresh_token, 'string');
      assert.deepEqual(decodeClientInfo(body.client_info), { uid: ACCOUNTS.alice.sub, utid: TENANT_ID });

      const keys = createLocalJWKSet(jwks);
      const { payload: idToken } = await jwtVerify(body.id_token, keys, {
        issuer: idp.urls.entraIssuer, audience: PUBLIC_CLIENT_ID,
      });
      assert.equal(idToken.sub, ACCOUNTS.alice.sub);
      assert.equal(idToken.oid, ACCOUNTS.alice.sub);
      assert.equal(idToken.tid, TENANT_ID);
      assert.equal(idToken.preferred_username, 'alice@example.com');
      assert.equal(idToken.name, 'Alice Example');

      const { payload: accessToken, protectedHeader } = await jwtVerify(body.access_token, keys, {
        issuer: idp.urls.entraIssuer, audience: DEMO_API,
      });
      assert.equal(protectedHeader.typ, 'at+jwt');
      assert.equal(accessToken.scope, `${DEMO_API}/read`);
      assert.equal(accessToken.tid, TENANT_ID);
      assert.equal(accessToken.sub, ACCOUNTS.alice.sub);
    });

    it('works through the /common authority and the domain alias', async () => {
      for (const tenant of ['common', TENANT_DOMAIN]) {
        const discovery = (await getJson(`${idp.urls.entraAuthority(tenant)}/v2.0/.well-known/openid-configuration`)).body;
        const { status, body } = await authorizationCodeTokens(idp.urls.entraAuthority(tenant), discovery, USER_SCOPE, 'bob');
        assert.equal(status, 200, JSON.stringify(body));
        assert.equal(decodeJwt(body.id_token).iss, idp.urls.entraIssuer);
        assert.deepEqual(decodeClientInfo(body.client_info), { uid: ACCOUNTS.bob.sub, utid: TENANT_ID });
      }
    });

    it('runs on the generic face without Entra additions', async () => {
      const { status, body } = await authorizationCodeTokens(idp.urls.oidcIssuer, oidcDiscovery);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.client_info, undefined);
      assert.equal(typeof body.refresh_token, 'string');
      const accessToken = decodeJwt(body.access_token);
      assert.equal(accessToken.iss, idp.urls.oidcIssuer);
      assert.equal(accessToken.aud, DEMO_API);
      assert.equal(accessToken.tid, undefined);
    });

    it('serves an OpenID-only request with a userinfo access token', async () => {
      const { status, body } = await authorizationCodeTokens(idp.urls.oidcIssuer, oidcDiscovery, 'openid profile email');
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.refresh_token, undefined);
      const userinfo = await fetch(oidcDiscovery.userinfo_endpoint as string, { headers: { authorization: `Bearer ${body.access_token}` } });
      assert.equal(userinfo.status, 200);
      const claims = await userinfo.json() as Json;
      assert.equal(claims.sub, ACCOUNTS.alice.sub);
      assert.equal(claims.email, 'alice@example.com');
    });

    it('keeps the session in a cookie jar, skips consent already given, and reports a declined one', async () => {
      const jar = new CookieJar();
      const authorize = (scope: string, extra: Record<string, string> = {}) => `${entraDiscovery.authorization_endpoint}?${new URLSearchParams({
        client_id: PUBLIC_CLIENT_ID, response_type: 'code', redirect_uri: REDIRECT_URI, scope,
        code_challenge: pkce().challenge, code_challenge_method: 'S256', state: 's', ...extra,
      })}`;
      const count = (suffix: string) => idp.requests.filter((entry) => entry.method === 'POST' && entry.path.endsWith(suffix)).length;

      const first = await completeAuthorization(authorize(USER_SCOPE), { account: 'alice', jar });
      assert.ok(first.searchParams.get('code'));
      const [logins, consents] = [count('/login'), count('/confirm')];

      const again = await completeAuthorization(authorize(USER_SCOPE), { account: 'alice', jar });
      assert.ok(again.searchParams.get('code'));
      assert.equal(count('/login'), logins, 'the session was reused');
      assert.equal(count('/confirm'), consents, 'no consent page for scopes already granted');

      const picked = await completeAuthorization(authorize(USER_SCOPE, { prompt: 'select_account' }), { account: 'alice', jar });
      assert.ok(picked.searchParams.get('code'));
      assert.equal(count('/login'), logins + 1, 'prompt=select_account shows the sign-in page again');

      const declined = await completeAuthorization(authorize(`openid ${DEMO_API}/write`), { account: 'alice', jar, consent: false });
      assert.equal(declined.searchParams.get('error'), 'access_denied');
    });

    it('rotates refresh tokens and refuses a rotated one', async () => {
      const { body: first } = await authorizationCodeTokens(idp.urls.entraAuthority(), entraDiscovery);
      const refreshed = await postForm(entraDiscovery.token_endpoint as string, {
        grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: first.refresh_token, scope: USER_SCOPE, client_info: '1',
      });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.notEqual(refreshed.body.refresh_token, first.refresh_token);
      assert.equal(refreshed.body.scope, `${DEMO_API}/read`);
      assert.ok(refreshed.body.client_info);
      assert.equal(decodeJwt(refreshed.body.access_token).aud, DEMO_API);

      const replay = await postForm(entraDiscovery.token_endpoint as string, {
        grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: first.refresh_token,
      });
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');
      assert.ok(idp.grantErrors.includes('refresh token already used'), idp.grantErrors.join('\n'));
      // Reuse revoked the whole grant: the rotated refresh token is dead too. (JWT access tokens
      // are not stored, so they stay valid until they expire.)
      const afterReplay = await postForm(entraDiscovery.token_endpoint as string, {
        grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: refreshed.body.refresh_token,
      });
      assert.equal(afterReplay.body.error, 'invalid_grant');
    });
  });

  describe('device authorization', () => {
    it('completes on the Entra face and the polling client gets tokens', async () => {
      const { status, body: device } = await postForm(entraDiscovery.device_authorization_endpoint as string, {
        client_id: PUBLIC_CLIENT_ID, scope: USER_SCOPE,
      });
      assert.equal(status, 200, JSON.stringify(device));
      assert.equal(device.interval, 5);
      assert.match(device.message, /enter the code/);
      const poll = () => postForm(entraDiscovery.token_endpoint as string, {
        grant_type: DEVICE_CODE_GRANT_TYPE, client_id: PUBLIC_CLIENT_ID, device_code: device.device_code,
      });
      const pending = await poll();
      assert.equal(pending.body.error, 'authorization_pending');

      await completeDeviceAuthorization(device.verification_uri as string, device.user_code as string, 'bob');
      // Entra (and msal-node) also use the short grant type name.
      const { status: tokenStatus, body } = await postForm(entraDiscovery.token_endpoint as string, {
        grant_type: 'device_code', client_id: PUBLIC_CLIENT_ID, device_code: device.device_code,
      });
      assert.equal(tokenStatus, 200, JSON.stringify(body));
      assert.equal(decodeJwt(body.access_token).sub, ACCOUNTS.bob.sub);
      assert.equal(body.scope, `${DEMO_API}/read`);
      assert.equal(typeof body.refresh_token, 'string');
      assert.equal(typeof body.id_token, 'string');
      assert.deepEqual(decodeClientInfo(body.client_info), { uid: ACCOUNTS.bob.sub, utid: TENANT_ID });
    });

    it('completes on the generic face from its issuer URL, and an abort is access_denied', async () => {
      const start = () => postForm(oidcDiscovery.device_authorization_endpoint as string, { client_id: PUBLIC_CLIENT_ID, scope: 'openid offline_access' });
      const { body: device } = await start();
      assert.equal(device.interval, undefined, 'oidc-provider sends no interval');
      await completeDeviceAuthorization(idp.urls.oidcIssuer, device.user_code as string, 'alice');
      const tokens = await postForm(oidcDiscovery.token_endpoint as string, {
        grant_type: DEVICE_CODE_GRANT_TYPE, client_id: PUBLIC_CLIENT_ID, device_code: device.device_code,
      });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(typeof tokens.body.refresh_token, 'string');

      const { body: aborted } = await start();
      await completeDeviceAuthorization(aborted.verification_uri as string, aborted.user_code as string, { account: 'alice', abort: true });
      const denied = await postForm(oidcDiscovery.token_endpoint as string, {
        grant_type: DEVICE_CODE_GRANT_TYPE, client_id: PUBLIC_CLIENT_ID, device_code: aborted.device_code,
      });
      assert.equal(denied.body.error, 'access_denied');
    });
  });

  describe('password grant', () => {
    it('issues tokens for the right password', async () => {
      const { status, body } = await postForm(entraDiscovery.token_endpoint as string, {
        grant_type: 'password', client_id: PUBLIC_CLIENT_ID, username: 'alice@example.com', password: ACCOUNTS.alice.password,
        scope: USER_SCOPE, client_info: '1',
      });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.scope, `${DEMO_API}/read`);
      assert.equal(decodeJwt(body.access_token).aud, DEMO_API);
      assert.equal(decodeJwt(body.id_token).preferred_username, 'alice@example.com');
      assert.deepEqual(decodeClientInfo(body.client_info), { uid: ACCOUNTS.alice.sub, utid: TENANT_ID });

      const refreshed = await postForm(entraDiscovery.token_endpoint as string, {
        grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: body.refresh_token,
      });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal(refreshed.body.scope, `${DEMO_API}/read`);
    });

    it('answers a wrong password with invalid_grant', async () => {
      const { status, body } = await postForm(oidcDiscovery.token_endpoint as string, {
        grant_type: 'password', client_id: PUBLIC_CLIENT_ID, username: 'alice', password: 'wrong', scope: 'openid',
      });
      assert.equal(status, 400);
      assert.equal(body.error, 'invalid_grant');
      assert.ok(idp.grantErrors.some((detail) => detail.startsWith('invalid username or password')), idp.grantErrors.join('\n'));
    });
  });

  describe('confidential clients', () => {
    it('client credentials with a secret (post and basic) yield an api://demo token', async () => {
      const post = await postForm(entraDiscovery.token_endpoint as string, {
        grant_type: 'client_credentials', client_id: CONFIDENTIAL_SECRET_CLIENT_ID, client_secret: CONFIDENTIAL_CLIENT_SECRET,
        scope: `${DEMO_API}/.default`,
      });
      assert.equal(post.status, 200, JSON.stringify(post.body));
      const accessToken = decodeJwt(post.body.access_token);
      assert.equal(accessToken.aud, DEMO_API);
      assert.equal(accessToken.sub, CONFIDENTIAL_SECRET_CLIENT_ID);
      assert.equal(post.body.client_info, undefined);

      const basic = Buffer.from(`${CONFIDENTIAL_SECRET_CLIENT_ID}:${CONFIDENTIAL_CLIENT_SECRET}`).toString('base64');
      const viaBasic = await postForm(oidcDiscovery.token_endpoint as string, {
        grant_type: 'client_credentials', scope: `${DEMO_API}/.default`,
      }, { authorization: `Basic ${basic}` });
      assert.equal(viaBasic.status, 200, JSON.stringify(viaBasic.body));
      assert.equal(decodeJwt(viaBasic.body.access_token).aud, DEMO_API);
    });

    it('accepts a private_key_jwt assertion with an x5t header and no kid', async () => {
      const certificate = idp.clientCertificate;
      const key = await importPKCS8(certificate.privateKeyPem, 'RS256');
      const tokenEndpoint = entraDiscovery.token_endpoint as string;
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', x5t: Buffer.from(certificate.thumbprintSha1Hex, 'hex').toString('base64url') })
        .setIssuer(CONFIDENTIAL_CERT_CLIENT_ID).setSubject(CONFIDENTIAL_CERT_CLIENT_ID).setAudience(tokenEndpoint)
        .setJti(randomUUID()).setIssuedAt().setExpirationTime('5m')
        .sign(key);
      const { status, body } = await postForm(tokenEndpoint, {
        grant_type: 'client_credentials', client_id: CONFIDENTIAL_CERT_CLIENT_ID,
        client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, scope: `${DEMO_API}/.default`,
      });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(decodeJwt(body.access_token).aud, DEMO_API);
      assert.match(certificate.certificatePem, /^-----BEGIN CERTIFICATE-----/);
      assert.match(certificate.thumbprintSha256Hex, /^[0-9a-f]{64}$/);

      const replay = await postForm(tokenEndpoint, {
        grant_type: 'client_credentials', client_id: CONFIDENTIAL_CERT_CLIENT_ID,
        client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, scope: `${DEMO_API}/.default`,
      });
      assert.equal(replay.body.error, 'invalid_client');
    });

    it('exchanges alice\'s api://demo token on behalf of her for an api://downstream token', async () => {
      const { body: user } = await postForm(entraDiscovery.token_endpoint as string, {
        grant_type: 'password', client_id: PUBLIC_CLIENT_ID, username: 'alice', password: ACCOUNTS.alice.password,
        scope: `${DEMO_API}/read`,
      });
      const { status, body } = await postForm(entraDiscovery.token_endpoint as string, {
        grant_type: JWT_BEARER_GRANT_TYPE, requested_token_use: 'on_behalf_of', assertion: user.access_token,
        client_id: CONFIDENTIAL_SECRET_CLIENT_ID, client_secret: CONFIDENTIAL_CLIENT_SECRET,
        scope: `${DOWNSTREAM_API}/read openid offline_access`, client_info: '1',
      });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.scope, `${DOWNSTREAM_API}/read`);
      const accessToken = decodeJwt(body.access_token);
      assert.equal(accessToken.aud, DOWNSTREAM_API);
      assert.equal(accessToken.sub, ACCOUNTS.alice.sub);
      assert.equal(accessToken.client_id, CONFIDENTIAL_SECRET_CLIENT_ID);
      assert.equal(typeof body.refresh_token, 'string');
      assert.equal(decodeJwt(body.id_token).aud, CONFIDENTIAL_SECRET_CLIENT_ID);
      assert.deepEqual(decodeClientInfo(body.client_info), { uid: ACCOUNTS.alice.sub, utid: TENANT_ID });

      const downstreamAsAssertion = await postForm(entraDiscovery.token_endpoint as string, {
        grant_type: JWT_BEARER_GRANT_TYPE, requested_token_use: 'on_behalf_of', assertion: body.access_token,
        client_id: CONFIDENTIAL_SECRET_CLIENT_ID, client_secret: CONFIDENTIAL_CLIENT_SECRET, scope: `${DOWNSTREAM_API}/read`,
      });
      assert.equal(downstreamAsAssertion.body.error, 'invalid_grant');
      assert.ok(idp.grantErrors.some((detail) => detail.startsWith('assertion rejected')), idp.grantErrors.join('\n'));
    });
  });

  describe('observability', () => {
    it('introspects tokens and logs requests', async () => {
      const { body } = await postForm(oidcDiscovery.token_endpoint as string, {
        grant_type: 'client_credentials', client_id: CONFIDENTIAL_SECRET_CLIENT_ID, client_secret: CONFIDENTIAL_CLIENT_SECRET,
        scope: `${DEMO_API}/read`,
      });
      const answer = await idp.introspect(body.access_token as string);
      assert.equal(answer.active, true);
      assert.equal(answer.aud, DEMO_API);
      assert.equal(answer.client_id, CONFIDENTIAL_SECRET_CLIENT_ID);

      const { body: user } = await postForm(oidcDiscovery.token_endpoint as string, {
        grant_type: 'password', client_id: PUBLIC_CLIENT_ID, username: 'bob', password: ACCOUNTS.bob.password, scope: 'openid offline_access',
      });
      for (const clientId of [CONFIDENTIAL_SECRET_CLIENT_ID, CONFIDENTIAL_CERT_CLIENT_ID, PUBLIC_CLIENT_ID]) {
        const refreshToken = await idp.introspect(user.refresh_token as string, clientId, 'oidc');
        assert.equal(refreshToken.active, true, clientId);
        assert.equal(refreshToken.sub, ACCOUNTS.bob.sub);
      }
      assert.equal((await idp.introspect(user.access_token as string, PUBLIC_CLIENT_ID)).active, true);
      assert.equal((await idp.introspect('not-a-token')).active, false);

      const tokenRequests = idp.requests.filter((entry) => entry.path === '/oidc/token');
      assert.ok(tokenRequests.length >= 2);
      assert.ok(tokenRequests.every((entry) => entry.method === 'POST' && typeof entry.time === 'number' && entry.status !== undefined));
    });

    it('renders the login page as a real form', async () => {
      const query = new URLSearchParams({
        client_id: PUBLIC_CLIENT_ID, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid',
        code_challenge: pkce().challenge, code_challenge_method: 'S256', login_hint: 'bob@example.com',
      });
      const start = await fetch(`${oidcDiscovery.authorization_endpoint}?${query}`, { redirect: 'manual' });
      const location = start.headers.get('location');
      assert.ok(location);
      const jar = new CookieJar();
      jar.store(new URL(start.url), start.headers.getSetCookie());
      const cookie = jar.header(new URL(location, idp.urls.origin));
      const page = await fetch(new URL(location, idp.urls.origin), { headers: cookie === undefined ? {} : { cookie } });
      const parsed = parseHtmlPage(await page.text());
      assert.equal(parsed.kind, 'login');
      const [form] = parsed.forms;
      assert.equal(form?.method, 'POST');
      assert.deepEqual(form?.fields, [['username', 'bob@example.com'], ['password', '']]);
    });
  });
});

describe('test IdP options', () => {
  it('applies accessTokenTtl, refreshIn and rotateRefreshToken: false', async () => {
    const idp = await startIdp({ accessTokenTtl: 2, refreshIn: 1, rotateRefreshToken: false, devicePollInterval: 1 });
    try {
      const tokenEndpoint = `${idp.urls.entraAuthority()}/oauth2/v2.0/token`;
      const { status, body } = await postForm(tokenEndpoint, {
        grant_type: 'password', client_id: PUBLIC_CLIENT_ID, username: 'bob', password: ACCOUNTS.bob.password, scope: USER_SCOPE,
      });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.expires_in, 2);
      assert.equal(body.refresh_in, 1);
      const accessToken = decodeJwt(body.access_token);
      assert.equal((accessToken.exp ?? 0) - (accessToken.iat ?? 0), 2);
      for (let i = 0; i < 2; i += 1) {
        const refreshed = await postForm(tokenEndpoint, { grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: body.refresh_token });
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
        assert.equal(refreshed.body.refresh_token, body.refresh_token);
      }
      const device = await postForm(`${idp.urls.entraAuthority('organizations')}/oauth2/v2.0/devicecode`, { client_id: PUBLIC_CLIENT_ID, scope: 'openid' });
      assert.equal(device.body.interval, 1);
    } finally {
      await idp.close();
    }
  });
});

describe('test IdP with the generic face at the host root (oidcPath)', () => {
  for (const oidcPath of ['', '/'] as const) {
    it(`serves discovery, the login pages and the device page with issuer <origin>${oidcPath}`, async () => {
      const idp = await startIdp({ oidcPath });
      try {
        const { origin } = idp.urls;
        assert.equal(idp.urls.oidcIssuer, `${origin}${oidcPath}`);
        // One document, at <origin>/.well-known/openid-configuration, for both spellings of the issuer.
        const { status, body: discovery } = await getJson(`${origin}/.well-known/openid-configuration`);
        assert.equal(status, 200, JSON.stringify(discovery));
        assert.equal(discovery.issuer, idp.urls.oidcIssuer);
        assert.equal(discovery.authorization_endpoint, `${origin}/auth`);
        assert.equal(discovery.token_endpoint, `${origin}/token`);
        assert.equal(discovery.device_authorization_endpoint, `${origin}/device/auth`);
        assert.equal(discovery.jwks_uri, `${origin}/jwks`);
        assert.equal(discovery.userinfo_endpoint, `${origin}/me`);
        assert.equal((await fetch(`${origin}/oidc/.well-known/openid-configuration`)).status, 404, 'nothing is left under /oidc');
        // The Entra face's tenant paths are still served beside it.
        const entra = await getJson(`${idp.urls.entraAuthority()}/v2.0/.well-known/openid-configuration`);
        assert.equal(entra.body.issuer, idp.urls.entraIssuer);
        const unknown = await getJson(`${origin}/00000000-0000-4000-8000-000000000000/v2.0/.well-known/openid-configuration`);
        assert.equal(unknown.status, 400);
        assert.equal(unknown.body.error, 'invalid_tenant');

        // Sign-in through the login and consent pages at /interaction/<uid>.
        const { verifier, challenge } = pkce();
        const redirect = await completeAuthorization(`${discovery.authorization_endpoint}?${new URLSearchParams({
          client_id: PUBLIC_CLIENT_ID, response_type: 'code', redirect_uri: REDIRECT_URI, scope: USER_SCOPE,
          code_challenge: challenge, code_challenge_method: 'S256', state: 's', nonce: 'n',
        })}`, { account: 'alice' });
        assert.ok(idp.requests.some((entry) => entry.method === 'POST' && /^\/interaction\/[^/]+\/login$/.test(entry.path)), 'the login form posted at the root');
        const tokens = await postForm(discovery.token_endpoint as string, {
          grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: redirect.searchParams.get('code') ?? '',
          redirect_uri: REDIRECT_URI, code_verifier: verifier,
        });
        assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
        const idToken = decodeJwt(tokens.body.id_token as string);
        assert.equal(idToken.iss, idp.urls.oidcIssuer);
        assert.equal(idToken.tid, undefined);
        assert.equal(decodeJwt(tokens.body.access_token as string).iss, idp.urls.oidcIssuer);
        assert.equal((await idp.introspect(tokens.body.refresh_token as string, PUBLIC_CLIENT_ID, 'oidc')).active, true);

        // The device page at /device, reached from the verification URI and from the issuer.
        for (const page of ['verification_uri', 'issuer'] as const) {
          const { body: device } = await postForm(discovery.device_authorization_endpoint as string, { client_id: PUBLIC_CLIENT_ID, scope: 'openid' });
          assert.equal(device.verification_uri, `${origin}/device`);
          await completeDeviceAuthorization(page === 'issuer' ? idp.urls.oidcIssuer : device.verification_uri as string, device.user_code as string, 'bob');
          const polled = await postForm(discovery.token_endpoint as string, {
            grant_type: DEVICE_CODE_GRANT_TYPE, client_id: PUBLIC_CLIENT_ID, device_code: device.device_code,
          });
          assert.equal(polled.status, 200, `${page}: ${JSON.stringify(polled.body)}`);
          assert.equal(decodeJwt(polled.body.id_token as string).sub, ACCOUNTS.bob.sub);
        }
      } finally {
        await idp.close();
      }
    });
  }

  it('puts oidcTenantClaim into the generic face\'s ID tokens as tid', async () => {
    const tid = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
    const idp = await startIdp({ oidcPath: '', oidcTenantClaim: tid });
    try {
      const { body } = await postForm(`${idp.urls.origin}/token`, {
        grant_type: 'password', client_id: PUBLIC_CLIENT_ID, username: 'alice', password: ACCOUNTS.alice.password, scope: USER_SCOPE,
      });
      assert.equal(typeof body.id_token, 'string', JSON.stringify(body));
      const idToken = decodeJwt(body.id_token as string);
      assert.equal(idToken.iss, idp.urls.origin);
      assert.equal(idToken.tid, tid);
      assert.equal(body.client_info, undefined, 'a tid does not make the face Entra-shaped');
    } finally {
      await idp.close();
    }
  });
});

describe('test IdP: CORS for an extension in a browser', () => {
  const EDITOR_ORIGIN = 'http://127.0.0.1:8443';
  const FOREIGN_ORIGIN = 'http://127.0.0.1:9';

  /** The endpoints a browser-based client reads, from the Entra face's discovery. */
  async function endpoints(idp: Idp) {
    const discovery = `${idp.urls.entraAuthority()}/v2.0/.well-known/openid-configuration`;
    const body = (await getJson(discovery)).body;
    return {
      discovery,
      instanceDiscovery: `${idp.urls.origin}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(body.authorization_endpoint as string)}`,
      jwks: body.jwks_uri as string,
      token: body.token_endpoint as string,
      device: body.device_authorization_endpoint as string,
      userinfo: body.userinfo_endpoint as string,
    };
  }

  /** A browser's preflight before a POST with a JSON-free form body and a custom header. */
  function preflight(url: string, origin: string, method = 'POST', headers = 'content-type') {
    return fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });
  }

  function crossOriginPost(url: string, origin: string, params: Record<string, string>) {
    return fetch(url, { method: 'POST', headers: { origin, accept: 'application/json' }, body: new URLSearchParams(params) });
  }

  describe("'registered-origins': as a provider that serves single-page apps", () => {
    let idp: Idp;
    let urls: Awaited<ReturnType<typeof endpoints>>;
    before(async () => {
      idp = await startIdp({ cors: 'registered-origins' });
      // The editor's callback URL, registered once the editor runs: its origin may read answers.
      idp.allowRedirectUriPrefix(`${EDITOR_ORIGIN}/stable-0/callback`);
      urls = await endpoints(idp);
    });
    after(() => idp.close());

    it('answers preflights of the token, device-authorization and userinfo endpoints', async () => {
      for (const [url, method, headers] of [[urls.token, 'POST', 'content-type'], [urls.device, 'POST', 'content-type'], [urls.userinfo, 'GET', 'authorization']] as const) {
        const response = await preflight(url, EDITOR_ORIGIN, method, headers);
        assert.equal(response.status, 204, url);
        assert.equal(response.headers.get('access-control-allow-origin'), EDITOR_ORIGIN, url);
        assert.match(response.headers.get('access-control-allow-methods') ?? '', new RegExp(method), url);
        assert.equal(response.headers.get('access-control-allow-headers'), headers, url);
      }
    });

    it("lets the editor's origin read the token and device-authorization answers, errors included", async () => {
      const device = await crossOriginPost(urls.device, EDITOR_ORIGIN, { client_id: PUBLIC_CLIENT_ID, scope: 'openid offline_access' });
      assert.equal(device.status, 200);
      assert.equal(device.headers.get('access-control-allow-origin'), EDITOR_ORIGIN);
      assert.ok(((await device.json()) as Json).device_code);
      const token = await crossOriginPost(urls.token, EDITOR_ORIGIN, { grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: 'not-a-refresh-token' });
      assert.equal(token.status, 400);
      assert.equal(token.headers.get('access-control-allow-origin'), EDITOR_ORIGIN);
      assert.equal(((await token.json()) as Json).error, 'invalid_grant');
    });

    it('keeps the answers from an origin the client did not register, and from a confidential client', async () => {
      for (const [origin, clientId] of [[FOREIGN_ORIGIN, PUBLIC_CLIENT_ID], [EDITOR_ORIGIN, CONFIDENTIAL_SECRET_CLIENT_ID]] as const) {
        const device = await crossOriginPost(urls.device, origin, { client_id: clientId, client_secret: CONFIDENTIAL_CLIENT_SECRET, scope: 'openid' });
        assert.equal(device.headers.get('access-control-allow-origin'), null, `${origin} ${clientId}`);
        const token = await crossOriginPost(urls.token, origin, { grant_type: 'refresh_token', client_id: clientId, client_secret: CONFIDENTIAL_CLIENT_SECRET, refresh_token: 'x' });
        assert.equal(token.headers.get('access-control-allow-origin'), null, `${origin} ${clientId}`);
        assert.equal(((await token.json()) as Json).error, 'invalid_request');
      }
    });

    it('opens discovery, instance discovery and the keys to every origin', async () => {
      for (const url of [urls.discovery, urls.instanceDiscovery, urls.jwks]) {
        const response = await fetch(url, { headers: { origin: FOREIGN_ORIGIN } });
        assert.equal(response.status, 200, url);
        assert.equal(response.headers.get('access-control-allow-origin'), FOREIGN_ORIGIN, url);
        const check = await preflight(url, FOREIGN_ORIGIN, 'GET', 'x-client-sku');
        assert.equal(check.status, 204, url);
        assert.equal(check.headers.get('access-control-allow-origin'), FOREIGN_ORIGIN, url);
      }
    });
  });

  describe("'refused': as a provider that does not serve browsers", () => {
    let idp: Idp;
    before(async () => {
      idp = await startIdp({ cors: 'refused' });
      idp.allowRedirectUriPrefix(`${EDITOR_ORIGIN}/stable-0/callback`);
    });
    after(() => idp.close());

    it('sends no CORS header on any answer, preflight or not; requests are still handled', async () => {
      const urls = await endpoints(idp);
      for (const url of [urls.token, urls.device, urls.userinfo, urls.discovery, urls.instanceDiscovery, urls.jwks]) {
        const check = await preflight(url, EDITOR_ORIGIN);
        assert.equal(check.headers.get('access-control-allow-origin'), null, url);
        assert.equal(check.headers.get('access-control-allow-methods'), null, url);
      }
      const device = await crossOriginPost(urls.device, EDITOR_ORIGIN, { client_id: PUBLIC_CLIENT_ID, scope: 'openid' });
      assert.equal(device.status, 200, 'the request arrives and is handled; a browser reads nothing');
      assert.deepEqual([...device.headers.keys()].filter((name) => name.startsWith('access-control-')), []);
      const discovery = await fetch(urls.discovery, { headers: { origin: EDITOR_ORIGIN } });
      assert.deepEqual([...discovery.headers.keys()].filter((name) => name.startsWith('access-control-')), []);
    });
  });

  it("by default ('any-origin') every origin reads every endpoint, as before", async () => {
    const idp = await startIdp();
    try {
      const urls = await endpoints(idp);
      const token = await crossOriginPost(urls.token, FOREIGN_ORIGIN, { grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: 'x' });
      assert.equal(token.headers.get('access-control-allow-origin'), FOREIGN_ORIGIN);
      assert.equal(((await token.json()) as Json).error, 'invalid_grant');
    } finally {
      await idp.close();
    }
  });
});
