// Test users of the IdP. The subject is a GUID, as Entra's object id is, and the Entra face uses
// the same value for `sub`, `oid` and client_info's `uid` so that home_account_id = `<sub>.<tid>`.
import type { Account, JsonObject } from 'oidc-provider';

export interface TestAccount {
  /** Short login name, also accepted by the login form and the password grant. */
  readonly username: string;
  readonly sub: string;
  readonly email: string;
  readonly preferredUsername: string;
  readonly name: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly password: string;
}

export const ACCOUNTS = {
  alice: {
    username: 'alice',
    sub: '5e1f3a2c-7b8d-4c61-9a0e-2f4b6d8c1a37',
    email: 'alice@example.com',
    preferredUsername: 'alice@example.com',
    name: 'Alice Example',
    givenName: 'Alice',
    familyName: 'Example',
    password: 'alice-password',
  },
  bob: {
    username: 'bob',
    sub: 'c2d94e07-1f6a-4b38-8e5d-93a7b0f4c612',
    email: 'bob@example.com',
    preferredUsername: 'bob@example.com',
    name: 'Bob Example',
    givenName: 'Bob',
    familyName: 'Example',
    password: 'bob-password',
  },
} as const satisfies Record<string, TestAccount>;

export type AccountName = keyof typeof ACCOUNTS;

const all: readonly TestAccount[] = Object.values(ACCOUNTS);

/** Finds an account by its short name or its preferred_username / email, case-insensitively. */
export function findAccountByUsername(username: string): TestAccount | undefined {
  const wanted = username.trim().toLowerCase();
  return all.find((account) => account.username === wanted
    || account.preferredUsername.toLowerCase() === wanted
    || account.email.toLowerCase() === wanted);
}

export function findAccountBySub(sub: string): TestAccount | undefined {
  return all.find((account) => account.sub === sub);
}

/** Checks a username and password; returns the account only when both match. */
export function verifyPassword(username: string, password: string): TestAccount | undefined {
  const account = findAccountByUsername(username);
  return account !== undefined && account.password === password ? account : undefined;
}

/**
 * Every claim the IdP knows about an account. oidc-provider filters them by the granted scopes
 * through the `claims` configuration, so returning them all is the expected shape.
 */
export function getAccountClaims(account: TestAccount, tenantId?: string): JsonObject {
  return {
    sub: account.sub,
    email: account.email,
    email_verified: true,
    preferred_username: account.preferredUsername,
    name: account.name,
    given_name: account.givenName,
    family_name: account.familyName,
    ...(tenantId === undefined ? {} : { oid: account.sub, tid: tenantId }),
  };
}

/** The oidc-provider `findAccount` for one face; `tenantId` adds Entra's oid/tid claims. */
export function makeFindAccount(tenantId?: string): (ctx: unknown, sub: string) => Promise<Account | undefined> {
  return async (_ctx, sub) => {
    const account = findAccountBySub(sub);
    if (account === undefined) return undefined;
    return {
      accountId: account.sub,
      claims: () => getAccountClaims(account, tenantId),
    };
  };
}
