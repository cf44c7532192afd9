/**
 * The failures a new user meets, produced for real against the local identity provider through
 * the extension's own HTTP client, and the one message each becomes (src/vscode/user-errors.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PublicClientApplication } from '../../src/core/index.js';
import { ServerError } from '../../src/core/errors.js';
import { createBuiltinHttpClient } from '../../src/node/builtin-http.js';
import { explainSignInError, type UserErrorContext } from '../../src/vscode/user-errors.js';
import { completeAuthorization } from '../idp/headless-login.js';
import { type Idp, PUBLIC_CLIENT_ID, startIdp } from '../idp/server.js';
import { findClosedPort } from '../support/servers.js';

const t = (message: string, ...args: string[]) => message.replace(/\{(\d+)\}/g, (_, index: string) => args[Number(index)]);
const READ = ['api://demo/read'];

describe('sign-in failures against the real identity provider, explained', () => {
  let idp: Idp;
  before(async () => {
    idp = await startIdp();
  });
  after(() => idp.close());

  const httpClient = createBuiltinHttpClient({ timeout: 5_000 });
  const appFor = (issuer: string, clientId = PUBLIC_CLIENT_ID) =>
    new PublicClientApplication({ clientId, oidcAuthority: issuer, allowInsecureLoopbackAuthority: true, httpClient });
  const context = (issuer: string): UserErrorContext => ({ providerLabel: 'Local', clientIdSetting: 'msalSignIn.oidcProviders', issuerSetting: 'msalSignIn.oidcProviders', issuer });

  /** The error `promise` rejects with, explained. */
  async function explainFailure(promise: Promise<unknown>, issuer: string) {
    const err = await promise.then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    return explainSignInError(err, context(issuer), t);
  }

  it('unknown client id: invalid_client, with the setting to fix', async () => {
    const explained = await explainFailure(appFor(idp.urls.oidcIssuer, 'no-such-client').initiateDeviceFlow(READ), idp.urls.oidcIssuer);
    assert.equal(explained?.next, 'openSettings');
    assert.match(explained!.message, /Local does not accept the client id\..*msalSignIn\.oidcProviders/);
  });

  it('consent declined: access_denied, sign in again and accept', async () => {
    const app = appFor(idp.urls.oidcIssuer);
    const flow = await app.initiateAuthCodeFlow(['api://demo/write'], { redirectUri: 'http://127.0.0.1/callback' });
    const redirect = await completeAuthorization(flow.authUri, { account: 'alice', consent: false });
    const explained = await explainFailure(app.acquireTokenByAuthCodeFlow(flow, Object.fromEntries(redirect.searchParams)), idp.urls.oidcIssuer);
    assert.match(explained!.message, /Sign-in to Local was declined\. Sign in again and accept/);
  });

  it('unreachable issuer: could not reach, check the URL and the proxy', async () => {
    const issuer = `http://127.0.0.1:${await findClosedPort()}/oidc`;
    const explained = await explainFailure(appFor(issuer).initiateDeviceFlow(READ), issuer);
    assert.equal(explained?.next, 'openSettings');
    assert.match(explained!.message, new RegExp(`Could not reach Local at ${issuer.replace(/[.]/g, '\\.')}\\. Check the URL`));
  });

  it('wrong issuer URL: not an OpenID Connect issuer, check the URL', async () => {
    const issuer = `${idp.urls.origin}/not-the-issuer`;
    const explained = await explainFailure(appFor(issuer).initiateDeviceFlow(READ), issuer);
    assert.match(explained!.message, /does not answer as an OpenID Connect issuer/);
  });

  it('redirect URI not registered: the identity provider stops at its own error page', async () => {
    // Neither oidc-provider nor Entra redirects back with an unregistered redirect URI (that would
    // hand the code to a stranger): the browser shows the error and the extension hears nothing.
    // The page names the OAuth error the message table maps.
    const app = appFor(idp.urls.oidcIssuer);
    const flow = await app.initiateAuthCodeFlow(READ, { redirectUri: 'http://127.0.0.1:9/not-registered' });
    const page = await fetch(flow.authUri, { redirect: 'manual' });
    const html = await page.text();
    assert.equal(page.status, 400);
    const error = /invalid_redirect_uri/.exec(html)?.[0];
    assert.equal(error, 'invalid_redirect_uri');
    // Identity providers that do answer with it (a token endpoint, a redirect) get this message:
    const explained = explainSignInError(new ServerError({ error }), context(idp.urls.oidcIssuer), t);
    assert.match(explained!.message, /refused the redirect URI\. Register http:\/\/127\.0\.0\.1/);
  });
});
