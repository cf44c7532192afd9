/**
 * The authenticated fetch branch by branch, with fakes for the resource, the metadata documents,
 * the providers, the person and the registrar: discovery from a 401, the scope named or
 * `scopes_supported`, consent once per extension and resource, the remembered grant, step-up for
 * insufficient_scope and insufficient_claims, the bound on rounds, registration with and without
 * consent, and the typed errors of each refusal. Also the issuer match and the registration store.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { AuthenticationResult } from '../../../src/core/account.js';
import { DpopNonces, generateDpopKey } from '../../../src/core/dpop.js';
import { AuthError } from '../../../src/core/errors.js';
import { authorizeResourceRequest, decideResourceRetry } from '../../../src/core/resource-request.js';
import type { FetchLike } from '../../../src/core/http.js';
import type { AuthenticatedFetchDependencies, FetchProvider, FetchSession } from '../../../src/vscode/authenticated-fetch.js';
import type { ConsentMemory, FetchCaller } from '../../../src/vscode/fetch-consent.js';
import type { ResourcePresenter } from '../../../src/vscode/resource-headers.js';
import { matchIssuer } from '../../../src/vscode/issuer-match.js';
import { REGISTERED_CLIENTS_KEY, RegisteredClients, registeredProviderConfig, registeredProviderId } from '../../../src/vscode/registered-clients.js';
import type { ProviderConfig } from '../../../src/vscode/settings.js';
import { FakeSecrets } from '../../support/fake-secrets.js';
import { quietLogger } from '../../support/provider-dependencies.js';
import '../../support/vscode/register.js';

// It logs through report-errors.ts, which reads `vscode`: loaded after the stand-in is registered.
const { AuthenticatedFetch, MAX_ROUNDS } = await import('../../../src/vscode/authenticated-fetch.js');

const ISSUER = 'https://idp.example/realms/demo';
const RESOURCE = 'https://api.example/v1';
const METADATA_URL = 'https://api.example/.well-known/oauth-protected-resource/v1';
const CALLER: FetchCaller = { id: 'acme.client', label: 'ACME (acme.client)' };
const challenge = (params: string) => `Bearer resource_metadata="${METADATA_URL}"${params ? `, ${params}` : ''}`;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

function oidcConfig(id: string, issuer: string, clientId = 'client'): ProviderConfig {
  return { id, label: id, kind: 'oidc', clientId, issuer, defaultScopes: [], allowLoopbackHttp: false };
}

/**
 * A provider whose cache holds nothing until it signs in; then the silent attempt serves that token
 * for the scopes it was signed in with (no more), and never for a claims challenge.
 */
function fakeProvider(config: ProviderConfig) {
  const calls = { silent: [] as unknown[][], signIn: [] as unknown[][] };
  let signedIn: { session: FetchSession; scopes: readonly string[] } | undefined;
  const provider: FetchProvider = {
    config,
    acquireTokenSilently: async (scopes, accountId, options) => {
      calls.silent.push([[...scopes], accountId, options]);
      if (options?.claimsChallenge || !signedIn || !scopes.every((scope) => signedIn!.scopes.includes(scope))) return undefined;
      return signedIn.session;
    },
    signIn: async (scopes, options) => {
      calls.signIn.push([[...scopes], options]);
      signedIn = { session: { accessToken: `token-${calls.signIn.length}`, account: { id: 'alice' } }, scopes: [...scopes] };
      return signedIn.session;
    },
  };
  return { provider, calls };
}

interface Setup {
  /** Answers each resource request; gets the Authorization header sent. */
  resource: (authorization: string | null, url: string, init: RequestInit) => Response;
  metadata?: Record<string, unknown>;
  asMetadata?: Record<string, unknown>;
  providers?: FetchProvider[];
  allowAccess?: boolean;
  allowRegistration?: boolean;
  registered?: FetchProvider;
}

