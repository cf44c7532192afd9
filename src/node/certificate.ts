/**
 * Certificate credentials as MSAL for Python reads them, for the Node applications: PKCS#8 or
 * PKCS#1 PEM keys, encrypted ones with a `passphrase`, and PKCS#12 files (`privateKeyPfxPath`)
 * whose thumbprints and certificate come from the file. The core only signs with an unencrypted
 * PKCS#8 key (it cannot use `node:crypto`), so everything is turned into that here, before the
 * core sees the credential; a secret or an assertion passes through untouched.
 */
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AuthError, type CertificateCredential, type ClientCredential } from '../core/index.js';
import { readPkcs12 } from './pkcs12.js';

function pemOf(der: Buffer): string {
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
}

function pkcs8Of(key: KeyObject): string {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new AuthError('invalid_argument', 'clientCredential needs an RSA private key (RS256 and PS256 assertions)');
  }
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Reads a PEM private key of any kind Node knows (PKCS#8, PKCS#1, encrypted with `passphrase`). */
function readPemKey(pem: string, passphrase: string | undefined): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch (cause) {
    const encrypted = /ENCRYPTED/.test(pem);
    throw new AuthError(
      'invalid_argument',
      encrypted
        ? passphrase === undefined
          ? 'clientCredential.privateKey is encrypted: give its passphrase'
          : 'clientCredential.privateKey could not be decrypted: is the passphrase right?'
        : 'clientCredential.privateKey is not a PEM private key (PKCS#8 or PKCS#1)',
      { cause },
    );
  }
}

/** The credential from a PFX: key, both thumbprints of its certificate, and the certificate itself when asked for. */
function fromPfx(credential: CertificateCredential): CertificateCredential {
  let file: Buffer;
  try {
    file = readFileSync(credential.privateKeyPfxPath!);
  } catch (cause) {
    throw new AuthError('invalid_argument', 'clientCredential.privateKeyPfxPath cannot be read', { cause });
  }
  const { privateKey, certificates } = readPkcs12(file, credential.passphrase ?? '');
  // The key's own certificate, wherever the file put it; the others are its chain.
  const own = certificates.find((der) => new X509Certificate(der).checkPrivateKey(privateKey));
  if (!own) throw new AuthError('invalid_argument', "the PFX file holds no certificate of its private key");
  return {
    privateKey: pkcs8Of(privateKey),
    thumbprint: createHash('sha1').update(own).digest('hex'),
    thumbprintSha256: credential.thumbprintSha256 ?? createHash('sha256').update(own).digest('hex'),
    // MSAL: `public_certificate: True` sends the PFX's own certificate; a PEM string is sent as given.
    publicCertificate: credential.publicCertificate === true ? pemOf(own) : credential.publicCertificate,
  };
}

/**
 * The credential the core can use: a PFX read, a PKCS#1 or encrypted key turned into unencrypted
 * PKCS#8 (in memory only). Anything else is returned as given, for the core to check.
 */
export function normaliseClientCredential(credential: ClientCredential | undefined): ClientCredential | undefined {
  if (typeof credential !== 'object' || credential === null || 'clientAssertion' in credential) return credential;
  if (credential.privateKeyPfxPath !== undefined) {
    if (typeof credential.privateKeyPfxPath !== 'string') throw new AuthError('invalid_argument', 'clientCredential.privateKeyPfxPath must be a file path');
    if (credential.privateKey !== undefined) throw new AuthError('invalid_argument', 'give privateKey or privateKeyPfxPath, not both');
    return fromPfx(credential);
  }
  const { privateKey, passphrase, ...rest } = credential;
  if (typeof privateKey !== 'string') return credential;
  if (passphrase !== undefined && typeof passphrase !== 'string') throw new AuthError('invalid_argument', 'clientCredential.passphrase must be a string');
  if (/-----BEGIN PRIVATE KEY-----/.test(privateKey) && passphrase === undefined) return credential;
  return { ...rest, privateKey: pkcs8Of(readPemKey(privateKey, passphrase)) };
}
