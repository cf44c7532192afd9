/**
 * ConfidentialClientApplication against the Entra-shaped IdP: client credentials with a secret,
 * a certificate (private_key_jwt signed by jose) and a caller's assertion; on-behalf-of.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { importPKCS8, SignJWT } from 'jose';
import { ServerError } from '../../src/core/errors.js';
import { ConfidentialClientApplication, PublicClientApplication } from '../../src/node/applications.js';
import {
  ACCOUNTS,
  CONFIDENTIAL_CERT_CLIENT_ID,
  CONFIDENTIAL_CLIENT_SECRET,
  CONFIDENTIAL_SECRET_CLIENT_ID,
  DEMO_API_SCOPES,
  DOWNSTREAM_API_SCOPES,
  type Idp,
  PUBLIC_CLIENT_ID,
  startIdp,
} from '../idp/server.js';
import { lastTokenRequest, recordingHttpClient, tokenRequestCount } from './fixture.js';

describe('ConfidentialClientApplication', () => {
  let idp: Idp;
  before(async () => {
    idp = await startIdp();
  });
  after(() => idp.close());

  const authority = () => idp.urls.entraAuthority();

  it('gets an app-only token with a secret, then serves it from the cache', async () => {
    const app = new ConfidentialClientApplication({ clientId: CONFIDENTIAL_SECRET_CLIENT_ID, clientCredential: CONFIDENTIAL_CLIENT_SECRET, authority: authority(), allowInsecureLoopbackAuthority: true });
    const first = await app.acquireTokenForClient([DEMO_API_SCOPES.default]);
    assert.equal(first.tokenSource, 'identity_provider');
    assert.equal(first.account, undefined);
    const introspection = await idp.introspect(first.accessToken);
    assert.equal(introspection.active, true);
    assert.equal(introspection.aud, 'api://demo');
    const before = tokenRequestCount(idp);
    const second = await app.acquireTokenForClient([DEMO_API_SCOPES.default]);
    assert.equal(second.tokenSource, 'cache');
    assert.equal(second.accessToken, first.accessToken);
    assert.equal(tokenRequestCount(idp), before);
    await app.removeTokensForClient();
    assert.equal((await app.acquireTokenForClient([DEMO_API_SCOPES.default])).tokenSource, 'identity_provider');
  });

  it('refuses a wrong secret with a typed error', async () => {
    const app = new ConfidentialClientApplication({ clientId: CONFIDENTIAL_SECRET_CLIENT_ID, clientCredential: 'wrong', authority: authority(), allowInsecureLoopbackAuthority: true });
    await assert.rejects(app.acquireTokenForClient([DEMO_API_SCOPES.default]), (err: unknown) => err instanceof ServerError && err.error === 'invalid_client' && err.status === 401);
  });

  for (const variant of ['sha1', 'sha256'] as const) {
    it(`authenticates with a certificate (${variant} thumbprint, x5c, client claims)`, async () => {
      const cert = idp.clientCertificate;
      const http = recordingHttpClient();
      const app = new ConfidentialClientApplication({
        clientId: CONFIDENTIAL_CERT_CLIENT_ID,
        clientCredential: {
          privateKey: cert.privateKeyPem,
          ...(variant === 'sha1' ? { thumbprint: cert.thumbprintSha1Hex } : { thumbprintSha256: cert.thumbprintSha256Hex }),
          publicCertificate: cert.certificatePem,
        },
        clientClaims: { client_ip: '127.0.0.1' },
        authority: authority(),
        allowInsecureLoopbackAuthority: true,
        httpClient: http,
      });
      const result = await app.acquireTokenForClient([DEMO_API_SCOPES.default]);
      assert.equal((await idp.introspect(result.accessToken)).active, true);
      const tokenRequest = lastTokenRequest(http.sent);
      const assertion = tokenRequest.form.get('client_assertion')!;
      const header = JSON.parse(Buffer.from(assertion.split('.')[0], 'base64url').toString());
      const payload = JSON.parse(Buffer.from(assertion.split('.')[1], 'base64url').toString());
      assert.equal(header.alg, variant === 'sha1' ? 'RS256' : 'PS256');
      assert.ok(variant === 'sha1' ? header.x5t : header['x5t#S256']);
      assert.equal(header.x5c.length, 1);
      assert.equal(payload.client_ip, '127.0.0.1');
      assert.equal(payload.aud, tokenRequest.url);
    });
  }

  it('authenticates with a caller-made assertion, made fresh for each request', async () => {
    const key = await importPKCS8(idp.clientCertificate.privateKeyPem, 'RS256');
    let made = 0;
    const app = new ConfidentialClientApplication({
      clientId: CONFIDENTIAL_CERT_CLIENT_ID,
      clientCredential: {
        clientAssertion: async () => {
          made += 1;
          const tokenEndpoint = `${authority()}/oauth2/v2.0/token`;
          return new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuer(CONFIDENTIAL_CERT_CLIENT_ID).setSubject(CONFIDENTIAL_CERT_CLIENT_ID)
            .setAudience(tokenEndpoint).setJti(crypto.randomUUID()).setIssuedAt().setExpirationTime('5m').sign(key);
        },
      },
      authority: authority(),
      allowInsecureLoopbackAuthority: true,
    });
    await app.acquireTokenForClient([DEMO_API_SCOPES.default]);
    await app.acquireTokenForClient([DEMO_API_SCOPES.default], { forceRefresh: true });
    assert.equal(made, 2);
  });

  it('exchanges a user token on behalf of the user for a downstream API', async () => {
    const user = await new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, authority: authority(), allowInsecureLoopbackAuthority: true })
      .acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, [DEMO_API_SCOPES.read]);
    const api = new ConfidentialClientApplication({ clientId: CONFIDENTIAL_SECRET_CLIENT_ID, clientCredential: CONFIDENTIAL_CLIENT_SECRET, authority: authority(), allowInsecureLoopbackAuthority: true });
    const downstream = await api.acquireTokenOnBehalfOf(user.accessToken, [DOWNSTREAM_API_SCOPES.read]);
    const introspection = await idp.introspect(downstream.accessToken);
    assert.equal(introspection.aud, 'api://downstream');
    assert.equal(introspection.sub, ACCOUNTS.alice.sub);
    assert.equal(downstream.account?.username, ACCOUNTS.alice.email);
    await assert.rejects(api.acquireTokenOnBehalfOf('not-a-jwt', [DOWNSTREAM_API_SCOPES.read]), (err: unknown) => err instanceof ServerError && err.error === 'invalid_grant');
  });
});
