/**
 * Runs every flow against the real IdP with the logger at its most verbose and PII logging off,
 * collects every secret the run handled (tokens, codes, verifiers, device and user codes, state,
 * nonce, passwords, client secrets and assertions) from what was sent, what came back and what
 * the IdP saw, and asserts that none of them, nor the user's names and ids, is in the log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { importPKCS8, SignJWT } from 'jose';
import type { AuthenticationResult } from '../../src/core/account.js';
import { SerializableTokenCache } from '../../src/core/cache/serializable-token-cache.js';
import type { FetchLike } from '../../src/core/http.js';
import type { Logger } from '../../src/core/logger.js';
import { ConfidentialClientApplication, PublicClientApplication } from '../../src/node/applications.js';
import { createNodeHttpClient } from '../../src/node/http-client.js';
import { completeAuthorization, completeDeviceAuthorization } from '../idp/headless-login.js';
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

const READ: string[] = [DEMO_API_SCOPES.read];

/** Parameters and JSON members whose values are secrets wherever they appear. */
const SECRET_NAMES = new Set([
  'code', 'state', 'nonce', 'code_verifier', 'code_challenge', 'device_code', 'user_code', 'xsrf',
  'access_token', 'refresh_token', 'id_token', 'client_secret', 'client_assertion', 'assertion', 'password',
]);

/** Every value worth searching for: the whole secret and, for a JWT, its payload and signature. */
class SecretSet {
  readonly values = new Set<string>();

  add(value: unknown): void {
    if (typeof value !== 'string' || value.length < 6) return;
    this.values.add(value);
    const parts = value.split('.');
    if (parts.length === 3) for (const part of parts.slice(1)) if (part.length >= 16) this.values.add(part);
  }

  addNamed(entries: Iterable<[string, unknown]>): void {
    for (const [name, value] of entries) if (SECRET_NAMES.has(name)) this.add(value);
  }

  addResult(result: AuthenticationResult | undefined): void {
    this.add(result?.accessToken);
    this.add(result?.idToken);
  }
}

/** Every line any level of the logger received. */
function capturingLogger(lines: string[]): Logger {
  const at = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { error: at('error'), warning: at('warning'), info: at('info'), verbose: at('verbose'), trace: at('trace') };
}

/** The Node HTTP client, handing every form field sent and JSON member received to `secrets`. */
function collectingHttpClient(secrets: SecretSet): FetchLike {
  const inner = createNodeHttpClient({ timeout: 15_000 });
  return async (url, init) => {
    secrets.addNamed(new URLSearchParams(init.body ?? ''));
    secrets.addNamed(new URL(url).searchParams);
    const response = await inner(url, init);
    const text = await response.text();
    try {
      const body = JSON.parse(text) as unknown;
      if (body && typeof body === 'object') secrets.addNamed(Object.entries(body));
    } catch {
      // Not JSON: nothing named to collect.
    }
    return { status: response.status, headers: response.headers, text: async () => text };
  };
}

/** Refresh tokens and every other credential secret held in a cache. */
function addCacheSecrets(secrets: SecretSet, cache: SerializableTokenCache): void {
  const root = JSON.parse(cache.serialize()) as Record<string, Record<string, { secret?: unknown }>>;
  for (const section of Object.values(root)) for (const entry of Object.values(section ?? {})) secrets.add(entry?.secret);
}

