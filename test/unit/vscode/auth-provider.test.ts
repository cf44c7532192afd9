/**
 * The provider over the `vscode` stand-in, against a scripted identity provider whose issuer is
 * a host root (`https://idp.example/`, Auth0's and Okta's org server's shape), configured as the
 * README's generic examples are: no `scopes`. What VS Code asks for without scopes (the Accounts
 * menu, `authentication.getAccounts`, the menu's sign-out) lists every signed-in account from
 * the cache, and a consumer asking for OpenID scopes only gets a session. Token requests are
 * counted at the fake token endpoint.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type * as vscodeTypes from 'vscode';
import '../../support/vscode/register.js';
import { providerDependencies } from '../../support/provider-dependencies.js';
import { FakeFetch, jsonResponse, type RecordedRequest } from '../core/fakes.js';
import { stub } from '../../support/vscode/stub.js';

const { MsalAuthenticationProvider } = await import('../../../src/vscode/auth-provider.js');
const { parseSettings } = await import('../../../src/vscode/settings.js');
const { editorUi } = await import('../../../src/vscode/ui.js');
type Provider = InstanceType<typeof MsalAuthenticationProvider>;
type SignInFlow = import('../../../src/vscode/flows.js').SignInFlow;

const ORIGIN = 'https://idp.example';
/** The discovered issuer has the trailing slash; the setting may have it or not. */
const ISSUER = `${ORIGIN}/`;
const TOKEN_ENDPOINT = `${ORIGIN}/oauth/token`;
const JWKS_URI = `${ORIGIN}/.well-known/jwks.json`;
const CLIENT_ID = 'vscode';
const READ = 'api://demo/read';
/** The README's Auth0 example, pointed at the fake IdP. */
const README_ENTRY = { id: 'auth0', label: 'Auth0', issuer: ISSUER, clientId: CLIENT_ID, flow: 'deviceCode' };

const USERS = {
  alice: { sub: 'sub-alice', username: 'alice@example.com' },
  bob: { sub: 'sub-bob', username: 'bob@example.com' },
} as const;
type UserName = keyof typeof USERS;

const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };

/**
 * A root-issuer IdP on a FakeFetch: discovery, keys, and a token endpoint that answers the
 * password grant (the test flow below) and refresh tokens.
 */
class FakeRootIdp {
  readonly fetch = new FakeFetch();
  /** A refresh answers this error instead of tokens while set. */
  refuseRefresh: string | undefined;
  private readonly refreshTokens = new Map<string, UserName>();
  private issued = 0;

  constructor() {
    this.fetch
      .on(`${ORIGIN}/.well-known/openid-configuration`, jsonResponse({
        issuer: ISSUER,
        authorization_endpoint: `${ORIGIN}/authorize`,
        token_endpoint: TOKEN_ENDPOINT,
        device_authorization_endpoint: `${ORIGIN}/oauth/device/code`,
        jwks_uri: JWKS_URI,
      }))
      .on(JWKS_URI, jsonResponse(jwks))
      .on(TOKEN_ENDPOINT, (request) => this.token(request));
  }

  get tokenRequests(): number {
    return this.fetch.count(TOKEN_ENDPOINT);
  }

  private async token(request: RecordedRequest) {
    const form = new URLSearchParams(request.init.body);
    let user: UserName | undefined;
    if (form.get('grant_type') === 'password') user = form.get('username') as UserName;
    if (form.get('grant_type') === 'refresh_token') {
      if (this.refuseRefresh) return jsonResponse({ error: this.refuseRefresh }, 400);
      user = this.refreshTokens.get(form.get('refresh_token') ?? '');
    }
    if (!user || !(user in USERS)) return jsonResponse({ error: 'invalid_grant' }, 400);
    const now = Math.floor(Date.now() / 1000);
    const idToken = await new SignJWT({ preferred_username: USERS[user].username })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setSubject(USERS[user].sub)
      .setAudience(CLIENT_ID)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
    const refreshToken = `rt-${user}-${++this.issued}`;
    this.refreshTokens.set(refreshToken, user);
    return jsonResponse({
      access_token: `at-${user}-${this.issued}`,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: refreshToken,
      id_token: idToken,
      scope: grantedScope(form.get('scope') ?? ''),
    });
  }
}

/** As oidc-provider and Entra answer: the resource scopes alone when there are some, else the OpenID ones. */
function grantedScope(requested: string): string {
  const scopes = requested.split(' ').filter(Boolean);
  const resource = scopes.filter((scope) => !['openid', 'profile', 'offline_access', 'email'].includes(scope));
  return (resource.length > 0 ? resource : scopes).join(' ');
}

