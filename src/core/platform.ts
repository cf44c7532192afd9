/**
 * What the core needs from its host but cannot do itself without `node:*`: an HTTP client with
 * proxies and custom CAs, a loopback redirect listener and a browser. `src/node` provides a
 * Node implementation; the VS Code extension provides its own.
 */
import type { FetchLike } from './http.js';

/** Proxies as MSAL Python takes them (requests' `proxies` dict). */
export interface Proxies {
  http?: string;
  https?: string;
  /** Comma-separated hosts that bypass the proxy. */
  noProxy?: string;
}

/** Options the HTTP client factory receives from the application's constructor. */
export interface HttpClientOptions {
  /** Milliseconds for a whole request. */
  timeout?: number;
  proxies?: Proxies;
  /** `true` (default), a PEM CA bundle to trust in addition, or `false` to skip TLS checks (unsafe). */
  verify?: boolean | string | string[];
}

/** Options of a loopback redirect listener. */
export interface RedirectListenerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  path?: string;
  /** Host the redirect URI names: `127.0.0.1` (default), `localhost` or `[::1]`. */
  host?: '127.0.0.1' | 'localhost' | '[::1]';
  /** Responses with another state are refused and do not end the wait. */
  expectedState?: string;
  successPage?: string;
  errorPage?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A started loopback listener (RFC 8252 §7.3). */
export interface RedirectListener {
  readonly redirectUri: string;
  /** Resolves with the authorization response's query parameters. */
  waitForResponse(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export interface Platform {
  createHttpClient?(options: HttpClientOptions): FetchLike;
  startRedirectListener?(options: RedirectListenerOptions): Promise<RedirectListener>;
  openBrowser?(url: string): Promise<void>;
  /** The Azure region this process runs in, for `azureRegion: true`. */
  detectRegion?(): string | undefined;
  /** A region the environment forces when `azureRegion` is not set (MSAL's `MSAL_FORCE_REGION`). */
  forcedRegion?(): string | undefined;
}