describe('no secret reaches the log, at the most verbose level with PII logging off', () => {
  let idp: Idp;
  const lines: string[] = [];
  const secrets = new SecretSet();
  const http = collectingHttpClient(secrets);
  const logger = capturingLogger(lines);
  const caches: SerializableTokenCache[] = [];
  /** Awaits a rejection and scans its message with the log: the extension logs error messages. */
  const refused = async (promise: Promise<unknown>, what?: string) => {
    await assert.rejects(promise, (err: unknown) => {
      lines.push(`thrown ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      return true;
    }, what);
  };

  before(async () => {
    // Polls every second, so the device flow takes one or two.
    idp = await startIdp({ devicePollInterval: 1 });
  });
  after(() => idp.close());

  const common = () => ({ authority: idp.urls.entraAuthority(), allowInsecureLoopbackAuthority: true, httpClient: http, logger, enablePiiLog: false });
  const publicApp = () => {
    const tokenCache = new SerializableTokenCache();
    caches.push(tokenCache);
    return new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, tokenCache, ...common() });
  };
  const confidentialApp = (clientId: string, clientCredential: ConstructorParameters<typeof ConfidentialClientApplication>[0]['clientCredential']) => {
    const tokenCache = new SerializableTokenCache();
    caches.push(tokenCache);
    return new ConfidentialClientApplication({ clientId, clientCredential, tokenCache, ...common() });
  };

  it('runs every flow', async () => {
    // Interactive sign-in through the loopback listener; the redirect's values are secrets too.
    const interactive = publicApp();
    const signedIn = await interactive.acquireTokenInteractive(READ, {
      timeout: 15_000,
      openBrowser: async (authUri) => {
        secrets.addNamed(new URL(authUri).searchParams);
        const redirect = await completeAuthorization(authUri, { account: 'alice' });
        secrets.addNamed(redirect.searchParams);
        await (await fetch(redirect)).text();
      },
    });
    secrets.addResult(signedIn);
    const account = signedIn.account!;
    // Silent: from the cache, then by the refresh token (a refused refresh follows below).
    secrets.addResult(await interactive.acquireTokenSilent(READ, account));
    secrets.addResult(await interactive.acquireTokenSilent(READ, account, { forceRefresh: true }));

    // The auth-code flow by hand, with a forged state first.
    const byHand = publicApp();
    const flow = await byHand.initiateAuthCodeFlow(READ, { redirectUri: 'http://127.0.0.1/callback', loginHint: ACCOUNTS.bob.email });
    secrets.add(flow.codeVerifier);
    secrets.add(flow.state);
    secrets.add(flow.nonce);
    const redirect = await completeAuthorization(flow.authUri, { account: 'bob' });
    const response = Object.fromEntries(redirect.searchParams);
    secrets.addNamed(Object.entries(response));
    secrets.add('forged-state-value');
    await refused(byHand.acquireTokenByAuthCodeFlow(flow, { ...response, state: 'forged-state-value' }));
    secrets.addResult(await byHand.acquireTokenByAuthCodeFlow(flow, response));
    await refused(byHand.acquireTokenByAuthCodeFlow(flow, response), 'a replayed code is refused');

    // Device code.
    const device = publicApp();
    const deviceFlow = await device.initiateDeviceFlow(READ);
    secrets.add(deviceFlow.deviceCode);
    secrets.add(deviceFlow.userCode);
    const [deviceResult] = await Promise.all([
      device.acquireTokenByDeviceFlow(deviceFlow),
      completeDeviceAuthorization(deviceFlow.verificationUri, deviceFlow.userCode, 'bob'),
    ]);
    secrets.addResult(deviceResult);

    // Username and password, a wrong password first.
    const password = publicApp();
    secrets.add(ACCOUNTS.alice.password);
    await refused(password.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, 'wrong-password-value', READ));
    secrets.add('wrong-password-value');
    const userToken = await password.acquireTokenByUsernamePassword(ACCOUNTS.alice.email, ACCOUNTS.alice.password, READ);
    secrets.addResult(userToken);

    // Refresh-token migration into a new app, then the old refresh token replayed (refused).
    addCacheSecrets(secrets, caches[0]!);
    const interactiveRefreshToken = JSON.parse(caches[0]!.serialize()).RefreshToken as Record<string, { secret: string }>;
    const oldRefreshToken = Object.values(interactiveRefreshToken)[0]!.secret;
    const migrated = publicApp();
    secrets.addResult(await migrated.acquireTokenByRefreshToken(oldRefreshToken, READ));
    await refused(publicApp().acquireTokenByRefreshToken(oldRefreshToken, READ), 'a rotated refresh token is refused');
    // The first app's refresh token was that one: its silent refresh is refused now, and says so in the log.
    assert.equal(await interactive.acquireTokenSilent(READ, account, { forceRefresh: true }), undefined);

    // Client credentials with a secret (a wrong one first), a certificate and a caller's assertion.
    secrets.add(CONFIDENTIAL_CLIENT_SECRET);
    await refused(confidentialApp(CONFIDENTIAL_SECRET_CLIENT_ID, 'wrong-client-secret').acquireTokenForClient([DEMO_API_SCOPES.default]));
    secrets.add('wrong-client-secret');
    const withSecret = confidentialApp(CONFIDENTIAL_SECRET_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET);
    secrets.addResult(await withSecret.acquireTokenForClient([DEMO_API_SCOPES.default]));
    const cert = idp.clientCertificate;
    for (const line of cert.privateKeyPem.split('\n')) if (!line.startsWith('-----')) secrets.add(line);
    const withCertificate = confidentialApp(CONFIDENTIAL_CERT_CLIENT_ID, { privateKey: cert.privateKeyPem, thumbprint: cert.thumbprintSha1Hex, publicCertificate: cert.certificatePem });
    secrets.addResult(await withCertificate.acquireTokenForClient([DEMO_API_SCOPES.default]));
    const key = await importPKCS8(cert.privateKeyPem, 'RS256');
    const tokenEndpoint = `${idp.urls.entraAuthority()}/oauth2/v2.0/token`;
    const withAssertion = confidentialApp(CONFIDENTIAL_CERT_CLIENT_ID, {
      clientAssertion: () =>
        new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuer(CONFIDENTIAL_CERT_CLIENT_ID).setSubject(CONFIDENTIAL_CERT_CLIENT_ID)
          .setAudience(tokenEndpoint).setJti(crypto.randomUUID()).setIssuedAt().setExpirationTime('5m').sign(key),
    });
    secrets.addResult(await withAssertion.acquireTokenForClient([DEMO_API_SCOPES.default]));

    // On behalf of the password user, then with a bad assertion.
    const api = confidentialApp(CONFIDENTIAL_SECRET_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET);
    secrets.addResult(await api.acquireTokenOnBehalfOf(userToken.accessToken, [DOWNSTREAM_API_SCOPES.read]));
    secrets.add('not-a-jwt-assertion');
    await refused(api.acquireTokenOnBehalfOf('not-a-jwt-assertion', [DOWNSTREAM_API_SCOPES.read]));

    // Signing out logs too.
    await interactive.removeAccount(account);

    for (const cache of caches) addCacheSecrets(secrets, cache);
    // What the IdP received: authorization requests, device pages and forms carry state, nonce, user codes.
    for (const request of idp.requests) secrets.addNamed(new URL(request.url, idp.urls.origin).searchParams);
  });

  it('the log is not empty and holds none of the secrets', () => {
    assert.ok(lines.length >= 10, `only ${lines.length} log lines: the scan would prove little`);
    assert.ok(lines.some((line) => line.startsWith('verbose')), 'verbose lines were captured');
    assert.ok(secrets.values.size >= 40, `only ${secrets.values.size} secrets collected`);
    // A failure shows the lines that leaked with the secret masked: the report must not leak it again.
    const leaks = lines.flatMap((line) => {
      const found = [...secrets.values].filter((secret) => line.includes(secret));
      return found.length === 0 ? [] : [found.reduce((masked, secret) => masked.replaceAll(secret, `<secret of ${secret.length} chars>`), line)];
    });
    assert.deepEqual(leaks, [], 'log lines holding secrets');
  });

  it('holds no personal data either: names, emails and account ids', () => {
    const log = lines.join('\n');
    for (const user of [ACCOUNTS.alice, ACCOUNTS.bob]) {
      for (const value of [user.email, user.sub, user.name]) assert.ok(!log.includes(value), `the log holds ${value}`);
    }
  });
});
