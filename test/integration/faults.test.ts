/**
 * Identity provider faults, injected by a reverse proxy in front of the real IdP: every fault
 * ends in a typed error, leaves the token cache exactly as it was, and the next good request is
 * served. The applications use the Node HTTP client (undici) of src/node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Account } from '../../src/core/account.js';
import { SerializableTokenCache } from '../../src/core/cache/serializable-token-cache.js';
import { type AuthError, ServerError, ThrottledError } from '../../src/core/errors.js';
import { type FetchLike, MAX_RESPONSE_BYTES, MAX_THROTTLE_MS } from '../../src/core/http.js';
import { ConfidentialClientApplication, PublicClientApplication } from '../../src/node/applications.js';
import { createNodeHttpClient } from '../../src/node/http-client.js';
import { ACCOUNTS, CONFIDENTIAL_CLIENT_SECRET, CONFIDENTIAL_SECRET_CLIENT_ID, DEMO_API_SCOPES, type Idp, PUBLIC_CLIENT_ID, startIdp, TENANT_ID } from '../idp/server.js';
import { type Fault, type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { rejectsWithCode } from '../unit/core/fakes.js';

const TOKEN_PATH = `/${TENANT_ID}/oauth2/v2.0/token`;
const DISCOVERY_PATH = `/${TENANT_ID}/v2.0/.well-known/openid-configuration`;
const JWKS_PATH = `/${TENANT_ID}/discovery/v2.0/keys`;
const READ: string[] = [DEMO_API_SCOPES.read];
const TEN_MB = 10 * 1024 * 1024;

const json = (body: unknown) => JSON.stringify(body);

/** Waits for the moment a ThrottledError names (the tests ask for one second), not a guessed time. */
const waitUntil = (epochMs: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now()) + 10));
const HTML_PAGE = '<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>';

/**
 * The Node HTTP client, counting the body bytes the library pulls: what the proxy writes says
 * little, since loopback socket buffers take in megabytes the client never reads.
 */
function countingHttpClient(): FetchLike & { bytesRead(): number } {
  const inner = createNodeHttpClient({ timeout: 10_000 });
  let bytesRead = 0;
  const send: FetchLike = async (url, init) => {
    const response = await inner(url, init);
    if (!response.body) return response;
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytesRead += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const body = response.body.pipeThrough(counter);
    return { status: response.status, headers: response.headers, body, text: () => new Response(body).text() };
  };
  return Object.assign(send, { bytesRead: () => bytesRead });
}

