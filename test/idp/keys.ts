// Key material made at start: the IdP's token signing key and the RSA key pair with a real
// self-signed X.509 certificate that the `confidential-cert` client authenticates with.
// RSA generation costs ~100 ms, so each is made once per process and shared by every IdP.
import { execFile } from 'node:child_process';
import { createHash, generateKeyPair, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

const execFileAsync = promisify(execFile);
const generateKeyPairAsync = promisify(generateKeyPair);

export interface ClientCertificate {
  /** PKCS#8 PEM of the RSA private key. */
  readonly privateKeyPem: string;
  /** PEM of the self-signed certificate for that key. */
  readonly certificatePem: string;
  /** SHA-1 of the DER certificate, lower-case hex (what MSAL calls the thumbprint). */
  readonly thumbprintSha1Hex: string;
  /** SHA-256 of the DER certificate, lower-case hex. */
  readonly thumbprintSha256Hex: string;
}

export interface ClientCertificateMaterial extends ClientCertificate {
  readonly privateKey: KeyObject;
  /** Public JWK with `x5c`, `x5t` and `x5t#S256`, no `kid` and no `alg` (RS256 and PS256 both verify). */
  readonly publicJwk: JWK;
}

async function newRsaKeyPair(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return generateKeyPairAsync('rsa', { modulusLength: 2048 });
}

async function makeSigningJwk(): Promise<JWK> {
  const { privateKey } = await newRsaKeyPair();
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), use: 'sig', alg: 'RS256' };
}

/** Runs `openssl req -x509` on a private key written to a private temporary folder. */
async function selfSign(privateKeyPem: string, subject: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'test-idp-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await writeFile(keyPath, privateKeyPem, { mode: 0o600 });
    try {
      await execFileAsync('openssl', [
        'req', '-new', '-x509', '-key', keyPath, '-out', certPath,
        '-days', '30', '-subj', subject, '-sha256',
      ], { timeout: 10_000 });
    } catch (cause) {
      throw new Error('could not make the test client certificate: the openssl CLI is required', { cause });
    }
    return await readFile(certPath, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function makeClientCertificate(): Promise<ClientCertificateMaterial> {
  const { privateKey, publicKey } = await newRsaKeyPair();
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const certificatePem = await selfSign(privateKeyPem, '/CN=confidential-cert test client');
  const der = new X509Certificate(certificatePem).raw;
  const sha1 = createHash('sha1').update(der).digest();
  const sha256 = createHash('sha256').update(der).digest();
  const publicJwk: JWK = {
    ...await exportJWK(publicKey),
    use: 'sig',
    x5c: [der.toString('base64')],
    x5t: sha1.toString('base64url'),
    'x5t#S256': sha256.toString('base64url'),
  };
  return {
    privateKey,
    privateKeyPem,
    certificatePem,
    thumbprintSha1Hex: sha1.toString('hex'),
    thumbprintSha256Hex: sha256.toString('hex'),
    publicJwk,
  };
}

let signingKey: Promise<JWK> | undefined;
let clientCertificate: Promise<ClientCertificateMaterial> | undefined;

/** The IdP's RS256 signing key as a private JWK with a thumbprint `kid`. */
export function getSigningJwk(): Promise<JWK> {
  signingKey ??= makeSigningJwk().catch((error: unknown) => {
    signingKey = undefined;
    throw error;
  });
  return signingKey;
}

export function getClientCertificate(): Promise<ClientCertificateMaterial> {
  clientCertificate ??= makeClientCertificate().catch((error: unknown) => {
    clientCertificate = undefined;
    throw error;
  });
  return clientCertificate;
}

/** The public half of a private JWK. */
export function toPublicJwk(jwk: JWK): JWK {
  const privateMembers = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);
  return Object.fromEntries(Object.entries(jwk).filter(([name]) => !privateMembers.has(name))) as JWK;
}
