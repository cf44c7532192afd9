/**
 * TLS trust settings of the Node HTTP client, after MSAL Python's `verify` option (which is
 * passed to `requests`): verify against the default CAs, against the default CAs plus a
 * caller's bundle, or not at all.
 */
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AuthError } from '../core/index.js';

/**
 * How server certificates are checked.
 *
 * - `true` (the default): against Node's default CAs.
 * - a PEM string or array of PEM strings: against the default CAs plus these certificates (a
 *   corporate TLS-inspecting proxy's root, a private IdP's CA). Pass the file's contents, not its
 *   path.
 * - `false`: **no verification at all**. Anyone on the network path can then read and change the
 *   traffic, tokens and client secrets included. Only for local tests against throw-away servers.
 */
export type VerifyOption = boolean | string | readonly string[];

/** The `node:tls` options that carry a {@link VerifyOption}. */
export interface TlsTrustOptions {
  ca?: string[];
  rejectUnauthorized: boolean;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Turns a {@link VerifyOption} into `node:tls` connection options.
 * Fails with `invalid_argument` when a bundle holds no certificate or an unparsable one: Node would
 * otherwise ignore a bad bundle silently and every connection would fail later with a vaguer error.
 */
export function resolveTlsTrust(verify: VerifyOption = true): TlsTrustOptions {
  if (verify === true) return { rejectUnauthorized: true };
  if (verify === false) return { rejectUnauthorized: false };
  const bundles = typeof verify === 'string' ? [verify] : [...verify];
  const extra: string[] = [];
  for (const bundle of bundles) {
    if (typeof bundle !== 'string') throw new AuthError('invalid_argument', 'verify must be a boolean, a PEM string or an array of PEM strings');
    const blocks = bundle.match(PEM_CERTIFICATE) ?? [];
    if (blocks.length === 0) {
      throw new AuthError('invalid_argument', 'verify holds no PEM certificate (pass the contents of the CA bundle, not its path)');
    }
    for (const block of blocks) {
      try {
        new X509Certificate(block);
      } catch (cause) {
        throw new AuthError('invalid_argument', 'verify holds a PEM certificate that cannot be parsed', { cause });
      }
      extra.push(block);
    }
  }
  // Setting `ca` replaces Node's trust store, so the defaults are listed first to *add* to them.
  return { ca: [...defaultCaCertificates(), ...extra], rejectUnauthorized: true };
}

/**
 * The CAs Node trusts by default. Node 22.15+ has `tls.getCACertificates('default')`: the bundled
 * Mozilla list plus NODE_EXTRA_CA_CERTS (and, with --use-system-ca, the OS store). Older Node only
 * exposes the Mozilla list, and an explicit `ca` would silently drop NODE_EXTRA_CA_CERTS, so that
 * file is read here to keep its CAs trusted.
 */
function defaultCaCertificates(): readonly string[] {
  const get = (tls as { getCACertificates?: (type: 'default') => string[] }).getCACertificates;
  if (typeof get === 'function') return get('default');
  const extraFile = process.env.NODE_EXTRA_CA_CERTS;
  let extra: string[] = [];
  if (extraFile) {
    try {
      extra = readFileSync(extraFile, 'utf8').match(PEM_CERTIFICATE) ?? [];
    } catch {
      // Node already warned about an unreadable file at startup and trusts nothing from it either.
    }
  }
  return [...tls.rootCertificates, ...extra];
}
