/**
 * What a confidential client authenticates with, one small factory per method: client_secret_post,
 * private_key_jwt from a certificate (signed with jose), or a caller-made assertion. Each returns
 * the form parameters to add (see client-auth.ts); secrets never leave them. Only
 * ConfidentialClientApplication imports this file, so public clients (the browser build) never
 * carry certificate handling.
 */
import type { CryptoKey } from 'jose';
import * as base64url from 'jose/base64url';
import { type ClientAuth, None } from './client-auth.js';
import { randomUuid } from './crypto.js';
import { AuthError } from './errors.js';

/** A certificate credential, as MSAL's `client_credential` dict. */
export interface CertificateCredential {
  /**
   * The private key: an unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), or a key already
   * imported for signing (a WebCrypto `CryptoKey`). The Node entry point also reads PKCS#1
   * (`BEGIN RSA PRIVATE KEY`) and encrypted keys with {@link passphrase}, and hands the core one of these.
   */
  privateKey?: string | CryptoKey;
  /** The passphrase of an encrypted `privateKey` or of a PFX. Read by the Node entry point. */
  passphrase?: string;
  /** A PKCS#12 (.pfx/.p12) file holding key and certificate (MSAL's `private_key_pfx_path`). Read by the Node entry point. */
  privateKeyPfxPath?: string;
  /** SHA-1 thumbprint of the certificate, hex. Sent as `x5t` with RS256. */
  thumbprint?: string;
  /** SHA-256 thumbprint of the certificate, hex. Sent as `x5t#S256` with PS256; preferred. */
  thumbprintSha256?: string;
  /**
   * The PEM certificate (chain), sent as `x5c` (subject name / issuer authentication). With a PFX,
   * `true` sends the PFX's own certificate, as MSAL does.
   */
  publicCertificate?: string | true;
}

/** An assertion the caller made, or a function that makes a fresh one for each request. */
export interface AssertionCredential {
  clientAssertion: string | (() => string | Promise<string>);
}

/** Everything `clientCredential` accepts: a secret string, a certificate or an assertion. */
export type ClientCredential = string | CertificateCredential | AssertionCredential;

const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** client_secret_post. */
export function ClientSecretPost(secret: string): ClientAuth {
  return async (clientId) => ({ client_id: clientId, client_secret: secret });
}

/** A caller-made client assertion (for example from a managed identity or workload identity). */
export function ClientAssertion(assertion: AssertionCredential['clientAssertion']): ClientAuth {
  return async (clientId) => {
    const value = typeof assertion === 'function' ? await assertion() : assertion;
    if (typeof value !== 'string' || value.length === 0) throw new AuthError('invalid_argument', 'clientAssertion produced no assertion');
    return { client_id: clientId, client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: value };
  };
}

function hexToBase64Url(hex: string, what: string): string {
  const clean = hex.replace(/:/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new AuthError('invalid_argument', `${what} must be a hex string`);
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return base64url.encode(bytes);
}

/** The base64 DER bodies of the certificates in a PEM string, for the `x5c` header. */
export function extractCertificates(pem: string): string[] {
  const found = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)].map((m) => m[1].replace(/\s+/g, ''));
  if (found.length > 0) return found;
  if (pem.includes('PRIVATE KEY')) throw new AuthError('invalid_argument', 'publicCertificate holds a private key, not a certificate');
  return [pem.replace(/\s+/g, '')];
}

/** How long a certificate assertion is valid; MSAL uses ten minutes. */
const ASSERTION_LIFETIME_S = 600;

/**
 * private_key_jwt from a certificate: a JWT with `aud` = token endpoint, `iss` = `sub` = client
 * id, a fresh `jti`, `iat`, `nbf` and `exp`, and the certificate's thumbprint in the header.
 * `clientClaims` (MSAL's `client_claims`) are merged over these defaults, so they may replace any
 * of them, as MSAL for Python's `payload.update(additional_claims)` does: a caller that needs
 * another audience or lifetime (an ADFS or a federated token endpoint) can have it.
 */
