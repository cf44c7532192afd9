/**
 * MSAL's unified token cache schema: the five entity types every MSAL library reads and writes
 * (snake_case fields, timestamps as strings of epoch seconds) and the key makers that name them.
 *
 * The serialized cache is one JSON object with a section per type, each section an object of
 * entries keyed by the cache key:
 *
 * ```json
 * { "Account": {...}, "IdToken": {...}, "AccessToken": {...}, "RefreshToken": {...}, "AppMetadata": {...} }
 * ```
 *
 * Keys follow MSAL for Python (and the cross-library schema): lower-cased,
 * `<home_account_id>-<environment>-<credential_type>-<client_id|family_id>-<realm>-<target>`
 * for credentials, `<home_account_id>-<environment>-<realm>` for accounts and
 * `appmetadata-<environment>-<client_id>` for app metadata. msal-node 7 appends one more segment
 * to credential keys (the token scheme, empty for Bearer, so its keys end in an extra `-`) and
 * leaves the target out of refresh-token keys. Every MSAL library reads entries under whatever
 * key they were stored, so the forms interoperate; a writer must then also replace the entries
 * another library stored under its own key (see `TokenCache.add`), or two refresh tokens of one
 * account would live side by side and a reader could pick the one a rotation made stale.
 */

/** Names of the cache sections, which are also the `credential_type` values of credentials. */
export const CredentialType = {
  ACCESS_TOKEN: 'AccessToken',
  REFRESH_TOKEN: 'RefreshToken',
  ID_TOKEN: 'IdToken',
  /** Not a credential, but a section of the cache like the others. */
  ACCOUNT: 'Account',
  /** Not a credential, but a section of the cache like the others. */
  APP_METADATA: 'AppMetadata',
} as const;

/** One of the five cache sections: `'AccessToken' | 'RefreshToken' | 'IdToken' | 'Account' | 'AppMetadata'`. */
export type CredentialType = (typeof CredentialType)[keyof typeof CredentialType];

/**
 * msal-node's `credential_type` for access tokens of a scheme other than Bearer (PoP, SSH
 * certificates). They live in the `AccessToken` section too.
 */
export const ACCESS_TOKEN_WITH_AUTH_SCHEME = 'AccessToken_With_AuthScheme';

/**
 * `authority_type` of an account. MSAL for Python writes `MSSTS` (Entra ID v2, both work and
 * personal accounts) and `ADFS`; msal-common also knows `Generic` (any OpenID Connect issuer,
 * msal-node's OIDC protocol mode) and `MSA` (legacy). msal-node lists accounts of any type.
 */
export type AuthorityType = 'MSSTS' | 'ADFS' | 'Generic' | 'MSA';

/**
 * Fields not named here are kept as they are: entries written by another MSAL library (or a
 * later version) carry fields this one does not know, and they survive a read and a write.
 */
interface OpenEntity {
  [field: string]: unknown;
}

/** An account: who signed in, in which cloud (`environment`) and tenant (`realm`). */
export interface AccountEntity extends OpenEntity {
  /** `<uid>.<utid>` from Entra's client_info, else the ID token's `sub`. */
  home_account_id: string;
  /** The authority host, e.g. `login.microsoftonline.com` (with `:port` when not the default). */
  environment: string;
  /** The tenant: the ID token's `tid`, else the first path segment of the authority. */
  realm: string;
  /** The account's id in that tenant: the ID token's `oid`, else `sub`; null when there is no ID token (MSAL for Python). */
  local_account_id: string | null;
  /** `preferred_username`, `upn` or `email` from the ID token, or the ROPC username; `''` when unknown. */
  username: string;
  authority_type: AuthorityType;
  /** The ID token's `name` claim. */
  name?: string;
  /** The raw client_info (base64url JSON `{uid, utid}`): msal-node writes it; this library keeps it, never writes it (MSAL for Python). */
  client_info?: string;
  /** The grant that created the account (authorization_code, password, device code, broker). */
  account_source?: string;
  last_modification_time?: string;
  last_modification_app?: string;
  /** msal-node 3+: one JSON string per tenant profile of the account. Kept, never written. */
  tenantProfiles?: string[];
}

/** Fields every credential has. */
export interface CredentialEntityBase extends OpenEntity {
  /** `''` for app-only tokens (client credentials); MSAL for Python writes `null` there. */
  home_account_id: string;
  environment: string;
  credential_type: string;
  client_id: string;
  /** The token itself. */
  secret: string;
}

export interface AccessTokenEntity extends CredentialEntityBase {
  credential_type: typeof CredentialType.ACCESS_TOKEN | typeof ACCESS_TOKEN_WITH_AUTH_SCHEME;
  realm: string;
  /** The granted scopes, space-separated, sorted (MSAL for Python's normal form). */
  target: string;
  /** Epoch seconds, as a string, like every timestamp of the schema. */
  cached_at: string;
  expires_on: string;
  extended_expires_on?: string;
  /** When to refresh proactively (from the response's `refresh_in`). */
  refresh_on?: string;
  /** `Bearer` unless the server said otherwise (`pop`, `ssh-cert`, ...). */
  token_type?: string;
  /**
   * The key a key-bound token (SSH certificate, mTLS or DPoP proof-of-possession) is bound to,
   * from the request's data. Such a token is only served to a lookup that names the same key.
   */
  key_id?: string;
}

