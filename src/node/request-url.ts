/**
 * The URL check both Node HTTP clients make before sending: an absolute http(s) URL, else an
 * `invalid_argument` AuthError. Its own module so that the editor's client (builtin-http.ts) can
 * use it without loading undici.
 */
import { AuthError } from '../core/index.js';

export function parseRequestUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new AuthError('invalid_argument', 'request URL is not a valid absolute URL', { cause });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new AuthError('invalid_argument', `request URL scheme ${parsed.protocol} is not http: or https:`);
  }
  return parsed;
}