export function PrivateKeyJwt(credential: CertificateCredential, clientClaims: Record<string, unknown> = {}): ClientAuth {
  if (credential.passphrase !== undefined || credential.privateKeyPfxPath !== undefined) {
    throw new AuthError('not_supported', 'an encrypted key (passphrase) or a PFX file needs the Node entry point, which decrypts it (src/node)');
  }
  const givenKey = credential.privateKey;
  const isCryptoKey = typeof givenKey === 'object' && givenKey !== null && (givenKey as { type?: unknown }).type === 'private';
  if (!isCryptoKey && (typeof givenKey !== 'string' || !givenKey.includes('PRIVATE KEY'))) {
    throw new AuthError('invalid_argument', 'clientCredential.privateKey must be a PEM private key');
  }
  if (!credential.thumbprint && !credential.thumbprintSha256) {
    throw new AuthError('invalid_argument', 'clientCredential needs thumbprint or thumbprintSha256');
  }
  if (typeof clientClaims !== 'object' || clientClaims === null || Array.isArray(clientClaims)) {
    throw new AuthError('invalid_argument', 'clientClaims must be an object of claims');
  }
  const alg = credential.thumbprintSha256 ? 'PS256' : 'RS256';
  const header: Record<string, unknown> = { alg, typ: 'JWT' };
  if (credential.thumbprintSha256) header['x5t#S256'] = hexToBase64Url(credential.thumbprintSha256, 'thumbprintSha256');
  else header.x5t = hexToBase64Url(credential.thumbprint!, 'thumbprint');
  if (credential.publicCertificate === true) {
    throw new AuthError('invalid_argument', 'publicCertificate: true takes the certificate of a PFX (privateKeyPfxPath); give the PEM certificate otherwise');
  }
  if (typeof credential.publicCertificate === 'string') header.x5c = extractCertificates(credential.publicCertificate);
  // jose's key import and JWT signing load only here, when an app has a certificate: public
  // clients, the common case, never pay for loading them (bench/, figure 6).
  const signing = Promise.all([import('jose/key/import'), import('jose/jwt/sign')]);
  const keyPromise = isCryptoKey
    ? Promise.resolve(givenKey as CryptoKey)
    : signing.then(([{ importPKCS8 }]) => importPKCS8(givenKey as string, alg)).catch((err: unknown) => {
        throw new AuthError(
          'invalid_argument',
          'clientCredential.privateKey is not an unencrypted PKCS#8 PEM RSA key (the Node entry point also reads PKCS#1, encrypted keys and PFX)',
          { cause: err },
        );
      });
  keyPromise.catch(() => undefined); // reported on first use, not as an unhandled rejection
  return async (clientId, tokenEndpoint) => {
    const key = await keyPromise;
    const [, { SignJWT }] = await signing;
    const now = Math.floor(Date.now() / 1000);
    const defaults = { aud: tokenEndpoint, iss: clientId, sub: clientId, jti: randomUuid(), iat: now, nbf: now, exp: now + ASSERTION_LIFETIME_S };
    // Not SignJWT's setters: they would run after the payload and overwrite the caller's claims.
    const assertion = await new SignJWT({ ...defaults, ...clientClaims })
      .setProtectedHeader(header as { alg: string })
      .sign(key)
      .catch((err: unknown) => {
        throw new AuthError('invalid_argument', `clientCredential.privateKey cannot sign ${alg} assertions`, { cause: err });
      });
    return { client_id: clientId, client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: assertion };
  };
}

/** Picks the factory for an MSAL-style `clientCredential`. */
export function clientAuthFor(credential: ClientCredential | undefined, clientClaims?: Record<string, unknown>): ClientAuth {
  if (credential === undefined) return None();
  if (typeof credential === 'string') {
    if (credential.length === 0) throw new AuthError('invalid_argument', 'the client secret is empty');
    return ClientSecretPost(credential);
  }
  if (typeof credential === 'object' && credential !== null) {
    if ('clientAssertion' in credential) return ClientAssertion(credential.clientAssertion);
    if ('privateKey' in credential || 'privateKeyPfxPath' in credential) return PrivateKeyJwt(credential, clientClaims);
  }
  throw new AuthError('invalid_argument', 'clientCredential must be a secret string, a certificate { privateKey, thumbprint } or { clientAssertion }');
}
