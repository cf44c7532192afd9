/**
 * Which URLs the core sends requests to or trusts as identifiers: https, or http on a loopback
 * host when the caller opted in for tests and servers on this machine; never with credentials
 * or a fragment. Authorities, issuers, discovered endpoints and resources are all checked here.
 */
import { AuthError, type AuthErrorCode } from './errors.js';
import { describeUrl } from './logger.js';

/**
 * Loopback host names as `URL.hostname` gives them. `[::ffff:7f00:1]` is `[::ffff:127.0.0.1]`
 * (the IPv4-mapped form of 127.0.0.1, the same socket): browsers do not treat it as localhost,
 * which lets an editor in a browser (code-server) open it directly rather than through its proxy.
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]' || hostname === '[::ffff:7f00:1]';
}

/**
 * Parses a URL that will be sent a request or trusted as an identifier: absolute, no credentials,
 * no fragment, https, or http on a loopback host with the opt-in. Throws `code` otherwise, naming
 * the URL by `what` and the opt-in by `optIn` (the option of the caller's API that turns it on).
 */
export function parseSecureUrl(
  value: unknown,
  what: string,
  code: AuthErrorCode,
  options: { allowInsecureLoopbackHttp?: boolean },
  optIn = 'allowInsecureLoopbackHttp',
): URL {
  if (typeof value !== 'string') throw new AuthError(code, `${what} is not a URL string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AuthError(code, `${what} is not an absolute URL`);
  }
  if (url.username || url.password) throw new AuthError(code, `${what} must not carry credentials`);
  if (url.hash || value.includes('#')) throw new AuthError(code, `${what} must not carry a fragment`);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    if (options.allowInsecureLoopbackHttp === true) return url;
    throw new AuthError(code, `${what} ${describeUrl(value)} uses http on a loopback host, which needs ${optIn}: true`);
  }
  throw new AuthError(code, `${what} ${describeUrl(value)} must use https`);
}
