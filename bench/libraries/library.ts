/**
 * The work every figure does, written once per library so that both libraries do the same thing.
 * A child process imports exactly one of these modules (dynamically), so neither library's code
 * sits in the other's heap or load time.
 */
import type { AccountName } from '../../test/idp/server.js';

/** An app whose discovery is done, and the cache it serves tokens from. */
export interface CacheSession {
  /** Deserializes `json` into the app's token cache (replacing or merging, as the library does). */
  load(json: string): void;
  /** A silent token for synthetic account `index`: resolves where the token came from. */
  silent(index: number): Promise<'cache' | 'identity_provider'>;
  /** The app's accounts, as its `getAccounts()` lists them; resolves their number. */
  getAccounts(): Promise<number>;
}

/** What an app keeps across a restart: its serialized token cache, and its httpCache when it has one. */
export interface SavedState {
  tokenCache: string;
  httpCache?: string;
}

/** An app that signs users in against the IdP's Entra face (figure 4). */
export interface SignInApp {
  /** An auth-code sign-in with PKCE, through the headless browser; resolves the token source. */
  signIn(account: AccountName): Promise<void>;
  /** A silent call with forceRefresh for the last signed-in account. */
  refresh(): Promise<'cache' | 'identity_provider'>;
  /** Marks every cached access token expired, so that the next silent call has to refresh. */
  expireAccessTokens(): Promise<void>;
  /** `n` silent calls at once for the last signed-in account; how many succeeded. */
  concurrentSilent(n: number): Promise<{ succeeded: number; failed: string[] }>;
  save(): SavedState;
}

/** A device flow left unanswered (figure 5). */
export interface DevicePolling {
  /** Date.now() when polling started (the device authorization response had arrived). */
  startedAt: number;
  /** Date.now() of each token request the library sent. */
  polls: number[];
  /** The interval (seconds) the library says it polls at, when it says. */
  intervalUsed?: number;
}

export interface BenchLibrary {
  /** A fresh app with an empty cache and its discovery done (warm), ready to load a cache. */
  openApp(): Promise<CacheSession>;
  /**
   * A fresh app for the generic issuer at the host root (`ctx.rootIssuer`), alice signed in
   * through the headless browser; resolves a silent call for her account as the app's account
   * listing gives it, which resolves where the token came from (figure 1c).
   */
  signInAtRootIssuer(): Promise<() => Promise<'cache' | 'identity_provider'>>;
  /** One deserialize + serialize of `json` with the library's serializable cache. */
  roundTrip(json: string): string;
  /** A new app; `saved` restores what a restarted app would have kept. */
  signInApp(saved?: SavedState): SignInApp;
  /** Starts a device flow on the generic face and leaves it unanswered for `windowMs`. */
  pollUnansweredDeviceFlow(windowMs: number): Promise<DevicePolling>;
}