/** What the sign-in flow was asked for: the login hint and claims challenge of each sign-in. */
interface NextSignIn {
  user: UserName;
  asked: { loginHint?: string; claimsChallenge?: string }[];
}

/** Signs in by the password grant, as the user `next` names: the core's own write path. */
function passwordFlow(next: NextSignIn): SignInFlow {
  return {
    id: 'deviceCode',
    label: 'test flow',
    supportsRemoteExtensionHost: true,
    supportsWebWorkerExtensionHost: true,
    trigger: (context) => {
      next.asked.push({ loginHint: context.loginHint, claimsChallenge: context.claimsChallenge });
      return context.app.acquireTokenByUsernamePassword(next.user, 'password', context.scopes, { claimsChallenge: context.claimsChallenge });
    },
  };
}

interface Harness {
  provider: Provider;
  idp: FakeRootIdp;
  next: NextSignIn;
  warnings: string[];
  changes: vscodeTypes.AuthenticationProviderAuthenticationSessionsChangeEvent[];
  signIn(user: UserName, scopes: readonly string[] | undefined): Promise<vscodeTypes.AuthenticationSession>;
}

/** A provider from settings as a user writes them (`msalSignIn.oidcProviders` plus what else is given). */
function providerFrom(entry: Record<string, unknown>): Harness {
  const settings = parseSettings((key) => ({ oidcProviders: [entry] })[key]);
  const config = settings.providers.find((provider) => provider.id === entry.id);
  assert.ok(config, `the entry was refused: ${settings.problems.join('; ')}`);
  const idp = new FakeRootIdp();
  const next: NextSignIn = { user: 'alice', asked: [] };
  const warnings: string[] = [];
  const log = (message: string) => void message;
  const provider = new MsalAuthenticationProvider(
    config,
    providerDependencies(config.id, {
      httpClient: idp.fetch.fetch,
      flows: [passwordFlow(next)],
      logger: { error: log, warning: (message) => void warnings.push(message), info: log, verbose: log, trace: log },
      // The editor's notices (over the stand-in), so that a warning shows in `stub.messages`.
      ui: { warn: editorUi.warn },
    }),
  );
  const changes: Harness['changes'] = [];
  provider.onDidChangeSessions((event) => changes.push(event));
  return {
    provider,
    idp,
    next,
    warnings,
    changes,
    signIn: (user, scopes) => {
      next.user = user;
      return provider.signIn(scopes);
    },
  };
}

const labels = (sessions: readonly vscodeTypes.AuthenticationSession[]) => sessions.map((session) => session.account.label).sort();

describe('MsalAuthenticationProvider: accounts as VS Code lists them (getSessions without scopes)', () => {
  let harness: Harness;
  beforeEach(() => {
    harness = providerFrom(README_ENTRY);
  });

  test('a README entry without `scopes`: one session per signed-in account, no token request', async () => {
    const { provider, idp, signIn } = harness;
    await signIn('alice', [READ]);
    await signIn('bob', ['openid', 'profile']);
    const before = idp.tokenRequests;
    const listed = await provider.getSessions(undefined, {});
    assert.deepEqual(labels(listed), [USERS.alice.username, USERS.bob.username]);
    for (const session of listed) {
      assert.deepEqual(session.scopes, []);
      assert.equal(session.id, `${session.account.id}#`, 'one listing session per account, keyed by the account');
    }
    assert.equal(idp.tokenRequests, before, 'listing accounts asks for no token');
    const alice = listed.find((session) => session.account.label === USERS.alice.username)!;
    assert.deepEqual(labels(await provider.getSessions(undefined, { account: alice.account })), [USERS.alice.username], 'filtered by account');
  });

  test('the same whatever the `scopes` setting: an account that never got a token for it is listed', async () => {
    const { provider, idp, signIn } = (harness = providerFrom({ ...README_ENTRY, scopes: ['api://other/read'] }));
    await signIn('alice', [READ]);
    const before = idp.tokenRequests;
    assert.deepEqual(labels(await provider.getSessions(undefined, {})), [USERS.alice.username]);
    assert.equal(idp.tokenRequests, before);
  });

  test('an account whose refresh is refused gets no session for new scopes but stays listed, to be signed out of', async () => {
    const { provider, idp, signIn } = harness;
    await signIn('alice', [READ]);
    idp.refuseRefresh = 'invalid_grant';
    assert.deepEqual(await provider.getSessions(['api://demo/write'], {}), []);
    assert.deepEqual(labels(await provider.getSessions(undefined, {})), [USERS.alice.username]);
  });

  test("removing a listed session (the Accounts menu's sign-out) signs the account out and tells VS Code", async () => {
    const { provider, signIn, changes } = harness;
    await signIn('alice', [READ]);
    await signIn('bob', [READ]);
    const [alice] = (await provider.getSessions(undefined, {})).filter((session) => session.account.label === USERS.alice.username);
    changes.length = 0;
    await provider.removeSession(alice!.id);
    assert.deepEqual(labels(await provider.getSessions(undefined, {})), [USERS.bob.username]);
    assert.deepEqual(labels(await provider.getSessions([READ], {})), [USERS.bob.username], "alice's tokens are gone");
    assert.deepEqual(changes.map((event) => event.removed?.map((session) => session.account.label)), [[USERS.alice.username]]);
  });

  test('nothing signed in, or no client id configured: no account, no request beyond discovery', async () => {
    assert.deepEqual(await harness.provider.getSessions(undefined, {}), []);
    const unconfigured = providerFrom({ ...README_ENTRY, clientId: '' });
    assert.deepEqual(await unconfigured.provider.getSessions(undefined, {}), []);
    assert.equal(unconfigured.idp.fetch.requests.length, 0);
  });
});

