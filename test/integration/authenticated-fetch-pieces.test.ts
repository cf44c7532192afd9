/**
 * The pieces of the authenticated fetch (issue 15) against the real oidc-provider (DPoP nonces and
 * dynamic registration on) and the test resource server, composed by hand as phase 2 will compose
 * them: 401 → resource metadata → issuer metadata → registration → sign-in with PKCE and `dpop_jkt`
 * → DPoP token request with the nonce retry → DPoP resource requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerNativeClient, type NativeClientRegistration } from '../../src/core/client-registration.js';
import { generatePkce } from '../../src/core/crypto.js';
import { createDpopProof, decideDpopRetry, type DpopKey, DpopNonces, dpopResourceHeaders, generateDpopKey } from '../../src/core/dpop.js';
import { AuthError } from '../../src/core/errors.js';
import { createGlobalFetch } from '../../src/core/http.js';
import {
  type AuthorizationServerMetadata,
  discoverProtectedResource,
  fetchAuthorizationServerMetadata,
  parseResourceChallenges,
} from '../../src/core/resource-metadata.js';
import { completeAuthorization, CookieJar } from '../idp/headless-login.js';
import { type ResourceServer, type ResourceServerOptions, startResourceServer } from '../idp/resource-server.js';
import { type Idp, startIdp } from '../idp/server.js';

const LOOPBACK = { allowInsecureLoopbackHttp: true } as const;
const REDIRECT = 'http://127.0.0.1/callback';
const fetchLike = createGlobalFetch(10_000);

interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
  nonce: string | null;
}

/** POSTs a token request with a fresh DPoP proof (nonce from `nonces`), retrying once on use_dpop_nonce. */
async function dpopTokenRequest(endpoint: string, form: Record<string, string>, key: DpopKey, nonces: DpopNonces): Promise<TokenAnswer & { attempts: number }> {
  let nonce = nonces.get(endpoint);
  for (let attempt = 1; ; attempt += 1) {
    const proof = await createDpopProof(key, { method: 'POST', url: endpoint, ...(nonce === undefined ? {} : { nonce }) });
    const response = await fetch(endpoint, { method: 'POST', headers: { dpop: proof, accept: 'application/json' }, body: new URLSearchParams(form) });
    nonces.remember(endpoint, response.headers);
    const answer = { status: response.status, body: (await response.json()) as Record<string, unknown>, nonce: response.headers.get('dpop-nonce') };
    const decision = decideDpopRetry('token', { status: answer.status, error: answer.body.error as string | undefined, nonce: answer.nonce }, { ...(nonce === undefined ? {} : { sentNonce: nonce }), retried: attempt > 1 });
    if (!decision.retry) return { ...answer, attempts: attempt };
    nonce = decision.nonce;
  }
}

/** A resource GET with a DPoP-bound token, retrying once on use_dpop_nonce as api.fetch will. */
async function dpopResourceGet(url: string, accessToken: string, key: DpopKey, nonces: DpopNonces): Promise<Response> {
  let nonce = nonces.get(url);
  for (let retried = false; ; retried = true) {
    const headers = await dpopResourceHeaders(key, { method: 'GET', url, accessToken, ...(nonce === undefined ? {} : { nonce }) });
    const response = await fetch(url, { headers });
    nonces.remember(url, response.headers);
    const decision = decideDpopRetry('resource', { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), nonce: response.headers.get('dpop-nonce') }, { ...(nonce === undefined ? {} : { sentNonce: nonce }), retried });
    if (!decision.retry) return response;
    await response.body?.cancel();
    nonce = decision.nonce;
  }
}

