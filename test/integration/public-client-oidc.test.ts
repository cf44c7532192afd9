/**
 * PublicClientApplication against a generic OpenID Connect issuer (`oidcAuthority`): no
 * client_info, no tenant, accounts keyed by `sub`, a device endpoint without `interval`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthError } from '../../src/core/errors.js';
import { PublicClientApplication } from '../../src/node/applications.js';
import { completeDeviceAuthorization } from '../idp/headless-login.js';
import { ACCOUNTS, type Idp, PUBLIC_CLIENT_ID, startIdp } from '../idp/server.js';
import { headlessBrowser, tokenRequestCount } from './fixture.js';

const READ = ['api://demo/read'];

describe('PublicClientApplication on a generic OpenID Connect issuer', () => {
  let idp: Idp;
  before(async () => {
    idp = await startIdp();
  });
  after(() => idp.close());

  const makeApp = () => new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, oidcAuthority: idp.urls.oidcIssuer, allowInsecureLoopbackAuthority: true });

  it('signs in interactively; the account is keyed by sub and the issuer is checked', async () => {
    const app = makeApp();
    const result = await app.acquireTokenInteractive(READ, { openBrowser: headlessBrowser('alice').open, timeout: 15_000 });
    assert.equal(result.account?.homeAccountId, ACCOUNTS.alice.sub);
    assert.equal(result.idTokenClaims?.iss, idp.urls.oidcIssuer);
    assert.equal(result.account?.environment, new URL(idp.urls.origin).host);
    const [account] = await app.getAccounts();
    assert.equal(account.username, ACCOUNTS.alice.email);
    const before = tokenRequestCount(idp);
    assert.equal((await app.acquireTokenSilent(READ, account))?.tokenSource, 'cache');
    assert.equal((await app.acquireTokenSilent(READ, account, { forceRefresh: true }))?.tokenSource, 'identity_provider');
    assert.equal(tokenRequestCount(idp), before + 1);
  });

  it('polls the device flow at the RFC 8628 default interval when the server names none', async () => {
    const app = makeApp();
    const flow = await app.initiateDeviceFlow(READ);
    assert.equal(flow.interval, 5);
    const started = Date.now();
    const [result] = await Promise.all([
      app.acquireTokenByDeviceFlow(flow),
      completeDeviceAuthorization(flow.verificationUri, flow.userCode, 'bob'),
    ]);
    assert.equal(result.account?.username, ACCOUNTS.bob.email);
    assert.ok(Date.now() - started >= 4_900, 'the first poll waited for the interval');
  });

  it('refuses an authority whose discovery document names another issuer', async () => {
    // The Entra face's discovery speaks for another issuer than this URL.
    const app = new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, oidcAuthority: `${idp.urls.origin}/common/v2.0`, allowInsecureLoopbackAuthority: true });
    await assert.rejects(app.getAccounts(), (err: unknown) => err instanceof AuthError && err.code === 'discovery_failed');
  });

  it('refuses an http authority unless loopback http is allowed explicitly', () => {
    assert.throws(() => new PublicClientApplication({ clientId: PUBLIC_CLIENT_ID, oidcAuthority: idp.urls.oidcIssuer }), (err: unknown) => {
      return err instanceof AuthError && err.code === 'invalid_authority';
    });
  });
});