describe('MsalAuthenticationProvider: a consumer asking for OpenID scopes only', () => {
  test('signed in for OpenID scopes only: [] and [openid, profile] are served from the cache', async () => {
    const { provider, idp, signIn, warnings } = providerFrom(README_ENTRY);
    const signedIn = await signIn('alice', ['openid', 'profile']);
    const before = idp.tokenRequests;
    const none = await provider.getSessions([], {});
    assert.deepEqual(labels(none), [USERS.alice.username], `no session for []; warnings: ${warnings.join('; ')}`);
    assert.equal(none[0]!.accessToken, signedIn.accessToken, "the sign-in's token");
    const openId = await provider.getSessions(['profile', 'openid'], {});
    assert.deepEqual(labels(openId), [USERS.alice.username]);
    assert.deepEqual(openId[0]!.scopes, ['openid', 'profile']);
    assert.equal(openId[0]!.id, signedIn.id, 'OpenID scopes in any order are the same session');
    assert.equal(idp.tokenRequests, before, 'from the cache, no request');
  });

  test('signed in for a resource: an OpenID-only request gets a session, at most one refresh, then the cache', async () => {
    const { provider, idp, signIn, warnings } = providerFrom(README_ENTRY);
    await signIn('alice', [READ]);
    const before = idp.tokenRequests;
    assert.deepEqual(labels(await provider.getSessions(['openid'], {})), [USERS.alice.username], `warnings: ${warnings.join('; ')}`);
    const afterFirst = idp.tokenRequests;
    assert.ok(afterFirst - before <= 1, `${afterFirst - before} token requests for the first`);
    assert.deepEqual(labels(await provider.getSessions([], {})), [USERS.alice.username]);
    assert.deepEqual(labels(await provider.getSessions(['openid', 'profile'], {})), [USERS.alice.username]);
    assert.equal(idp.tokenRequests, afterFirst, 'the next ones from the cache');
  });

  test('with a `scopes` setting, OpenID scopes only ask for it (as the README says)', async () => {
    const { provider, idp, signIn } = providerFrom({ ...README_ENTRY, scopes: [READ] });
    const signedIn = await signIn('alice', undefined);
    const before = idp.tokenRequests;
    const [session] = await provider.getSessions(['openid'], {});
    assert.equal(session?.accessToken, signedIn.accessToken);
    assert.equal(idp.tokenRequests, before);
  });
});

/** The `claims` of each token request, in order (undefined for none). */
function claimsSent(idp: FakeRootIdp, from = 0): (string | undefined)[] {
  return idp.fetch.requests
    .filter((request) => request.url === TOKEN_ENDPOINT)
    .slice(from)
    .map((request) => new URLSearchParams(request.init.body).get('claims') ?? undefined);
}

const ACRS = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
const CLAIMS_CHALLENGE = { scheme: 'Bearer', params: { realm: '', error: 'insufficient_claims', claims: Buffer.from(ACRS).toString('base64') } };