function setUp(setup: Setup) {
  const sent: { url: string; authorization: string | null; init: RequestInit }[] = [];
  const questions = { access: 0, registration: 0 };
  const registrarCalls: string[] = [];
  const given = new Set<string>();
  const consent: ConsentMemory = {
    has: (caller, resource) => given.has(`${caller.id} ${resource}`),
    add: async (caller, resource) => void given.add(`${caller.id} ${resource}`),
  };
  const documents: Record<string, unknown> = {
    [METADATA_URL]: setup.metadata ?? { resource: RESOURCE, authorization_servers: [ISSUER], scopes_supported: ['api.read'] },
    [`https://idp.example/.well-known/oauth-authorization-server/realms/demo`]: setup.asMetadata ?? {
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/auth`,
      token_endpoint: `${ISSUER}/token`,
      registration_endpoint: `${ISSUER}/reg`,
    },
  };
  const discovery: FetchLike = async (url) => (documents[url] ? json(200, documents[url]) : json(404, {}));
  const deps: AuthenticatedFetchDependencies = {
    send: async (url, init) => {
      const authorization = new Headers(init.headers).get('authorization');
      sent.push({ url, authorization, init });
      return setup.resource(authorization, url, init);
    },
    discovery,
    providers: () => setup.providers ?? [],
    registrar: {
      providerFor: async (metadata) => {
        registrarCalls.push(metadata.issuer);
        setup.providers = [...(setup.providers ?? []), setup.registered!];
        return setup.registered!;
      },
    },
    consentUi: {
      allowResourceAccess: async () => (questions.access += 1, setup.allowAccess ?? true),
      allowRegistration: async () => (questions.registration += 1, setup.allowRegistration ?? true),
    },
    consent,
    allowLoopbackHttp: () => false,
    logger: quietLogger,
  };
  return { fetcher: new AuthenticatedFetch(deps), sent, questions, registrarCalls };
}

/** A resource that wants `needed` scope tokens: 401 without one, 200 with any Bearer token. */
const guarded = (scopeParam = 'scope="api.read"') => (authorization: string | null) =>
  authorization ? json(200, { ok: true }) : json(401, {}, { 'www-authenticate': challenge(scopeParam) });

describe('AuthenticatedFetch', () => {
  test('a response without a challenge is the caller\'s: one request, no discovery', async () => {
    const { fetcher, sent, questions } = setUp({ resource: () => json(404, {}) });
    assert.equal((await fetcher.fetch(CALLER, `${RESOURCE}/x`)).status, 404);
    assert.equal(sent.length, 1);
    assert.deepEqual(questions, { access: 0, registration: 0 });
  });

  test('401: discovery, consent, sign-in with the challenge\'s scope, a retry with the token; the second call sends it at once', async () => {
    const local = fakeProvider(oidcConfig('local', `${ISSUER}/`));
    const { fetcher, sent, questions } = setUp({ resource: guarded(), providers: [local.provider] });
    const response = await fetcher.fetch(CALLER, `${RESOURCE}/items?secret=1`, { method: 'PUT', body: 'payload' });
    assert.equal(response.status, 200);
    assert.deepEqual(sent.map((entry) => entry.authorization), [null, 'Bearer token-1']);
    assert.equal(sent[1]!.init.method, 'PUT');
    assert.equal(new TextDecoder().decode(sent[1]!.init.body as ArrayBuffer), 'payload', 'the body is sent again');
    assert.deepEqual(local.calls.signIn, [[['api.read'], { forResource: true }]]);
    assert.equal(questions.access, 1);

    assert.equal((await fetcher.fetch(CALLER, `${RESOURCE}/other`)).status, 200);
    assert.deepEqual(sent.slice(2).map((entry) => entry.authorization), ['Bearer token-1']);
    assert.equal(local.calls.signIn.length, 1);
    assert.deepEqual(local.calls.silent.at(-1), [['api.read'], 'alice', { forResource: true }]);
    assert.equal(questions.access, 1);
  });

  test('without a scope in the challenge, the metadata\'s scopes_supported', async () => {
    const local = fakeProvider(oidcConfig('local', ISSUER));
    const { fetcher } = setUp({ resource: guarded(''), providers: [local.provider] });
    await fetcher.fetch(CALLER, RESOURCE);
    assert.deepEqual(local.calls.signIn[0]![0], ['api.read']);
  });

  test('another extension is asked on its own; refusing is a cancelled error and no token goes out', async () => {
    const local = fakeProvider(oidcConfig('local', ISSUER));
    const setup: Setup = { resource: guarded(), providers: [local.provider] };
    const { fetcher, sent, questions } = setUp(setup);
    await fetcher.fetch(CALLER, RESOURCE);
    setup.allowAccess = false;
    await assert.rejects(fetcher.fetch({ id: 'other.ext', label: 'Other' }, RESOURCE), (err: unknown) => err instanceof AuthError && err.code === 'cancelled');
    assert.equal(questions.access, 2);
    assert.equal(sent.at(-1)!.authorization, null);
  });

  test('insufficient_scope steps up with the union of scopes; insufficient_claims passes the claims', async () => {
    const local = fakeProvider(oidcConfig('local', ISSUER));
    let round = 0;
    const claims = Buffer.from('{"access_token":{"acrs":{"essential":true,"value":"c1"}}}').toString('base64');
    const { fetcher, sent } = setUp({
      providers: [local.provider],
      resource: (authorization, url) => {
        round += 1;
        if (!authorization) return json(401, {}, { 'www-authenticate': challenge('scope="api.read"') });
        if (url.endsWith('/admin') && round === 2) return json(403, {}, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="api.write"' });
        if (url.endsWith('/mfa') && authorization === 'Bearer token-2') return json(401, {}, { 'www-authenticate': `Bearer error="insufficient_claims", claims="${claims}"` });
        return json(200, {});
      },
    });
    assert.equal((await fetcher.fetch(CALLER, `${RESOURCE}/admin`)).status, 200);
    assert.deepEqual(local.calls.signIn.map(([scopes]) => scopes), [['api.read'], ['api.read', 'api.write']]);
    assert.equal((await fetcher.fetch(CALLER, `${RESOURCE}/mfa`)).status, 200);
    assert.deepEqual(local.calls.signIn.at(-1), [['api.read', 'api.write'], { forResource: true, claimsChallenge: '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}' }]);
    assert.equal(sent.at(-1)!.authorization, 'Bearer token-3');
  });

  test(`a resource that keeps refusing gets at most ${MAX_ROUNDS} answers; its last response is the caller's`, async () => {
    const local = fakeProvider(oidcConfig('local', ISSUER));
    const { fetcher, sent } = setUp({ providers: [local.provider], resource: () => json(401, {}, { 'www-authenticate': challenge('error="invalid_token"') }) });
    assert.equal((await fetcher.fetch(CALLER, RESOURCE)).status, 401);
    assert.equal(sent.length, MAX_ROUNDS + 1);
  });

  test('no provider and no registration endpoint: not_supported, nobody asked', async () => {
    const { fetcher, questions } = setUp({
      resource: guarded(),
      asMetadata: { issuer: ISSUER, authorization_endpoint: `${ISSUER}/auth`, token_endpoint: `${ISSUER}/token` },
    });
    await assert.rejects(fetcher.fetch(CALLER, RESOURCE), (err: unknown) => err instanceof AuthError && err.code === 'not_supported');
    assert.deepEqual(questions, { access: 0, registration: 0 });
  });

  test('registration: refused is cancelled and registers nothing; allowed, concurrent calls register once', async () => {
    const dcr = fakeProvider(oidcConfig('dcr.idp.example.1', ISSUER));
    const setup: Setup = { resource: guarded(), allowRegistration: false, registered: dcr.provider };
    const { fetcher, registrarCalls, questions } = setUp(setup);
    await assert.rejects(fetcher.fetch(CALLER, RESOURCE), (err: unknown) => err instanceof AuthError && err.code === 'cancelled');
    assert.deepEqual(registrarCalls, []);
    setup.allowRegistration = true;
    const responses = await Promise.all([fetcher.fetch(CALLER, RESOURCE), fetcher.fetch(CALLER, `${RESOURCE}/b`)]);
    assert.deepEqual(responses.map((response) => response.status), [200, 200]);
    assert.deepEqual(registrarCalls, [ISSUER]);
    assert.equal(questions.registration, 2, 'the refused question and one more');
    assert.equal(questions.access, 1);
  });

  test('typed refusals before anything is sent: http resource, a caller\'s own Authorization header', async () => {
    const { fetcher, sent } = setUp({ resource: guarded() });
    await assert.rejects(fetcher.fetch(CALLER, 'http://api.example/v1'), (err: unknown) => err instanceof AuthError && err.code === 'invalid_argument');
    await assert.rejects(fetcher.fetch(CALLER, RESOURCE, { headers: { Authorization: 'Bearer mine' } }), (err: unknown) => err instanceof AuthError && err.code === 'invalid_argument');
    assert.equal(sent.length, 0);
  });

  test('a resource that takes only DPoP-bound tokens: not_supported for a provider without "dpop": true, and no registration', async () => {
    const local = fakeProvider(oidcConfig('local', ISSUER));
    const metadata = { resource: RESOURCE, authorization_servers: [ISSUER], dpop_bound_access_tokens_required: true };
    const { fetcher } = setUp({ resource: guarded(), providers: [local.provider], metadata });
    await assert.rejects(fetcher.fetch(CALLER, RESOURCE), (err: unknown) => err instanceof AuthError && err.code === 'not_supported');
    assert.equal(local.calls.signIn.length, 0);
    const unconfigured = setUp({ resource: guarded(), metadata, registered: fakeProvider(oidcConfig('dcr', ISSUER)).provider });
    await assert.rejects(unconfigured.fetcher.fetch(CALLER, RESOURCE), (err: unknown) => err instanceof AuthError && err.code === 'not_supported');
    assert.deepEqual(unconfigured.registrarCalls, []);
    assert.equal(unconfigured.questions.registration, 0);
  });

  describe('with a DPoP-bound token', () => {
    /**
     * A `"dpop": true` provider whose sessions carry a DPoP token and a presenter doing what the
     * core application does (its authorizeResourceRequest and decideResourceRetry over one key).
     */
    async function dpopProvider() {
      const key = await generateDpopKey();
      const nonces = new DpopNonces();
      const result = { accessToken: 'dpop-token', tokenType: 'DPoP' } as AuthenticationResult;
      const app: ResourcePresenter = {
        authorizeResourceRequest: (given, request) => authorizeResourceRequest({ accessToken: given.accessToken, tokenType: given.tokenType, dpopKey: key }, request, nonces),
        decideResourceRetry: (url, response, sent, options) => decideResourceRetry(url, response, sent, nonces, options),
      };
      const session: FetchSession = { accessToken: result.accessToken, account: { id: 'alice' }, resource: { result, app } };
      const provider: FetchProvider = {
        config: { ...oidcConfig('local', ISSUER), dpop: true },
        acquireTokenSilently: async () => undefined,
        signIn: async () => session,
      };
      return provider;
    }

    /** A resource that wants its current nonce in the proof, and names a new one (`nextNonce()`) at each refusal. */
    function nonceResource(nextNonce: () => string) {
      let current = nextNonce();
      return (authorization: string | null, _url: string, init: RequestInit) => {
        if (!authorization) return new Response(null, { status: 401, headers: { 'www-authenticate': challenge('') } });
        assert.equal(authorization, 'DPoP dpop-token');
        const proof = decodeJwt(new Headers(init.headers).get('dpop')!);
        assert.equal(proof.htm, 'GET');
        assert.equal(typeof proof.ath, 'string');
        if (proof.nonce === current) return json(200, { ok: true });
        current = nextNonce();
        return new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"', 'dpop-nonce': current } });
      };
    }

    test('each attempt carries a fresh proof; use_dpop_nonce is answered once with the nonce given', async () => {
      let count = 0;
      const { fetcher, sent } = setUp({ resource: nonceResource(() => `n-${(count += 1)}`), providers: [await dpopProvider()] });
      const response = await fetcher.fetch(CALLER, RESOURCE);
      assert.equal(response.status, 200);
      // Unauthenticated, then the token without the nonce, then with it.
      assert.deepEqual(sent.map((request) => request.authorization), [null, 'DPoP dpop-token', 'DPoP dpop-token']);
      const proofs = sent.slice(1).map((request) => decodeJwt(new Headers(request.init.headers).get('dpop')!));
      assert.notEqual(proofs[0]!.jti, proofs[1]!.jti);
      assert.equal(proofs[1]!.nonce, 'n-2');
    });

    test('a resource that asks for a new nonce again is a dpop_nonce_loop, after one retry', async () => {
      let count = 0;
      // Every proof is refused with a new nonce, the one just sent included.
      const refuseAll = (authorization: string | null) =>
        new Response(null, {
          status: 401,
          headers: authorization ? { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': `new-${(count += 1)}` } : { 'www-authenticate': challenge('') },
        });
      const { fetcher, sent } = setUp({ resource: refuseAll, providers: [await dpopProvider()] });
      await assert.rejects(fetcher.fetch(CALLER, RESOURCE), (err: unknown) => err instanceof AuthError && err.code === 'dpop_nonce_loop');
      assert.equal(sent.length, 3, 'the unauthenticated request, the proof without the nonce, the one retry');
    });
  });
});