describe('identity provider faults through a fault-injecting proxy', () => {
  let proxy: FaultProxy;
  let idp: Idp;
  let cache: SerializableTokenCache;
  let app: PublicClientApplication;
  let account: Account;

  const authority = () => idp.urls.entraAuthority();
  const makeApp = (options: { timeout?: number; httpClient?: FetchLike } = {}) =>
    new PublicClientApplication({
      clientId: PUBLIC_CLIENT_ID,
      authority: authority(),
      allowInsecureLoopbackAuthority: true,
      tokenCache: cache,
      timeout: options.timeout ?? 10_000,
      httpClient: options.httpClient,
    });
  const refresh = (scopes = READ, on = app) => on.acquireTokenSilentWithError(scopes, account, { forceRefresh: true });
  const tokenRequestsAtIdp = () => idp.requests.filter((entry) => entry.method === 'POST' && entry.path === TOKEN_PATH).length;

  /**
   * Runs `action` with `fault` armed on `path`: it must fail with `code`, use the fault up, and
   * leave the serialized token cache byte for byte as it was.
   */
  async function expectFault(path: string, fault: Fault, code: string, action: () => Promise<unknown>): Promise<AuthError> {
    const before = cache.serialize();
    proxy.inject({ path }, fault);
    const err = await rejectsWithCode(action(), code);
    assert.equal(proxy.pending(), 0, 'the fault was served');
    assert.equal(cache.serialize(), before, 'the token cache is unchanged');
    return err;
  }

  /** The next good request is served by the IdP and lands in the cache. */
  async function expectServed(action: () => Promise<{ tokenSource: string } | undefined> = () => refresh()): Promise<void> {
    const result = await action();
    assert.equal(result?.tokenSource, 'identity_provider');
  }

  before(async () => {
    proxy = await startFaultProxy();
    idp = await startIdp({ publicOrigin: proxy.origin });
    proxy.setUpstream(`http://127.0.0.1:${idp.port}`);
    cache = new SerializableTokenCache();
    app = makeApp();
    const signedIn = await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
    account = signedIn.account!;
    assert.ok(cache.findRefreshToken({ homeAccountId: account.homeAccountId, environments: [account.environment], clientId: PUBLIC_CLIENT_ID }));
  });
  after(async () => {
    await idp?.close();
    await proxy?.close();
  });

  it('every request of the library goes through the proxy', () => {
    assert.ok(proxy.requests.some((request) => request.path === TOKEN_PATH && request.outcome === 'forwarded'));
    assert.ok(proxy.requests.some((request) => request.path === DISCOVERY_PATH));
  });

  describe('token endpoint', () => {
    it('500 without an OAuth body: throttled with its status, for MSAL for Python’s 5 s', async () => {
      const err = await expectFault(TOKEN_PATH, { kind: 'status', status: 500 }, 'throttled', () => refresh());
      assert.ok(err instanceof ThrottledError && err.status === 500);
      await waitUntil(err.retryAfter);
      await expectServed();
    });

    for (const status of [503, 429]) {
      it(`${status} with Retry-After: a ServerError, then throttled without a request until the time passes`, async () => {
        const body = json({ error: status === 429 ? 'too_many_requests' : 'temporarily_unavailable' });
        const err = await expectFault(TOKEN_PATH, { kind: 'status', status, headers: { 'retry-after': '1' }, body }, 'server_error', () => refresh());
        assert.equal((err as ServerError).status, status);

        const atIdp = tokenRequestsAtIdp();
        const proxied = proxy.requests.length;
        const throttled = await rejectsWithCode(refresh(), 'throttled');
        assert.ok(throttled instanceof ThrottledError);
        assert.ok(throttled.retryAfter > Date.now() && throttled.retryAfter <= Date.now() + 1_000 + 50, 'honours the 1 s asked for');
        assert.equal(proxy.requests.length, proxied, 'no request left the process while throttled');
        assert.equal(tokenRequestsAtIdp(), atIdp);

        await waitUntil(throttled.retryAfter);
        await expectServed();
      });
    }

    for (const retryAfter of ['999999999', new Date(Date.now() + 30 * 24 * 3600 * 1000).toUTCString()]) {
      it(`a huge Retry-After (${retryAfter.includes(' ') ? 'a date a month away' : 'a billion seconds'}) is bounded to an hour`, async () => {
        const scopes = [DEMO_API_SCOPES.write];
        await expectFault(TOKEN_PATH, { kind: 'status', status: 429, headers: { 'retry-after': retryAfter }, body: json({ error: 'too_many_requests' }) }, 'server_error', () => refresh(scopes));
        const throttled = await rejectsWithCode(refresh(scopes), 'throttled');
        assert.ok(throttled instanceof ThrottledError);
        assert.ok(throttled.retryAfter <= Date.now() + MAX_THROTTLE_MS, 'at most MAX_THROTTLE_MS away');
        assert.ok(throttled.retryAfter > Date.now() + MAX_THROTTLE_MS - 60_000, 'and not shorter than asked within that bound');
        // Throttling is per request: the account's other requests are still served.
        await expectServed();
        // Lift the throttle for the next case; a real app would wait the hour.
        for (const key of [...(app.httpCache as Map<string, unknown>).keys()]) if (key.startsWith('throttle:')) app.httpCache.delete!(key);
      });
    }

    it('a reset connection: network_error', async () => {
      await expectFault(TOKEN_PATH, { kind: 'reset' }, 'network_error', () => refresh());
      await expectServed();
    });

    it('no answer at all: timeout after the client timeout option', async () => {
      const impatient = makeApp({ timeout: 300 });
      await expectServed(() => refresh(READ, impatient)); // discovery done, so only the token request can hang
      const started = performance.now();
      await expectFault(TOKEN_PATH, { kind: 'hang' }, 'timeout', () => refresh(READ, impatient));
      assert.ok(performance.now() - started < 5_000, 'bounded by the timeout, not by the server');
      await expectServed(() => refresh(READ, impatient));
    });

    it('a body cut off by a reset: network_error; a body that stops coming: timeout', async () => {
      await expectFault(TOKEN_PATH, { kind: 'partial', then: 'reset' }, 'network_error', () => refresh());
      const impatient = makeApp({ timeout: 300 });
      await expectServed(() => refresh(READ, impatient));
      await expectFault(TOKEN_PATH, { kind: 'partial', then: 'hang' }, 'timeout', () => refresh(READ, impatient));
      await expectServed();
    });

    it('an HTML error page: throttled on a 502, invalid_response on a 200', async () => {
      const err = await expectFault(TOKEN_PATH, { kind: 'status', status: 502, headers: { 'content-type': 'text/html' }, body: HTML_PAGE }, 'throttled', () => refresh());
      assert.ok(err instanceof ThrottledError && err.status === 502);
      await waitUntil(err.retryAfter);
      await expectFault(TOKEN_PATH, { kind: 'status', status: 200, headers: { 'content-type': 'text/html' }, body: HTML_PAGE }, 'invalid_response', () => refresh());
      await expectServed();
    });

    it('invalid JSON, and JSON that is not an object: invalid_response', async () => {
      await expectFault(TOKEN_PATH, { kind: 'status', status: 200, body: '{"access_token": "at", "expires_in": 3600' }, 'invalid_response', () => refresh());
      await expectFault(TOKEN_PATH, { kind: 'status', status: 200, body: '["access_token"]' }, 'invalid_response', () => refresh());
      await expectServed();
    });

    for (const declareLength of [false, true]) {
      it(`a 10 MB body ${declareLength ? 'with its length declared: refused before reading' : 'without a length: reading stops just past the 1 MB cap'}`, async () => {
        const http = countingHttpClient();
        const counted = makeApp({ httpClient: http });
        await expectServed(() => refresh(READ, counted)); // discovery and JWKS first, so only the token body counts
        const readBefore = http.bytesRead();
        await expectFault(TOKEN_PATH, { kind: 'stream', bytes: TEN_MB, declareLength }, 'response_too_large', () => refresh(READ, counted));
        const read = http.bytesRead() - readBefore;
        if (declareLength) assert.equal(read, 0, 'not a byte of the body was read');
        // The reader stops at the first chunk past the cap; the stream may have pulled one more.
        else assert.ok(read > MAX_RESPONSE_BYTES && read <= MAX_RESPONSE_BYTES + 256 * 1024, `read ${read} bytes`);
        const stream = proxy.streams.at(-1)!;
        await stream.done;
        assert.equal(stream.finished, false, 'the client closed the connection before the body ended');
        await expectServed(() => refresh(READ, counted));
      });
    }
  });

  describe('discovery', () => {
    it('a discovery document naming another issuer: discovery_failed, and not remembered', async () => {
      const fresh = makeApp();
      const elsewhere = (doc: Record<string, unknown>) => ({ ...doc, issuer: `http://127.0.0.2:${proxy.port}/${TENANT_ID}/v2.0` });
      await expectFault(DISCOVERY_PATH, { kind: 'rewrite', edit: elsewhere }, 'discovery_failed', () => refresh(READ, fresh));
      await expectServed(() => refresh(READ, fresh));
    });

    it('500, an HTML page, invalid JSON and a reset on discovery fail with typed errors', async () => {
      const fresh = makeApp();
      await expectFault(DISCOVERY_PATH, { kind: 'status', status: 500 }, 'discovery_failed', () => refresh(READ, fresh));
      await expectFault(DISCOVERY_PATH, { kind: 'status', status: 200, headers: { 'content-type': 'text/html' }, body: HTML_PAGE }, 'discovery_failed', () => refresh(READ, fresh));
      await expectFault(DISCOVERY_PATH, { kind: 'status', status: 200, body: '{"issuer":' }, 'discovery_failed', () => refresh(READ, fresh));
      // A reset GET is sent once more by the default client (MSAL for Python's one retry): two fail.
      proxy.inject({ path: DISCOVERY_PATH }, { kind: 'reset' });
      await expectFault(DISCOVERY_PATH, { kind: 'reset' }, 'network_error', () => refresh(READ, fresh));
      await expectServed(() => refresh(READ, fresh));
    });

    it('a 503 with Retry-After on discovery throttles discovery too', async () => {
      const fresh = makeApp();
      await expectFault(DISCOVERY_PATH, { kind: 'status', status: 503, headers: { 'retry-after': '1' } }, 'discovery_failed', () => refresh(READ, fresh));
      const throttled = await rejectsWithCode(refresh(READ, fresh), 'throttled');
      assert.ok(throttled instanceof ThrottledError);
      await waitUntil(throttled.retryAfter);
      await expectServed(() => refresh(READ, fresh));
    });
  });

  describe('JWKS', () => {
    // A fresh app signs in with a password: its first ID token makes it fetch the JWKS, and no
    // refresh token is spent on the way (a refused ID token would leave a rotated one behind).
    const signIn = (on: PublicClientApplication) => on.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);

    it('a JWKS that is no key set: discovery_failed, and not remembered', async () => {
      const fresh = makeApp();
      await expectServed(() => refresh(READ, fresh)); // discovery and JWKS first; then the JWKS is forgotten
      fresh.httpCache.delete!(`json:${idp.urls.entraAuthority()}/discovery/v2.0/keys`);
      await expectFault(JWKS_PATH, { kind: 'status', status: 200, body: json({ keys: 'not-a-list' }) }, 'discovery_failed', () => signIn(fresh));
      await expectServed(() => signIn(fresh));
    });

    it('a JWKS without the signing key: fetched once more at once, then served', async () => {
      const fresh = makeApp();
      await expectServed(() => refresh(READ, fresh));
      fresh.httpCache.delete!(`json:${idp.urls.entraAuthority()}/discovery/v2.0/keys`);
      proxy.inject({ path: JWKS_PATH }, { kind: 'status', status: 200, body: json({ keys: [] }) });
      await expectServed(() => signIn(fresh));
      assert.equal(proxy.pending(), 0);
    });
  });

  describe('a confidential client', () => {
    it('client credentials: a fault leaves its cache alone and the next request is served', async () => {
      const appCache = new SerializableTokenCache();
      const cca = new ConfidentialClientApplication({
        clientId: CONFIDENTIAL_SECRET_CLIENT_ID,
        clientCredential: CONFIDENTIAL_CLIENT_SECRET,
        authority: authority(),
        allowInsecureLoopbackAuthority: true,
        tokenCache: appCache,
      });
      const scopes = [DEMO_API_SCOPES.default];
      await cca.acquireTokenForClient(scopes);
      const faults: [Fault, string][] = [
        [{ kind: 'reset' }, 'network_error'],
        [{ kind: 'stream', bytes: TEN_MB }, 'response_too_large'],
        // Last: a 5xx throttles the request for MSAL for Python's 5 s, waited out below.
        [{ kind: 'status', status: 500 }, 'throttled'],
      ];
      let throttledUntil = 0;
      for (const [fault, code] of faults) {
        const before = appCache.serialize();
        proxy.inject({ path: TOKEN_PATH }, fault);
        const err = await rejectsWithCode(cca.acquireTokenForClient(scopes, { forceRefresh: true }), code);
        if (err instanceof ThrottledError) throttledUntil = err.retryAfter;
        assert.equal(appCache.serialize(), before, `${fault.kind}: the cache is unchanged`);
      }
      await waitUntil(throttledUntil);
      assert.equal((await cca.acquireTokenForClient(scopes, { forceRefresh: true })).tokenSource, 'identity_provider');
    });
  });
});
