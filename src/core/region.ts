/**
 * Regional endpoints (ESTS-R) for a confidential client's client credentials, as MSAL for Python
 * decides them: `azureRegion` names a region, or `true` (also the string `TryAutoDetect`) asks the
 * platform to detect it; `false` opts out; absent, the platform's `MSAL_FORCE_REGION` applies. A
 * region becomes part of a host name, so only a DNS label is ever used: a boolean, an object or
 * a dotted string never reaches a URL.
 */
import type { Authority } from './authority.js';
import { AuthError } from './errors.js';
import type { LogContext } from './logger.js';
import type { Platform } from './platform.js';

/** The old string spelling of "detect the region", kept as an alias of `true`. */
export const TRY_AUTO_DETECT = 'TryAutoDetect';

/** Public-cloud hosts whose regional host is `<region>.login.microsoft.com` (MSAL's list). */
const PUBLIC_CLOUD_HOSTS = new Set(['login.microsoftonline.com', 'login.microsoft.com', 'login.windows.net', 'sts.windows.net']);

const REGION_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Checks `azureRegion` when the application is made. */
export function checkAzureRegion(value: unknown): void {
  if (value === undefined || typeof value === 'boolean' || value === TRY_AUTO_DETECT) return;
  if (typeof value !== 'string' || !REGION_LABEL.test(value)) {
    throw new AuthError('invalid_argument', 'azureRegion must be a region name such as westus2, true to detect it, or false');
  }
}

/** The region to use for one request, or undefined for the central endpoint. */
export function regionToUse(configured: string | boolean | undefined, platform: Platform, log: LogContext): string | undefined {
  if (configured === false) return undefined;
  const wanted = configured ?? platform.forcedRegion?.();
  if (wanted === undefined || wanted === '') return undefined;
  const detect = wanted === true || wanted === TRY_AUTO_DETECT;
  const region = detect ? platform.detectRegion?.() : wanted;
  if (region === undefined || region === '') {
    if (detect) log.verbose('no Azure region detected: the central endpoint is used');
    return undefined;
  }
  if (typeof region !== 'string' || !REGION_LABEL.test(region)) {
    log.warning('the Azure region found is not a region name: the central endpoint is used');
    return undefined;
  }
  return region.toLowerCase();
}

/** The token endpoint of `authority` at `region`; undefined when the authority is not Entra's. */
export function regionalTokenEndpoint(authority: Authority, region: string | undefined): string | undefined {
  if (!region || authority.type !== 'AAD') return undefined;
  const url = new URL(authority.metadata.token_endpoint);
  url.hostname = PUBLIC_CLOUD_HOSTS.has(url.hostname) ? `${region}.login.microsoft.com` : `${region}.${url.hostname}`;
  return url.toString();
}
