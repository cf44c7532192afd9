// The core's public API: a hand-written list, nothing re-exported with `*`.
export type { Account, AuthenticationResult, TokenSource } from './account.js';
export {
  Authority,
  AuthorityBuilder,
  type AuthorityMetadata,
  type AuthorityOptions,
  type AuthorityType,
  AZURE_CHINA,
  AZURE_PUBLIC,
  AZURE_US_GOVERNMENT,
  isEntraHost,
  parseAuthority,
} from './authority.js';
export { SerializableTokenCache } from './cache/serializable-token-cache.js';
export { mergeClaims } from './claims.js';
export {
  ATTEMPT_REGION_DISCOVERY,
  type AuthCodeFlowOptions,
  ClientApplication,
  type ClientApplicationOptions,
} from './client-application.js';
export {
  type AssertionCredential,
  type CertificateCredential,
  type ClientCredential,
} from './client-credential.js';
export {
  isManageableRegistration,
  type ManageableClientRegistration,
  type NativeClientRegistration,
  type NativeClientRegistrationOptions,
  type NativeClientUpdateOptions,
  registerNativeClient,
  updateNativeClient,
} from './client-registration.js';
export { ConfidentialClientApplication } from './confidential-client-application.js';
export { DPOP_TOKEN_TYPE, type DpopKeyOwner, dpopKeyOwnerOf, type DpopKeyStore, type DpopOptions, MemoryDpopKeyStore } from './dpop-keys.js';
export { createDpopProof, type DpopKey, DpopNonces, type DpopRetryDecision, exportDpopPrivateJwk, generateDpopKey, importDpopKey } from './dpop.js';
export { AuthError, type AuthErrorCode, isInteractionRequired, ServerError, type ServerErrorFields, ThrottledError } from './errors.js';
export { type AuthCodeFlow, LIBRARY_AUTHORIZATION_PARAMETERS, parseAuthorizationResponse } from './grants/authorization-code.js';
export type { DeviceFlow } from './grants/device-code.js';
export { createGlobalFetch, discardBody, type FetchLike, type HttpCache, type HttpRequest, type HttpResponse, MAX_RESPONSE_BYTES } from './http.js';
export { isJsonObject } from './json.js';
export { describeUrl, type LogLevel, type Logger } from './logger.js';
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
export { type DeviceFlowOptions, type InteractiveOptions, PublicClientApplication } from './public-client-application.js';
export {
  type AuthorizationServerMetadata,
  discoverProtectedResource,
  fetchAuthorizationServerMetadata,
  parseResourceChallenges,
  type ProtectedResourceMetadata,
  type ResourceChallenge,
  type ResourceDiscovery,
  type ResourceDiscoveryOptions,
  resourceMatchesRequest,
} from './resource-metadata.js';
export { type AuthorizedResourceRequest, authorizeResourceRequest, decideResourceRetry, type ResourceCredential } from './resource-request.js';
export { isOpenIdScope } from './scopes.js';
export { parseSecureUrl } from './secure-url.js';
export { SharedInFlight } from './shared-in-flight.js';
export type { SilentOptions } from './silent-acquisition.js';
export { claimsChallengeFrom, decodeClaimsParameter, parseWwwAuthenticate, type WwwAuthenticateChallenge } from './www-authenticate.js';
