/**
 * The account and result shapes the application hands out: camelCase views of MSAL's cache
 * entities and token responses.
 */
import type { JWTPayload } from 'jose';
import { nonEmptyString } from './json.js';

/** A signed-in account, as `getAccounts()` returns it (MSAL's account dict, camelCase). */
export interface Account {
  /** `<uid>.<utid>` from Entra's client_info, else the ID token's `sub`. Stable across tenants. */
  homeAccountId: string;
  /** The authority host that issued it (`login.microsoftonline.com`, `idp.example:8443`). */
  environment: string;
  /** The tenant (or issuer path) it was signed in through. */
  realm: string;
  /** The id of the account in that tenant (`oid`, else `sub`). */
  localAccountId: string;
  /** preferred_username / upn / email, as the ID token gives it. */
  username: string;
  name?: string;
  authorityType: string;
  /** The grant that created it (authorization_code, device_code, password, ...). */
  accountSource?: string;
}

/** Where a result's access token came from. */
export type TokenSource = 'cache' | 'identity_provider';

/** A successful token acquisition. */
export interface AuthenticationResult {
  accessToken: string;
  tokenType: string;
  /** Seconds left, at the time the result was made. */
  expiresIn: number;
  expiresOn: Date;
  extExpiresOn?: Date;
  /** When the library will refresh proactively (the server's `refresh_in`). */
  refreshOn?: Date;
  idToken?: string;
  idTokenClaims?: JWTPayload;
  /** Absent for app-only tokens (client credentials). */
  account?: Account;
  /** The scopes the token was granted for. */
  scopes: string[];
  tokenSource: TokenSource;
  correlationId: string;
}

/**
 * The username an account is known by, from ID token (or userinfo) claims: `preferred_username`,
 * `upn` (ADFS), `email`, then the first of B2C's `emails` — MSAL's order. Undefined when none is a
 * non-empty string. The one place this order lives: the cache, the application and the userinfo
 * lookup all read it here.
 */
export function usernameFromClaims(claims: Record<string, unknown>): string | undefined {
  const emails = claims['emails'];
  const candidates = [claims['preferred_username'], claims['upn'], claims['email'], Array.isArray(emails) ? emails[0] : undefined];
  return candidates.map(nonEmptyString).find((name) => name !== undefined);
}
