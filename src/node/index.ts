/**
 * Node adapters of the core: an undici-based `FetchLike` with proxies, extra CAs and
 * timeouts, and the loopback redirect listener of the authorization-code flow.
 * A hand-written list: add exports here on purpose.
 */
export { createNodeHttpClient, DEFAULT_HTTP_TIMEOUT_MS } from './http-client.js';
export type { NodeHttpClient, NodeHttpOptions, NodeHttpResponse, ProxyOptions, VerifyOption } from './http-client.js';
export { LoopbackPortInUseError, startLoopbackListener } from './loopback-listener.js';
export type { ErrorPage, LoopbackHost, LoopbackListener, LoopbackListenerOptions } from './loopback-listener.js';
export { DEFAULT_ERROR_PAGE, DEFAULT_SUCCESS_PAGE, escapeHtml } from './loopback-pages.js';
export { ConfidentialClientApplication, PublicClientApplication } from './applications.js';
export { openBrowser } from './open-browser.js';
export { nodePlatform } from './platform.js';
