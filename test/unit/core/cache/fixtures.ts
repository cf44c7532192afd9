/** Token responses, ID tokens and msal-node harnesses shared by the cache tests. */
import * as msal from '@azure/msal-node';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { AuthError } from '../../../../src/core/errors.js';
import type { TokenEvent } from '../../../../src/core/cache/index.js';

export const NOW = 1_700_000_000;
export const TENANT = 'f645ad92-e38d-4d1a-b510-d1b09a74a8ca';
export const OID = '00000000-0000-0000-66f3-3332eca7ea81';
export const HOME = `${OID}.${TENANT}`;
export const CLIENT = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
export const AUTHORITY_HOST = 'login.microsoftonline.com';
export const ALIASES = ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'];
/** A tenant's token endpoint: MSAL for Python files tokens under its first path segment, the tenant. */
export const ENTRA_TOKEN_ENDPOINT = `https://${AUTHORITY_HOST}/${TENANT}/oauth2/v2.0/token`;

export function b64u(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned JWT carrying `claims` (the cache decodes ID tokens without verifying them). */
export function idToken(claims: Record<string, unknown>): string {
  return `${b64u({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${b64u(claims)}.c2lnbmF0dXJl`;
}

export function clientInfo(uid: string, utid: string): string {
  return b64u({ uid, utid });
}

export interface EntraUser {
  oid: string;
  tid: string;
  username: string;
  name?: string;
}

export const ALICE: EntraUser = { oid: OID, tid: TENANT, username: 'Alice@Contoso.com', name: 'Alice Liddell' };

export function entraIdToken(user: EntraUser = ALICE, clientId = CLIENT): string {
  return idToken({
    iss: `https://login.microsoftonline.com/${user.tid}/v2.0`,
    aud: clientId,
    sub: `sub-of-${user.oid}`,
    oid: user.oid,
    tid: user.tid,
    preferred_username: user.username,
    name: user.name,
    iat: NOW,
    nbf: NOW,
    exp: NOW + 3600,
    ver: '2.0',
  });
}

/** What Entra's v2 token endpoint answers to an authorization code redemption with client_info=1. */
export function entraResponse(overrides: Record<string, unknown> = {}, user: EntraUser = ALICE): Record<string, unknown> {
  return {
    token_type: 'Bearer',
    scope: 'https://graph.microsoft.com/User.Read https://graph.microsoft.com/Mail.Read profile openid email',
    expires_in: 4370,
    ext_expires_in: 7200,
    refresh_in: 2185,
    access_token: `at-${user.oid}`,
    refresh_token: `rt-${user.oid}`,
    id_token: entraIdToken(user),
    client_info: clientInfo(user.oid, user.tid),
    foci: '1',
    ...overrides,
  };
}

export function entraEvent(overrides: Partial<TokenEvent> = {}, response?: Record<string, unknown>): TokenEvent {
  return {
    clientId: CLIENT,
    scope: ['https://graph.microsoft.com/User.Read', 'https://graph.microsoft.com/Mail.Read'],
    tokenEndpoint: ENTRA_TOKEN_ENDPOINT,
    response: response ?? entraResponse(),
    grantType: 'authorization_code',
    ...overrides,
  };
}

export function assertAuthError(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AuthError, `expected an AuthError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

// ------------------------------------------------------------------ msal-node harness

interface NetworkResponse<T> {
  headers: Record<string, string>;
  body: T;
  status: number;
}

/**
 * A network client for msal-node that answers Entra's instance discovery, OpenID configuration
 * and token endpoint offline: the token endpoint returns `tokenResponse`.
 */
export function fakeEntraNetwork(tokenResponse: () => Record<string, unknown>) {
  const openIdConfiguration = (tenant: string) => ({
    issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
    authorization_endpoint: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`,
    token_endpoint: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
    end_session_endpoint: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/logout`,
    jwks_uri: `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`,
  });
  const posts: string[] = [];
  return {
    posts,
    async sendGetRequestAsync<T>(url: string): Promise<NetworkResponse<T>> {
      if (url.includes('/discovery/instance')) {
        const body = {
          tenant_discovery_endpoint: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
          'api-version': '1.1',
          metadata: [{ preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: ALIASES }],
        };
        return { status: 200, headers: {}, body: body as T };
      }
      const tenant = /login\.microsoftonline\.com\/([^/]+)\//.exec(url)?.[1] ?? 'common';
      return { status: 200, headers: {}, body: openIdConfiguration(tenant === 'common' || tenant === 'organizations' ? '{tenantid}' : tenant) as T };
    },
    async sendPostRequestAsync<T>(url: string): Promise<NetworkResponse<T>> {
      posts.push(url);
      return { status: 200, headers: {}, body: tokenResponse() as T };
    },
  };
}

export function msalNodePublicClient(clientId: string, network: ReturnType<typeof fakeEntraNetwork>): msal.PublicClientApplication {
  return new msal.PublicClientApplication({
    auth: { clientId, authority: 'https://login.microsoftonline.com/organizations' },
    system: { networkClient: network },
  });
}

/** A key pair made for one test file: its public JWK to serve as JWKS, and ID tokens signed with it. */
export interface TestSigner {
  publicJwk: JWK;
  /** An RS256 ID token with `claims` plus iss, aud, sub, iat, nbf and exp (now + 1 h). */
  idToken(claims: Record<string, unknown>, fields: { issuer: string; audience: string; subject: string }): Promise<string>;
}

/** Makes a {@link TestSigner}: the library verifies ID tokens, so offline Entra answers need real signatures. */
export async function makeTestSigner(kid: string): Promise<TestSigner> {
  const pair = await generateKeyPair('RS256', { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    publicJwk,
    idToken(claims, { issuer, audience, subject }) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(subject)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 3600)
        .sign(pair.privateKey);
    },
  };
}
