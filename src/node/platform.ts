/**
 * The Node platform of the core: undici HTTP with proxies and CAs, the loopback listener, the
 * system browser, and Azure region detection from the environment.
 */
import type { Platform } from '../core/index.js';
import { createNodeHttpClient } from './http-client.js';
import { startLoopbackListener } from './loopback-listener.js';
import { openBrowser } from './open-browser.js';
import { regionFromEnvironment } from './env-region.js';

export const nodePlatform: Platform = {
  createHttpClient: (options) => createNodeHttpClient({ timeout: options.timeout, proxies: options.proxies, verify: options.verify }),
  startRedirectListener: (options) => startLoopbackListener(options),
  openBrowser,
  detectRegion: regionFromEnvironment,
  // MSAL for Python uses MSAL_FORCE_REGION when azure_region is not set.
  forcedRegion: () => process.env.MSAL_FORCE_REGION || undefined,
};
