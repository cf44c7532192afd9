/**
 * The applications with Node defaults: `new PublicClientApplication({ clientId })` here gets the
 * undici HTTP client (honouring `proxies`, `verify`, `timeout`), the loopback listener and the
 * system browser without further wiring. The core classes stay platform-free.
 */
import {
  type ClientApplicationOptions,
  ConfidentialClientApplication as CoreConfidentialClientApplication,
  PublicClientApplication as CorePublicClientApplication,
} from '../core/application.js';
import { nodePlatform } from './platform.js';

function withNodePlatform(options: ClientApplicationOptions): ClientApplicationOptions {
  return { ...options, platform: { ...nodePlatform, ...options?.platform } };
}

export class PublicClientApplication extends CorePublicClientApplication {
  constructor(options: ClientApplicationOptions) {
    super(withNodePlatform(options));
  }
}

export class ConfidentialClientApplication extends CoreConfidentialClientApplication {
  constructor(options: ClientApplicationOptions) {
    super(withNodePlatform(options));
  }
}