export interface RefreshTokenEntity extends CredentialEntityBase {
  credential_type: typeof CredentialType.REFRESH_TOKEN;
  /** `"1"` for a family refresh token (the response carried `foci`). */
  family_id?: string;
  last_modification_time?: string;
  /**
   * The scopes of the request that got it (MSAL for Python writes them; msal-node keeps them):
   * informative only, a refresh token serves every scope of its client.
   */
  target?: string;
  /** Not written by this library (refresh tokens are cross-tenant); kept when read. */
  realm?: string;
  /**
   * The thumbprint of the DPoP key the refresh token is bound to (RFC 9449 §5): written when it
   * came in a `token_type: DPoP` answer to a request signed with that key. Such a token is
   * redeemed only with a proof of that key: sent without one, the server refuses it. Not part of
   * the cache key (one refresh token per account and client, bound or not); msal-node neither
   * writes nor reads it, as it keeps the field of an access token's key.
   */
  key_id?: string;
}

export interface IdTokenEntity extends CredentialEntityBase {
  credential_type: typeof CredentialType.ID_TOKEN;
  realm: string;
}

/** What is known of the client application itself: whether it belongs to the Microsoft family. */
export interface AppMetadataEntity extends OpenEntity {
  client_id: string;
  environment: string;
  family_id?: string;
}

/** The entity type stored in each section. */
export interface EntityOf {
  AccessToken: AccessTokenEntity;
  RefreshToken: RefreshTokenEntity;
  IdToken: IdTokenEntity;
  Account: AccountEntity;
  AppMetadata: AppMetadataEntity;
}

/** Any entity of the cache. */
export type CacheEntity = EntityOf[CredentialType];

/** The serialized cache: a section per type, plus whatever other MSAL libraries add at the top. */
export interface SerializedCache {
  Account?: Record<string, AccountEntity>;
  IdToken?: Record<string, IdTokenEntity>;
  AccessToken?: Record<string, AccessTokenEntity>;
  RefreshToken?: Record<string, RefreshTokenEntity>;
  AppMetadata?: Record<string, AppMetadataEntity>;
  [section: string]: unknown;
}

/** The fields a credential key is made of. Missing or `null` fields count as `''`. */
export interface CredentialKeyFields {
  home_account_id?: string | null;
  environment?: string | null;
  credential_type: string;
  client_id?: string | null;
  family_id?: string | null;
  realm?: string | null;
  target?: string | null;
  token_type?: string | null;
  key_id?: string | null;
}

const text = (value: string | null | undefined): string => value ?? '';

/**
 * The cache key of a credential, lower-cased:
 * `<home_account_id>-<environment>-<credential_type>-<client_id>-<realm>-<target>`.
 *
 * - Refresh tokens: msal-node's key, `<home_account_id>-<environment>-refreshtoken-<client_id>---`:
 *   realm and target empty (a refresh token serves every tenant and scope; the entry still records
 *   its `target`, as MSAL for Python does) and msal-node's empty scheme segment. msal-node picks
 *   the first refresh token whose key matches, and never removes one stored under another key:
 *   under its own key, its next write replaces ours instead of leaving a stale one before its own.
 *   MSAL for Python puts the target in the key, but chooses among refresh tokens by their
 *   `last_modification_time`, which this library writes. A family refresh token is keyed by its
 *   `family_id` instead of the client id, so one per account is shared by the family's apps (as
 *   msal-node and MSAL.NET).
 * - ID tokens: target is empty.
 * - Access tokens of a scheme other than Bearer get the lower-cased `token_type` as a seventh
 *   segment, and key-bound ones their `key_id` after it, so a PoP token never replaces the Bearer
 *   token of the same scopes, nor one bound to another key.
 */
export function makeCredentialKey(credential: CredentialKeyFields): string {
  const type = credential.credential_type;
  const isRefreshToken = type === CredentialType.REFRESH_TOKEN;
  const isAccessToken = type === CredentialType.ACCESS_TOKEN || type === ACCESS_TOKEN_WITH_AUTH_SCHEME;
  const parts = [
    text(credential.home_account_id),
    text(credential.environment),
    type,
    (isRefreshToken && credential.family_id) || text(credential.client_id),
    isRefreshToken ? '' : text(credential.realm),
    isAccessToken ? text(credential.target) : '',
  ];
  if (isRefreshToken) parts.push('');
  if (isAccessToken && credential.token_type && credential.token_type.toLowerCase() !== 'bearer') {
    parts.push(credential.token_type);
  }
  if (isAccessToken && credential.key_id) parts.push(credential.key_id);
  return parts.join('-').toLowerCase();
}

/** The cache key of an account, lower-cased: `<home_account_id>-<environment>-<realm>`. */
export function makeAccountKey(account: {
  home_account_id?: string | null;
  environment?: string | null;
  realm?: string | null;
}): string {
  return `${text(account.home_account_id)}-${text(account.environment)}-${text(account.realm)}`.toLowerCase();
}

/** The cache key of app metadata, lower-cased: `appmetadata-<environment>-<client_id>`. */
export function makeAppMetadataKey(appMetadata: { environment?: string | null; client_id?: string | null }): string {
  return `appmetadata-${text(appMetadata.environment)}-${text(appMetadata.client_id)}`.toLowerCase();
}

/** The cache key of any entity of the given section (MSAL for Python's `key_makers[type](**entry)`). */
export function makeKey(type: CredentialType, entity: Record<string, unknown>): string {
  // Only string fields name an entry: any other value counts as a missing field.
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(entity)) if (typeof value === 'string') fields[name] = value;
  switch (type) {
    case CredentialType.ACCOUNT:
      return makeAccountKey(fields);
    case CredentialType.APP_METADATA:
      return makeAppMetadataKey(fields);
    default:
      // The section decides the kind of key, whatever the entry says.
      return makeCredentialKey({
        ...fields,
        credential_type: type === CredentialType.ACCESS_TOKEN && fields['credential_type'] === ACCESS_TOKEN_WITH_AUTH_SCHEME ? ACCESS_TOKEN_WITH_AUTH_SCHEME : type,
      });
  }
}
