// The core's public API: a hand-written list, nothing re-exported with `*`.
export type { Account, AuthenticationResult, TokenSource } from './account.js';
export {
  ATTEMPT_REGION_DISCOVERY,
  type AuthCodeFlowOptions,
  ClientApplication,
  type ClientApplicationOptions,
  ConfidentialClientApplication,
  type DeviceFlowOptions,
  type InteractiveOptions,
  PublicClientApplication,
  type SilentOptions,
} from './application.js';
export {
  Authority,
  AuthorityBuilder,
  type AuthorityMetadata,
  type AuthorityOptions,
  type AuthorityType,
  AZURE_CHINA,
  AZURE_PUBLIC,
  AZURE_US_GOVERNMENT,
  parseAuthority,
} from './authority.js';
export { SerializableTokenCache } from './cache/serializable-token-cache.js';
export { mergeClaims } from './claims.js';
export {
  type AssertionCredential,
  type CertificateCredential,
  type ClientCredential,
} from './client-auth.js';
export { AuthError, type AuthErrorCode, isInteractionRequired, ServerError, type ServerErrorFields, ThrottledError } from './errors.js';
export type { AuthCodeFlow } from './grants/authorization-code.js';
export { LIBRARY_AUTHORIZATION_PARAMETERS, parseAuthorizationResponse } from './grants/authorization-code.js';
export type { DeviceFlow } from './grants/device-code.js';
export type { FetchLike, HttpCache, HttpRequest, HttpResponse } from './http.js';
export { createGlobalFetch } from './http.js';
export { isJsonObject } from './json.js';
export type { LogLevel, Logger } from './logger.js';
export type {
  AuthCodeFlowRedeemOptions,
  AuthorizationCodeOptions,
  AuthorizationRequestUrlOptions,
  ClientCredentialsOptions,
  DeviceFlowInitiateOptions,
  OnBehalfOfOptions,
  RefreshTokenOptions,
  UsernamePasswordOptions,
} from './options.js';
export type { HttpClientOptions, Platform, Proxies, RedirectListener, RedirectListenerOptions } from './platform.js';
export { claimsChallengeFrom, parseWwwAuthenticate, type WwwAuthenticateChallenge } from './www-authenticate.js';
export { decodeClaimsParameter } from './www-authenticate.js';
