/**
 * The one rule for the `realm` of cache entries, for the writer and the reader alike.
 *
 * Tokens are filed under the realm of the authority they were asked from: its tenant segment
 * for Microsoft Entra ID, B2C, CIAM and ADFS (`organizations`, a tenant id, `adfs`), and for any
 * other OpenID Connect issuer the issuer's path (`realms/dev`, `oauth2/default`) — which is `''`
 * for an issuer at a host root (`https://tenant.auth0.com/`, Okta's org server). The ID token's
 * `tid` never decides it: MSAL for Python files an `organizations` sign-in under
 * `organizations`, and a root issuer that sends a `tid` is no tenant of anything.
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
export function cacheRealmOf(authority: Pick<Authority, 'tenant'>): string {
  return authority.tenant;
}

/** The realms where a silent lookup finds the account's tokens, the authority's own first. */
export function realmsToSearch(authority: Pick<Authority, 'tenant' | 'type' | 'isMultiTenant'>, account: { realm?: string; homeAccountId: string }): string[] {
  const realms = [cacheRealmOf(authority)];
  if (!authority.isMultiTenant && authority.type !== 'OIDC') return realms;
  const homeTenant = authority.isMultiTenant && account.homeAccountId.includes('.') ? account.homeAccountId.slice(account.homeAccountId.indexOf('.') + 1) : undefined;
  for (const realm of [account.realm, homeTenant]) {
    if (realm && !realms.some((known) => known.toLowerCase() === realm.toLowerCase())) realms.push(realm);
  }
  return realms;
}
