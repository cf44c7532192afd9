/**
 * MSAL for Python parity rows that send a request (issue 13), against the real IdP: what reaches
 * the server is asserted — the assertion's claims and x5c header as sent and accepted, the
 * authority of a silent call, `response_type`, `data` in the body, the retry after a reset
 * through the fault proxy, device flow without scopes, and what a result carries.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SerializableTokenCache } from '../../src/core/cache/serializable-token-cache.js';
import type { CertificateCredential } from '../../src/core/client-credential.js';
import { ServerError } from '../../src/core/errors.js';
import { ConfidentialClientApplication, PublicClientApplication } from '../../src/node/applications.js';
import { ACCOUNTS, CONFIDENTIAL_CERT_CLIENT_ID, DEMO_API_SCOPES, type Idp, PUBLIC_CLIENT_ID, startIdp, TENANT_ID } from '../idp/server.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { rejectsWithCode } from '../unit/core/fakes.js';
import { lastTokenRequest, recordingHttpClient } from './fixture.js';

const execFileAsync = promisify(execFile);
const READ = [DEMO_API_SCOPES.read];
const decodePart = (jwt: string, part: 0 | 1) => JSON.parse(Buffer.from(jwt.split('.')[part], 'base64url').toString()) as Record<string, unknown>;

describe('MSAL for Python parity against the real IdP', () => {
  let idp: Idp;
  let folder: string;
  before(async () => {
    idp = await startIdp();
    folder = await mkdtemp(join(tmpdir(), 'parity-'));
  });
  after(async () => {
    await idp?.close();
    await rm(folder, { recursive: true, force: true });
  });
  const authority = (tenant?: string) => idp.urls.entraAuthority(tenant);

  /** A certificate client; returns the assertion sent and whether the IdP gave a token. */
  async function certificateSignIn(clientCredential: CertificateCredential, clientClaims?: Record<string, unknown>) {
    const http = recordingHttpClient();
    const app = new ConfidentialClientApplication({ clientId: CONFIDENTIAL_CERT_CLIENT_ID, clientCredential, clientClaims, authority: authority(), allowInsecureLoopbackAuthority: true, httpClient: http });
    const outcome = await app.acquireTokenForClient([DEMO_API_SCOPES.default]).then(
      async (result) => (await idp.introspect(result.accessToken)).active === true,
      (err: unknown) => err,
    );
    const sent = lastTokenRequest(http.sent);
    const assertion = sent.form.get('client_assertion')!;
    return { outcome, url: sent.url, header: decodePart(assertion, 0), claims: decodePart(assertion, 1) };
  }

  describe('row 1: clientClaims override the default assertion claims', () => {
    it('a caller exp and jti replace the defaults, and the IdP accepts them', async () => {
      const cert = idp.clientCertificate;
      const exp = Math.floor(Date.now() / 1000) + 120;
      const jti = `caller-jti-${Date.now()}`;
      const sent = await certificateSignIn({ privateKey: cert.privateKeyPem, thumbprint: cert.thumbprintSha1Hex }, { exp, jti, extra: 'x' });
      assert.equal(sent.outcome, true);
      assert.equal(sent.claims.exp, exp);
      assert.equal(sent.claims.jti, jti);
      assert.equal(sent.claims.extra, 'x');
      assert.equal(sent.claims.aud, sent.url);
    });
    it('a caller aud reaches the server, which refuses an assertion for another audience', async () => {
      const cert = idp.clientCertificate;
      const sent = await certificateSignIn({ privateKey: cert.privateKeyPem, thumbprint: cert.thumbprintSha1Hex }, { aud: 'https://elsewhere.example/token' });
      assert.equal(sent.claims.aud, 'https://elsewhere.example/token');
      assert.ok(sent.outcome instanceof ServerError && sent.outcome.error === 'invalid_client', String(sent.outcome));
    });
  });

  describe('row 7: certificate credentials', () => {
    it('a PKCS#1 key', async () => {
      const cert = idp.clientCertificate;
      const pkcs1 = createPrivateKey(cert.privateKeyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
      assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
      const sent = await certificateSignIn({ privateKey: pkcs1, thumbprintSha256: cert.thumbprintSha256Hex });
      assert.equal(sent.outcome, true);
      assert.equal(sent.header.alg, 'PS256');
    });
    it('an encrypted PKCS#8 key with its passphrase; a wrong passphrase is a typed error', async () => {
      const cert = idp.clientCertificate;
      const encrypted = createPrivateKey(cert.privateKeyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open sesame' }).toString();
      assert.match(encrypted, /BEGIN ENCRYPTED PRIVATE KEY/);
      const sent = await certificateSignIn({ privateKey: encrypted, passphrase: 'open sesame', thumbprint: cert.thumbprintSha1Hex, publicCertificate: cert.certificatePem });
      assert.equal(sent.outcome, true);
      assert.deepEqual(sent.header.x5c, [new X509Certificate(cert.certificatePem).raw.toString('base64')]);
      assert.throws(
        () => new ConfidentialClientApplication({ clientId: CONFIDENTIAL_CERT_CLIENT_ID, clientCredential: { privateKey: encrypted, passphrase: 'wrong', thumbprint: cert.thumbprintSha1Hex } }),
        { code: 'invalid_argument' },
      );
    });
    for (const variant of ['aes', '3des'] as const) {
      it(`a PFX (${variant === 'aes' ? 'OpenSSL 3 default, AES' : 'PBE-SHA1-3DES'}): thumbprints from the file, publicCertificate: true sent as x5c`, async () => {
        const cert = idp.clientCertificate;
        const keyPath = join(folder, `${variant}.key`);
        const certPath = join(folder, `${variant}.crt`);
        const pfxPath = join(folder, `${variant}.pfx`);
        await writeFile(keyPath, cert.privateKeyPem, { mode: 0o600 });
        await writeFile(certPath, cert.certificatePem);
        const legacy = variant === '3des' ? ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'] : [];
        await execFileAsync('openssl', ['pkcs12', '-export', '-inkey', keyPath, '-in', certPath, '-out', pfxPath, '-passout', 'pass:pfx-pass', ...legacy]);
        assert.ok((await readFile(pfxPath)).length > 0);
        const sent = await certificateSignIn({ privateKeyPfxPath: pfxPath, passphrase: 'pfx-pass', publicCertificate: true });
        assert.equal(sent.outcome, true);
        assert.equal(sent.header.alg, 'PS256');
        assert.equal(sent.header['x5t#S256'], Buffer.from(cert.thumbprintSha256Hex, 'hex').toString('base64url'));
        assert.deepEqual(sent.header.x5c, [new X509Certificate(cert.certificatePem).raw.toString('base64')]);
        assert.throws(
          () => new ConfidentialClientApplication({ clientId: CONFIDENTIAL_CERT_CLIENT_ID, clientCredential: { privateKeyPfxPath: pfxPath, passphrase: 'wrong' } }),
          { code: 'invalid_argument' },
        );
      });
    }
  });

  it('a Node public client refuses a clientCredential without reading it: only the confidential client reads certificates', () => {
    assert.throws(
      () => new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, clientCredential: { privateKeyPfxPath: join(folder, 'absent.pfx'), passphrase: 'x' } }),
      { code: 'invalid_argument', message: /takes no clientCredential/ },
    );
  });

  describe('row 2: acquireTokenSilent with another authority (tenant)', () => {
    it('refreshes at the authority given, not the configured one; refuses another cloud', async () => {
      const cache = new SerializableTokenCache();
      const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: authority(), allowInsecureLoopbackAuthority: true, tokenCache: cache });
      const signedIn = await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
      const before = idp.requests.length;
      const other = await app.acquireTokenSilentWithError(READ, signedIn.account, { authority: authority('contoso.example') });
      assert.equal(other?.tokenSource, 'identity_provider');
      const tokenPaths = idp.requests.slice(before).filter((entry) => entry.method === 'POST').map((entry) => entry.path);
      assert.deepEqual(tokenPaths, ['/contoso.example/oauth2/v2.0/token']);
      // Its own tenant's token is still served from the cache when no authority is given.
      assert.equal((await app.acquireTokenSilent(READ, signedIn.account))?.tokenSource, 'cache');
      await rejectsWithCode(app.acquireTokenSilent(READ, signedIn.account, { authority: `https://login.microsoftonline.com/${TENANT_ID}` }), 'invalid_argument');
    });
  });

  describe('row 3: getAuthorizationRequestUrl(responseType)', () => {
    it('sends the response_type asked for, code by default', async () => {
      const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: authority(), allowInsecureLoopbackAuthority: true });
      for (const responseType of [undefined, 'id_token'] as const) {
        const url = await app.getAuthorizationRequestUrl(READ, { responseType, redirectUri: 'http://127.0.0.1:9/', nonce: 'n-1', state: 's-1' });
        const before = idp.requests.length;
        await (await fetch(url, { redirect: 'manual' })).text();
        const received = idp.requests.slice(before).find((entry) => entry.path.endsWith('/oauth2/v2.0/authorize'));
        assert.equal(new URL(received!.url, idp.urls.origin).searchParams.get('response_type'), responseType ?? 'code');
      }
    });
  });

  describe('row 9: data (extra token-request body parameters)', () => {
    it('reaches the token endpoint; names the library sets are refused', async () => {
      const http = recordingHttpClient();
      const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: authority(), allowInsecureLoopbackAuthority: true, httpClient: http });
      const result = await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ, { data: { x_app_hint: 'parity' } });
      assert.equal(result.tokenSource, 'identity_provider');
      assert.equal(lastTokenRequest(http.sent).form.get('x_app_hint'), 'parity');
      await app.acquireTokenSilent(READ, result.account, { forceRefresh: true, data: { x_refresh_hint: 'again' } });
      assert.equal(lastTokenRequest(http.sent).form.get('x_refresh_hint'), 'again');
      for (const owned of ['client_id', 'grant_type', 'refresh_token', 'Scope']) {
        await rejectsWithCode(app.acquireTokenSilent(READ, result.account, { forceRefresh: true, data: { [owned]: 'x' } }), 'invalid_argument');
      }
    });
  });

  describe('row 8: the default HTTP client retries once after a connection error', () => {
    it('a reset discovery GET is sent again and served; a reset token POST is not re-sent', async () => {
      const proxy = await startFaultProxy();
      const proxied = await startIdp({ publicOrigin: proxy.origin });
      proxy.setUpstream(`http://127.0.0.1:${proxied.port}`);
      try {
        const discovery = `/${TENANT_ID}/v2.0/.well-known/openid-configuration`;
        const token = `/${TENANT_ID}/oauth2/v2.0/token`;
        const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: proxied.urls.entraAuthority(), allowInsecureLoopbackAuthority: true, timeout: 10_000 });
        proxy.inject({ path: discovery }, { kind: 'reset' });
        proxy.inject({ path: token, method: 'POST' }, { kind: 'reset' });
        await rejectsWithCode(app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ), 'network_error');
        assert.deepEqual(proxy.requests.filter((entry) => entry.path === discovery).map((entry) => entry.outcome), ['reset', 'forwarded']);
        assert.deepEqual(proxy.requests.filter((entry) => entry.path === token).map((entry) => entry.outcome), ['reset']);
        assert.equal(proxy.pending(), 0);
        assert.equal((await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ)).tokenSource, 'identity_provider');
      } finally {
        await proxied.close();
        await proxy.close();
      }
    });
  });

  describe('row 10: initiateDeviceFlow without scopes', () => {
    it('asks the server for the OpenID scopes alone', async () => {
      const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: authority(), allowInsecureLoopbackAuthority: true });
      const flow = await app.initiateDeviceFlow();
      assert.ok(flow.userCode && flow.deviceCode);
      assert.deepEqual([...flow.scope].sort(), ['offline_access', 'openid', 'profile']);
    });
  });

  describe('row 11: results as the README maps them from MSAL for Python', () => {
    it('carry the mapped fields and never the refresh token, which stays in the cache', async () => {
      const cache = new SerializableTokenCache();
      const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: authority(), allowInsecureLoopbackAuthority: true, tokenCache: cache });
      const result = await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
      // access_token, token_type, expires_in, id_token, id_token_claims, token_source, scope, refresh_on / ext_expires_in as dates.
      for (const field of ['accessToken', 'tokenType', 'expiresIn', 'expiresOn', 'idToken', 'idTokenClaims', 'tokenSource', 'scopes', 'account', 'correlationId'] as const) {
        assert.notEqual(result[field], undefined, field);
      }
      assert.equal(result.tokenType, 'Bearer');
      assert.ok(Array.isArray(result.scopes));
      const refreshToken = cache.findRefreshToken({ homeAccountId: result.account!.homeAccountId, environments: [result.account!.environment], clientId: PUBLIC_CLIENT_ID })!.secret;
      assert.ok(refreshToken);
      assert.ok(!JSON.stringify(result).includes(refreshToken), 'the refresh token is not in the result');
      assert.ok(!('refreshToken' in result));
      // MSAL's error dict is a thrown ServerError with the same fields, camelCased.
      const err = await app.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, 'wrong', READ).catch((e: unknown) => e);
      assert.ok(err instanceof ServerError);
      assert.equal(err.error, 'invalid_grant');
      assert.equal(typeof err.errorDescription, 'string');
    });
  });
});
