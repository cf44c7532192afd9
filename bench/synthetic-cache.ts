/**
 * A synthetic token cache in MSAL's unified schema, the same bytes for both libraries: per
 * account one Account, one IdToken, one AccessToken and one RefreshToken, plus the client's one
 * AppMetadata entry (app metadata is per client and environment, not per account).
 *
 * Keys are written as msal-node 7 writes them (credential keys end in an empty scheme segment),
 * because msal-node matches cache keys as strings; the core reads entries under whatever key they
 * are stored. Secrets have realistic sizes (Entra access tokens run to 1–2 KB) and come from a
 * seeded generator, so a run's bytes depend only on the account count, the IdP's origin and the
 * clock second the cache was made in.
 */

/** Who the cache is for: the IdP's Entra face, one tenant, one public client. */
export interface SyntheticCacheOptions {
  /** `host:port` of the IdP: the cache's `environment`. */
  environment: string;
  /** The tenant id: the entries' `realm`. */
  tenantId: string;
  clientId: string;
  /** The issuer written into the ID tokens. */
  issuer: string;
  /** The access tokens' scope, e.g. `api://demo/read`. */
  target: string;
  /** Epoch seconds the entries count as cached at; access tokens live two hours from it. */
  now: number;
}

/** Access tokens of the synthetic cache expire this long after `now`: well past a bench run. */
export const SYNTHETIC_TOKEN_LIFETIME_S = 2 * 60 * 60;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A small seeded generator (mulberry32): the same characters on every run. */
function seededChars(seed: number): (length: number) => string {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (length) => {
    let out = '';
    for (let i = 0; i < length; i++) out += BASE64URL[Math.floor(next() * 64)];
    return out;
  };
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The object id of synthetic account `index`: a GUID, as Entra's are. */
export function syntheticObjectId(index: number): string {
  const hex = index.toString(16).padStart(12, '0');
  return `0000be0c-0000-4000-8000-${hex}`;
}

/** What both libraries need to name synthetic account `index` without listing accounts. */
export function syntheticAccount(index: number, options: Pick<SyntheticCacheOptions, 'environment' | 'tenantId'>) {
  const oid = syntheticObjectId(index);
  return {
    homeAccountId: `${oid}.${options.tenantId}`,
    localAccountId: oid,
    environment: options.environment,
    tenantId: options.tenantId,
    username: `user${index}@contoso.example`,
    name: `User ${index}`,
  };
}

/** The unified-schema JSON of a cache holding `accounts` accounts. */
export function makeSyntheticCache(accounts: number, options: SyntheticCacheOptions): string {
  const { environment, tenantId, clientId, issuer, target, now } = options;
  const random = seededChars(accounts);
  const cache = {
    Account: {} as Record<string, unknown>,
    IdToken: {} as Record<string, unknown>,
    AccessToken: {} as Record<string, unknown>,
    RefreshToken: {} as Record<string, unknown>,
    AppMetadata: {} as Record<string, unknown>,
  };
  for (let i = 0; i < accounts; i++) {
    const account = syntheticAccount(i, options);
    const home = account.homeAccountId;
    const prefix = `${home}-${environment}`.toLowerCase();
    const clientInfo = base64urlJson({ uid: account.localAccountId, utid: tenantId });
    cache.Account[`${prefix}-${tenantId}`.toLowerCase()] = {
      home_account_id: home,
      environment,
      realm: tenantId,
      local_account_id: account.localAccountId,
      username: account.username,
      authority_type: 'MSSTS',
      name: account.name,
      client_info: clientInfo,
      tenantProfiles: [
        JSON.stringify({ tenantId, localAccountId: account.localAccountId, name: account.name, username: account.username, isHomeTenant: true }),
      ],
    };
    const idTokenClaims = {
      aud: clientId,
      iss: issuer,
      iat: now,
      nbf: now,
      exp: now + 3600,
      name: account.name,
      oid: account.localAccountId,
      preferred_username: account.username,
      sub: random(43),
      tid: tenantId,
      uti: random(22),
      ver: '2.0',
    };
    cache.IdToken[`${prefix}-idtoken-${clientId}-${tenantId}--`.toLowerCase()] = {
      home_account_id: home,
      environment,
      credential_type: 'IdToken',
      client_id: clientId,
      secret: `${base64urlJson({ alg: 'RS256', kid: 'bench', typ: 'JWT' })}.${base64urlJson(idTokenClaims)}.${random(342)}`,
      realm: tenantId,
    };
    cache.AccessToken[`${prefix}-accesstoken-${clientId}-${tenantId}-${target}-`.toLowerCase()] = {
      home_account_id: home,
      environment,
      credential_type: 'AccessToken',
      client_id: clientId,
      secret: `${random(96)}.${random(800)}.${random(342)}`,
      realm: tenantId,
      target,
      cached_at: String(now),
      expires_on: String(now + SYNTHETIC_TOKEN_LIFETIME_S),
      extended_expires_on: String(now + SYNTHETIC_TOKEN_LIFETIME_S),
      token_type: 'Bearer',
    };
    cache.RefreshToken[`${prefix}-refreshtoken-${clientId}---`.toLowerCase()] = {
      home_account_id: home,
      environment,
      credential_type: 'RefreshToken',
      client_id: clientId,
      secret: `1.AXYA${random(760)}`,
    };
  }
  cache.AppMetadata[`appmetadata-${environment}-${clientId}`.toLowerCase()] = { client_id: clientId, environment };
  return JSON.stringify(cache);
}
