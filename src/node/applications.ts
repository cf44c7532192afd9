/**
 * The applications with Node defaults: `new PublicClientApplication({ clientId })` here gets the
 * undici HTTP client (honouring `proxies`, `verify`, `timeout`), the loopback listener and the
 * system browser without further wiring, and a confidential client's certificate may be PKCS#1,
 * encrypted (`passphrase`) or a PFX file (see certificate.ts). The core classes stay platform-free.
 */
import {
  type ClientApplicationOptions,
  ConfidentialClientApplication as CoreConfidentialClientApplication,
  PublicClientApplication as CorePublicClientApplication,
} from '../core/index.js';
import { normaliseClientCredential } from './certificate.js';
import { nodePlatform } from './platform.js';

function withNodeDefaults(options: ClientApplicationOptions): ClientApplicationOptions {
  if (typeof options !== 'object' || options === null) return options;
  return { ...options, platform: { ...nodePlatform, ...options.platform } };
}

export class PublicClientApplication extends CorePublicClientApplication {
  constructor(options: ClientApplicationOptions) {
    super(withNodeDefaults(options));
  }
}

export class ConfidentialClientApplication extends CoreConfidentialClientApplication {
  constructor(options: ClientApplicationOptions) {
    const normalised = withNodeDefaults(options);
    // Only when given: an absent credential must stay an absent key for the core's checks.
    if (normalised?.clientCredential !== undefined) normalised.clientCredential = normaliseClientCredential(normalised.clientCredential);
    super(normalised);
  }
}