describe('matchIssuer', () => {
  const entra = (tenant: string): ProviderConfig => ({ id: 'entra', label: 'Entra', kind: 'entra', clientId: 'c', authorityBase: 'https://login.microsoftonline.com', tenant, defaultScopes: [], allowLoopbackHttp: false });
  const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  for (const [name, config, issuer, expected] of [
    ['oidc, exact', oidcConfig('a', ISSUER), ISSUER, []],
    ['oidc, trailing slash', oidcConfig('a', ISSUER), `${ISSUER}/`, []],
    ['oidc, a prefix is no match', oidcConfig('a', 'https://idp.example/realms'), ISSUER, undefined],
    ['oidc without client id', oidcConfig('a', ISSUER, ''), ISSUER, undefined],
    ['entra, its tenant', entra(TID), `https://login.microsoftonline.com/${TID}/v2.0`, []],
    ['entra multi-tenant, a tenant issuer', entra('organizations'), `https://login.microsoftonline.com/${TID}/v2.0`, [`VSCODE_TENANT:${TID}`]],
    ['entra single tenant, another tenant', entra('11111111-1111-1111-1111-111111111111'), `https://login.microsoftonline.com/${TID}/v2.0`, undefined],
    ['entra, another host', entra('organizations'), `https://login.evil.example/${TID}/v2.0`, undefined],
  ] as const) {
    test(name, () => assert.deepEqual(matchIssuer(config, issuer), expected));
  }
});

