/**
 * Builds the one undici dispatcher a Node HTTP client sends everything through: it holds the
 * connection pools (reuse across requests), the proxy choice and the TLS trust settings.
 */
import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { AuthError } from '../core/index.js';
import type { TlsTrustOptions } from './tls-trust.js';

/**
 * Proxies, like the `proxies` dict of Python `requests` (which MSAL Python passes through).
 *
 * Each field left `undefined` falls back to the environment, as `requests` does:
 * `http` to `http_proxy`/`HTTP_PROXY`, `https` to `https_proxy`/`HTTPS_PROXY` (then to the HTTP
 * proxy), `noProxy` to `no_proxy`/`NO_PROXY`. Set a field to `''` to turn it off whatever the
 * environment says.
 *
 * Proxy URLs are `http:` or `https:` and may carry credentials (`http://user:pass@proxy:3128`),
 * which are sent as `Proxy-Authorization: Basic`. `noProxy` is a comma-separated list of host
 * names, domain suffixes (`.corp.example`) and `host:port` entries, or `*`.
 */
export interface ProxyOptions {
  /** Proxy for `http:` URLs: requests are sent to it in absolute-URI form. */
  http?: string;
  /** Proxy for `https:` URLs: a `CONNECT` tunnel is opened through it. */
  https?: string;
  /** Hosts reached directly. */
  noProxy?: string;
}

/** Checks a proxy URL without ever putting it (it may hold a password) into an error message. */
function checkProxyUrl(name: string, value: string | undefined): void {
  if (value === undefined || value === '') return;
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new AuthError('invalid_argument', `proxies.${name} is not a valid URL`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AuthError('invalid_argument', `proxies.${name} must be an http: or https: URL`);
  }
}

/**
 * Creates the dispatcher. `EnvHttpProxyAgent` is used in every case: with no proxy configured it
 * is a plain `Agent`, so there is a single code path for direct and proxied traffic.
 */
export function createDispatcher(proxies: ProxyOptions | undefined, tlsTrust: TlsTrustOptions): Dispatcher {
  checkProxyUrl('http', proxies?.http);
  checkProxyUrl('https', proxies?.https);
  return new EnvHttpProxyAgent({
    httpProxy: proxies?.http,
    httpsProxy: proxies?.https,
    noProxy: proxies?.noProxy,
    // Direct connections.
    connect: tlsTrust,
    // The origin's TLS inside a CONNECT tunnel.
    requestTls: tlsTrust,
    // An https: proxy's own certificate: corporate proxies are often signed by the same private CA.
    proxyTls: tlsTrust,
    // http: URLs go to the proxy in absolute-URI form, as `requests` and curl do; undici would
    // otherwise tunnel them with CONNECT, which many proxies allow only to port 443.
    proxyTunnel: false,
  });
}