describe('MsalAuthenticationProvider: challenge requests (VS Code 1.105+)', () => {
  test('a claims challenge: each account refreshed with the claims, never its cached token', async () => {
    const { provider, idp, signIn } = providerFrom(README_ENTRY);
    const alice = await signIn('alice', [READ]);
    const bob = await signIn('bob', [READ]);
    const from = idp.tokenRequests;
    const sessions = await provider.getSessionsFromChallenges({ challenges: [CLAIMS_CHALLENGE], fallbackScopes: [READ] }, {});
    assert.deepEqual(labels(sessions), [USERS.alice.username, USERS.bob.username]);
    assert.deepEqual(claimsSent(idp, from), [ACRS, ACRS], 'one refresh per account, with the claims');
    assert.ok(sessions.every((session) => session.accessToken !== alice.accessToken && session.accessToken !== bob.accessToken), 'no cached token');
    assert.equal(sessions.find((session) => session.account.label === USERS.alice.username)?.id, alice.id, 'the same session, with a new token');
    const [onlyBob] = await provider.getSessionsFromChallenges({ challenges: [CLAIMS_CHALLENGE], fallbackScopes: [READ] }, { account: bob.account });
    assert.equal(onlyBob?.account.label, USERS.bob.username);
  });

  test('a refused refresh leaves the account out, for createSessionFromChallenges to sign in with the claims', async () => {
    const { provider, idp, signIn, next } = providerFrom(README_ENTRY);
    await signIn('alice', [READ]);
    idp.refuseRefresh = 'interaction_required';
    assert.deepEqual(await provider.getSessionsFromChallenges({ challenges: [CLAIMS_CHALLENGE], fallbackScopes: [READ] }, {}), []);
    idp.refuseRefresh = undefined;
    const from = idp.tokenRequests;
    next.user = 'alice';
    const session = await provider.createSessionFromChallenges({ challenges: [CLAIMS_CHALLENGE], fallbackScopes: [READ] }, {});
    assert.equal(session.account.label, USERS.alice.username);
    assert.deepEqual(session.scopes, [READ]);
    assert.equal(next.asked.at(-1)?.claimsChallenge, ACRS);
    assert.deepEqual(claimsSent(idp, from), [ACRS]);
  });

  test('only `scope`, or only fallback scopes: the ordinary session, from the cache', async () => {
    const { provider, idp, signIn } = providerFrom(README_ENTRY);
    const signedIn = await signIn('alice', [READ]);
    const before = idp.tokenRequests;
    const [byScope] = await provider.getSessionsFromChallenges({ challenges: [{ scheme: 'Bearer', params: { realm: '', scope: READ } }], fallbackScopes: ['ignored'] }, {});
    const [byFallback] = await provider.getSessionsFromChallenges({ challenges: [{ scheme: 'Bearer', params: { realm: '' } }], fallbackScopes: [READ] }, {});
    for (const session of [byScope, byFallback]) {
      assert.equal(session?.id, signedIn.id);
      assert.equal(session?.accessToken, signedIn.accessToken);
    }
    assert.equal(idp.tokenRequests, before);
  });
});

describe('MsalAuthenticationProvider: sessions for a chosen account', () => {
  test('getSessions({ account }) returns that account only, named by id or by user name', async () => {
    const { provider, signIn } = providerFrom(README_ENTRY);
    const alice = await signIn('alice', [READ]);
    await signIn('bob', [READ]);
    assert.deepEqual(labels(await provider.getSessions([READ], { account: alice.account })), [USERS.alice.username]);
    assert.deepEqual(labels(await provider.getSessions([READ], { account: { id: 'unknown', label: 'BOB@example.com' } })), [USERS.bob.username]);
    assert.deepEqual(await provider.getSessions([READ], { account: { id: 'unknown', label: 'carol@example.com' } }), []);
  });

  test('createSession({ account }) signs in with its name as login hint; as someone else, the person is told', async () => {
    const { provider, next } = providerFrom(README_ENTRY);
    stub.messages.length = 0;
    next.user = 'bob';
    const bob = await provider.createSession([READ], { account: { id: 'not-yet', label: USERS.bob.username } });
    assert.equal(bob.account.label, USERS.bob.username);
    assert.equal(next.asked.at(-1)?.loginHint, USERS.bob.username);
    assert.equal(stub.messages.length, 0, 'the account asked for: nothing to say');
    next.user = 'alice';
    const alice = await provider.createSession([READ], { account: bob.account });
    assert.equal(alice.account.label, USERS.alice.username, 'the session is for who signed in');
    assert.deepEqual(stub.messages.map((message) => [message.severity, message.message]), [
      ['warning', `You signed in to Auth0 as ${USERS.alice.username}, not as ${USERS.bob.username}, the account that was asked for.`],
    ]);
  });
});