describe('RegisteredClients', () => {
  const metadata = { issuer: ISSUER, authorization_endpoint: `${ISSUER}/auth`, token_endpoint: `${ISSUER}/token`, registration_endpoint: `${ISSUER}/reg` };
  const registration = { issuer: ISSUER, client_id: 'dyn-1', redirect_uris: ['http://127.0.0.1/'], token_endpoint_auth_method: 'none' as const, grant_types: ['authorization_code'] };

  test('registers once per issuer (concurrent calls too), stores it, and reuses it', async () => {
    const secrets = new FakeSecrets();
    let registered = 0;
    const clients = new RegisteredClients(secrets, async () => (registered += 1, registration));
    await Promise.all([clients.obtain(metadata), clients.obtain(metadata)]);
    assert.equal((await clients.obtain(metadata)).client_id, 'dyn-1');
    assert.equal(registered, 1);
    assert.deepEqual(Object.keys(JSON.parse(secrets.values.get(REGISTERED_CLIENTS_KEY)!) as object), [ISSUER]);
  });

  test('a failed registration (no client_id) stores nothing', async () => {
    const secrets = new FakeSecrets();
    const clients = new RegisteredClients(secrets, async () => {
      throw new AuthError('invalid_response', 'client registration response has no client_id');
    });
    await assert.rejects(clients.obtain(metadata), (err: unknown) => err instanceof AuthError && err.code === 'invalid_response');
    assert.deepEqual(secrets.stores, []);
  });

  test('unusable stored values are ignored; the provider of a registration is labelled with the issuer\'s host', async () => {
    const secrets = new FakeSecrets();
    secrets.values.set(REGISTERED_CLIENTS_KEY, JSON.stringify({ [ISSUER]: { ...registration, issuer: 'https://other.example' }, __proto__: registration }));
    assert.deepEqual(await new RegisteredClients(secrets, async () => registration).all(), []);
    const config = registeredProviderConfig(registration, false);
    assert.deepEqual([config.label, config.clientId, config.issuer, config.registered], ['idp.example', 'dyn-1', ISSUER, true]);
    assert.match(registeredProviderId(ISSUER), /^dcr\.idp\.example\.[0-9a-f]{8}$/);
    assert.notEqual(registeredProviderId(ISSUER), registeredProviderId('https://idp.example/realms/other'));
  });

  test('the provider of a registration carries no callback URI: a registration update changes nothing in its config', () => {
    const callback = 'http://127.0.0.1:8080/callback?vscode-reqid=1&vscode-scheme=code-oss&vscode-authority=msal-tools.msal-signin&vscode-path=%2Fsignin-callback';
    const updated = { ...registration, redirect_uris: ['http://127.0.0.1/', callback.replace('reqid=1', 'reqid=2')], registration_access_token: 'rotated' };
    assert.deepEqual(registeredProviderConfig({ ...registration, redirect_uris: ['http://127.0.0.1/', callback] }, false), registeredProviderConfig(updated, false));
  });
});
