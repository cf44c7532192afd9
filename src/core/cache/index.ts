/** The token cache: MSAL's unified cache schema, an indexed in-memory cache, and its serialization. */
export {
  ACCESS_TOKEN_WITH_AUTH_SCHEME,
  CredentialType,
  makeAccountKey,
  makeAppMetadataKey,
  makeCredentialKey,
  makeKey,
} from './schema.js';
export type {
  AccessTokenEntity,
  AccountEntity,
  AppMetadataEntity,
  AuthorityType,
  CacheEntity,
  CredentialEntityBase,
  CredentialKeyFields,
  EntityOf,
  IdTokenEntity,
  RefreshTokenEntity,
  SerializedCache,
} from './schema.js';
export { TokenCache } from './token-cache.js';
export type {
  AccessTokenQuery,
  AccountDataQuery,
  AccountFilter,
  AppAccountsQuery,
  AppMetadataQuery,
  IdTokenQuery,
  RefreshTokenQuery,
  SearchOptions,
} from './queries.js';
export { tokenEntries } from './token-entries.js';
export type { AddResult, TokenEntries, TokenEvent } from './token-entries.js';
export { SerializableTokenCache } from './serializable-token-cache.js';
