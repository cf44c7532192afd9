/**
 * The one rule for the `realm` of cache entries, for the writer and the reader alike.
 *
 * Tokens are filed under the realm of the authority they were asked from. For Microsoft Entra
 * ID, B2C, CIAM and ADFS that is MSAL for Python's: the first path segment of the discovered
 * token endpoint — `organizations`, `common`, `adfs`, the tenant id, and the tenant id too for a
 * tenant named by its domain (`contoso.onmicrosoft.com` is discovered at `/<tenant id>/…`), where
 * msal-node files it as well. For any other OpenID Connect issuer it is the issuer's path
 * (`realms/dev`, `oauth2/default`), `''` for an issuer at a host root
 * (`https://tenant.auth0.com/`, Okta's org server): its token endpoint's first segment (`oauth`,
 * `token`) says nothing about whose tokens they are. The ID token's `tid` never decides it: MSAL
 * for Python files an `organizations` sign-in under `organizations`, and a root issuer that sends
 * a `tid` is no tenant of anything.
 *
 * Reading is broader only where other MSAL libraries write differently: msal-node files tokens
 * under the tenant that issued them (the ID token's `tid`). Through `common`, `organizations` or
 * `consumers` that is the account's realm as msal-node recorded it, or for a member of the
 * tenant the `utid` half of the home account id; at an OpenID Connect issuer, which has no
 * tenants, a `tid` it happens to send. Those realms are searched after the authority's own. A
 * single Entra tenant's authority never reads another tenant's tokens.
 */
import type { Authority } from './authority.js';

/** The realm an authority's tokens are stored under. */
export function cacheRealmOf(authority: Pick<Authority, 'tenant' | 'type' | 'metadata'>): string {
  if (authority.type === 'OIDC') return authority.tenant;
  return firstPathSegment(authority.metadata.token_endpoint) ?? authority.tenant;
}

function firstPathSegment(url: string): string | undefined {
  try {
    return new URL(url).pathname.split('/').find((segment) => segment !== '') || undefined;
  } catch {
    return undefined;
  }
}

/** The realms where a silent lookup finds the account's tokens, the authority's own first. */
export function realmsToSearch(authority: Pick<Authority, 'tenant' | 'type' | 'metadata' | 'isMultiTenant'>, account: { realm?: string; homeAccountId: string }): string[] {
  const realms = [cacheRealmOf(authority)];
  if (!authority.isMultiTenant && authority.type !== 'OIDC') return realms;
  const homeTenant = authority.isMultiTenant && account.homeAccountId.includes('.') ? account.homeAccountId.slice(account.homeAccountId.indexOf('.') + 1) : undefined;
  for (const realm of [account.realm, homeTenant]) {
    if (realm && !realms.some((known) => known.toLowerCase() === realm.toLowerCase())) realms.push(realm);
  }
  return realms;
}