describe('authenticated fetch pieces against oidc-provider and the resource server', () => {
  let idp: Idp;
  const servers: ResourceServer[] = [];
  const startResource = async (options: Partial<ResourceServerOptions> = {}) => {
    const server = await startResourceServer({ issuer: idp.urls.oidcIssuer, jwksUri: `${idp.urls.oidcIssuer}/jwks`, audience: 'api://demo', ...options });
    servers.push(server);
    return server;
  };
  let resource: ResourceServer;
  let asMetadata: AuthorizationServerMetadata;
  let registration: NativeClientRegistration;
  let key: DpopKey;
  let tokens: Record<string, unknown>;
  const nonces = new DpopNonces();

  before(async () => {
    idp = await startIdp({ registration: true, dpop: { requireNonce: true } });
    resource = await startResource({ scopeByPathPrefix: { '/api/admin': 'api://demo/write' } });
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await idp.close();
  });

  it('finds the issuer from the resource’s 401 and reads its metadata through the OpenID fallback', async () => {
    const response = await fetch(resource.url('/items'));
    assert.equal(response.status, 401);
    const discovery = await discoverProtectedResource(fetchLike, resource.url('/items'), response.headers.get('www-authenticate') ?? '', LOOPBACK);
    assert.equal(discovery.resourceMetadataUrl, resource.metadataUrl);
    assert.equal(discovery.challenge.scope, 'api://demo/read');
    assert.deepEqual(discovery.resourceMetadata.authorization_servers, [idp.urls.oidcIssuer]);
    asMetadata = await fetchAuthorizationServerMetadata(fetchLike, idp.urls.oidcIssuer, LOOPBACK);
    assert.equal(asMetadata.issuer, idp.urls.oidcIssuer);
    assert.ok(asMetadata.registration_endpoint, 'registration is advertised');
    assert.ok(asMetadata.dpop_signing_alg_values_supported?.includes('ES256'));
    // RFC 8414 path insertion, then OpenID with insertion (both 404 here), then OpenID appended.
    const tried = idp.requests.filter((entry) => entry.path.includes('.well-known')).map((entry) => `${entry.path} ${entry.status}`);
    assert.deepEqual(tried.slice(-3), ['/.well-known/oauth-authorization-server/oidc 404', '/.well-known/openid-configuration/oidc 404', '/oidc/.well-known/openid-configuration 200']);
  });

  it('registers a public native client at oidc-provider', async () => {
    registration = await registerNativeClient(fetchLike, asMetadata, { clientName: 'MSAL Sign-In test', redirectUris: [REDIRECT, 'https://editor.example/callback'], ...LOOPBACK });
    assert.match(registration.client_id, /.+/);
    assert.equal(registration.issuer, idp.urls.oidcIssuer);
    assert.equal(registration.token_endpoint_auth_method, 'none');
    assert.deepEqual(registration.redirect_uris, [REDIRECT, 'https://editor.example/callback']);
  });

  it('signs in with the registered client; the DPoP token request is retried once with the server nonce and yields token_type DPoP', async () => {
    key = await generateDpopKey();
    const pkce = await generatePkce();
    const redirectUri = 'http://127.0.0.1:49152/callback';
    const authorize = new URL(asMetadata.authorization_endpoint);
    authorize.search = new URLSearchParams({
      client_id: registration.client_id,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid offline_access api://demo/read',
      state: 'state-1',
      code_challenge: pkce.codeChallenge,
      code_challenge_method: 'S256',
      dpop_jkt: key.thumbprint,
    }).toString();
    const redirect = await completeAuthorization(authorize.href, { account: 'alice', jar: new CookieJar() });
    const code = redirect.searchParams.get('code');
    assert.ok(code, `a code came back (${redirect.searchParams.get('error') ?? ''})`);
    const answer = await dpopTokenRequest(asMetadata.token_endpoint, {
      grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: registration.client_id, code_verifier: pkce.codeVerifier,
    }, key, nonces);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.attempts, 2, 'the first proof had no nonce and was answered use_dpop_nonce');
    assert.equal(answer.body.token_type, 'DPoP');
    tokens = answer.body;
  });

  it('the resource accepts the DPoP token with a fresh proof, and refuses it without the key or with a replayed proof', async () => {
    const url = resource.url('/items');
    const accessToken = tokens.access_token as string;
    const ok = await dpopResourceGet(url, accessToken, key, new DpopNonces());
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { token_type: string }).token_type, 'DPoP');

    const asBearer = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(asBearer.status, 401);
    assert.equal(resource.requests.at(-1)?.refusal, 'a DPoP-bound token sent as Bearer');

    const thief = await generateDpopKey();
    const stolen = await fetch(url, { headers: await dpopResourceHeaders(thief, { method: 'GET', url, accessToken }) });
    assert.equal(stolen.status, 401);
    assert.equal(resource.requests.at(-1)?.refusal, 'the proof key is not the token key (cnf.jkt)');

    const headers = await dpopResourceHeaders(key, { method: 'GET', url, accessToken });
    assert.equal((await fetch(url, { headers })).status, 200);
    const replayed = await fetch(url, { headers });
    assert.equal(replayed.status, 401);
    assert.equal(resource.requests.at(-1)?.refusal, 'replayed proof (jti seen before)');
    assert.match(replayed.headers.get('www-authenticate') ?? '', /^DPoP error="invalid_dpop_proof"/);

    const otherPath = await fetch(resource.url('/other'), { headers: await dpopResourceHeaders(key, { method: 'GET', url, accessToken }) });
    assert.equal(otherPath.status, 401, 'a proof for another htu');
  });

  it('names the missing scope for a step-up (insufficient_scope)', async () => {
    const url = resource.url('/admin/users');
    const response = await dpopResourceGet(url, tokens.access_token as string, key, new DpopNonces());
    assert.equal(response.status, 403);
    const [challenge] = parseResourceChallenges(response.headers.get('www-authenticate') ?? '');
    assert.deepEqual({ scheme: challenge?.scheme, error: challenge?.error, scope: challenge?.scope }, { scheme: 'dpop', error: 'insufficient_scope', scope: 'api://demo/write' });
  });

  it('refreshes only with a proof of the same key: the refresh token is bound to it', async () => {
    const form = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string, client_id: registration.client_id, scope: 'api://demo/read' };
    const otherKey = await generateDpopKey();
    const refused = await dpopTokenRequest(asMetadata.token_endpoint, form, otherKey, nonces);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    const refreshed = await dpopTokenRequest(asMetadata.token_endpoint, form, key, nonces);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body.token_type, 'DPoP');
    assert.equal(refreshed.attempts, 1, 'the remembered nonce was still good');
  });

  it('follows a resource’s use_dpop_nonce once, and stops a nonce loop with a typed error', async () => {
    const accessToken = tokens.access_token as string;
    const withNonce = await startResource({ dpopNonce: 'required' });
    const response = await dpopResourceGet(withNonce.url(), accessToken, key, new DpopNonces());
    assert.equal(response.status, 200);
    assert.deepEqual(withNonce.requests.map((entry) => entry.status), [401, 200]);

    const looping = await startResource({ dpopNonce: 'always-new' });
    await assert.rejects(dpopResourceGet(looping.url(), accessToken, key, new DpopNonces()), (err: unknown) => err instanceof AuthError && err.code === 'dpop_nonce_loop');
    assert.equal(looping.requests.length, 2, 'one retry, no more');
  });

  it('refuses metadata naming another origin, and an http issuer', async () => {
    const elsewhere = await startResource({ advertisedResource: 'https://evil.example/api' });
    const first = await fetch(elsewhere.url('/items'));
    await assert.rejects(
      discoverProtectedResource(fetchLike, elsewhere.url('/items'), first.headers.get('www-authenticate') ?? '', LOOPBACK),
      (err: unknown) => err instanceof AuthError && err.code === 'resource_mismatch',
    );
    const httpIssuer = await startResource({ advertisedAuthorizationServers: ['http://issuer.example/oidc'] });
    const second = await fetch(httpIssuer.url());
    await assert.rejects(
      discoverProtectedResource(fetchLike, httpIssuer.url(), second.headers.get('www-authenticate') ?? '', LOOPBACK),
      (err: unknown) => err instanceof AuthError && err.code === 'invalid_authority',
    );
  });
});
