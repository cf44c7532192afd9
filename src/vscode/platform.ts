/**
 * The core's platform inside the editor: the loopback listener and region detection of
 * `src/node`, but no HTTP client factory. The extension always hands the core its own client
 * (see http.ts), and leaving the factory out keeps undici, which `nodePlatform` would pull in,
 * out of the bundle. A test checks the bundle for it.
 */
import type { Platform } from '../core/index.js';
import { regionFromEnvironment } from '../node/env-region.js';
import { startLoopbackListener } from '../node/loopback-listener.js';
import { openBrowser } from '../node/open-browser.js';

export const editorPlatform: Platform = {
  startRedirectListener: (options) => startLoopbackListener(options),
  openBrowser,
  detectRegion: regionFromEnvironment,
};
