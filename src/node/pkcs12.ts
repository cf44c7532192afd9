/**
 * Reads a PKCS#12 (.pfx/.p12) file into its private key and certificates, for MSAL's
 * `private_key_pfx_path`. Node's crypto decrypts PKCS#8 keys but has no PKCS#12 reader, so this
 * file walks the DER structure (RFC 7292) itself and leaves all cryptography to Node: the MAC is
 * checked first (a wrong passphrase is told apart from a damaged file), shrouded keys are handed
 * to `createPrivateKey` as encrypted PKCS#8, and encrypted certificate bags are decrypted with
 * PBES2 (what OpenSSL 3 writes) or the PKCS#12 3DES scheme (what older tools write). RC2, which
 * OpenSSL 3 no longer offers, is refused with a hint to re-export the file.
 */
import { createDecipheriv, createHash, createHmac, createPrivateKey, type KeyObject, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { AuthError } from '../core/index.js';

interface Der {
  tag: number;
  /** The content octets. */
  body: Buffer;
  /** The whole element, header included. */
  raw: Buffer;
}

function fail(message: string): never {
  throw new AuthError('invalid_argument', `the PFX file ${message}`);
}

/** Reads the DER element at `offset`. */
function readDer(buffer: Buffer, offset = 0): Der & { end: number } {
  if (offset + 2 > buffer.length) fail('is truncated');
  const tag = buffer[offset];
  let length = buffer[offset + 1];
  let header = 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || offset + 2 + bytes > buffer.length) fail('is not DER');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + buffer[offset + 2 + i];
    header += bytes;
  }
  const end = offset + header + length;
  if (end > buffer.length) fail('is truncated');
  return { tag, body: buffer.subarray(offset + header, end), raw: buffer.subarray(offset, end), end };
}

/** The elements of a constructed element's body. */
function children(element: Der): Der[] {
  const out: Der[] = [];
  for (let offset = 0; offset < element.body.length; ) {
    const child = readDer(element.body, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

function expect(element: Der | undefined, tag: number, what: string): Der {
  if (!element || element.tag !== tag) fail(`has no ${what} where one is expected`);
  return element;
}

function oidOf(element: Der | undefined): string {
  const body = expect(element, 0x06, 'object identifier').body;
  const parts = [Math.floor(body[0] / 40), body[0] % 40];
  let value = 0;
  for (const byte of body.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** The content of an `[0] EXPLICIT` wrapper. */
function explicit0(element: Der | undefined, what: string): Der {
  return children(expect(element, 0xa0, what))[0] ?? fail(`has an empty ${what}`);
}

/** An OCTET STRING's bytes, constructed (BER-style, as some tools write) or not. */
function octets(element: Der): Buffer {
  if (element.tag === 0x04 || element.tag === 0x80) return element.body;
  if (element.tag === 0x24 || element.tag === 0xa0) return Buffer.concat(children(element).map(octets));
  fail('has no octet string where one is expected');
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha1TripleDes: '1.2.840.113549.1.12.1.3',
  pbeSha1Rc2_128: '1.2.840.113549.1.12.1.5',
  pbeSha1Rc2_40: '1.2.840.113549.1.12.1.6',
} as const;

const HASHES: Record<string, { name: string; block: number; size: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', block: 64, size: 20 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', block: 64, size: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', block: 128, size: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', block: 128, size: 64 },
};

const PBKDF2_PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const PBES2_CIPHERS: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

function integer(element: Der | undefined): number {
  const body = expect(element, 0x02, 'integer').body;
  return body.reduce((value, byte) => value * 256 + byte, 0);
}

/** The PKCS#12 key derivation (RFC 7292 appendix B): `id` 1 = key, 2 = IV, 3 = MAC key. */
function pkcs12Kdf(passphrase: string, salt: Buffer, iterations: number, id: number, size: number, hash: { name: string; block: number; size: number }): Buffer {
  const v = hash.block;
  // The passphrase as big-endian UTF-16 with a terminating NUL.
  const password = Buffer.alloc((passphrase.length + 1) * 2);
  for (let i = 0; i < passphrase.length; i++) password.writeUInt16BE(passphrase.charCodeAt(i), i * 2);
  const fill = (source: Buffer) => {
    if (source.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i++) out[i] = source[i % source.length];
    return out;
  };
  const d = Buffer.alloc(v, id);
  let block = Buffer.concat([fill(salt), fill(password)]);
  const out: Buffer[] = [];
  for (let produced = 0; produced < size; produced += hash.size) {
    let a = createHash(hash.name).update(d).update(block).digest();
    for (let i = 1; i < iterations; i++) a = createHash(hash.name).update(a).digest();
    out.push(a);
    const b = fill(a).subarray(0, v);
    const next = Buffer.alloc(block.length);
    for (let j = 0; j < block.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = block[j + k] + b[k] + carry;
        next[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
    block = next;
  }
  return Buffer.concat(out).subarray(0, size);
}

/** Decrypts `data` encrypted under the AlgorithmIdentifier `algorithm`. */
function decrypt(algorithm: Der, data: Buffer, passphrase: string): Buffer {
  const [oidElement, params] = children(algorithm);
  const oid = oidOf(oidElement);
  let cipher: string;
  let key: Buffer;
  let iv: Buffer;
  if (oid === OID.pbes2) {
    const [kdf, scheme] = children(expect(params, 0x30, 'PBES2 parameters'));
    const [kdfOid, kdfParams] = children(expect(kdf, 0x30, 'key derivation'));
    if (oidOf(kdfOid) !== OID.pbkdf2) fail('uses a key derivation other than PBKDF2');
    const [salt, iterations, ...rest] = children(expect(kdfParams, 0x30, 'PBKDF2 parameters'));
    const prfElement = rest.find((element) => element.tag === 0x30);
    const prf = prfElement ? PBKDF2_PRFS[oidOf(children(prfElement)[0])] : 'sha1';
    const [cipherOid, ivElement] = children(expect(scheme, 0x30, 'encryption scheme'));
    const found = PBES2_CIPHERS[oidOf(cipherOid)];
    if (!prf || !found) fail('uses an unsupported cipher; re-export it with AES-256 (openssl pkcs12 -export -keypbe AES-256-CBC -certpbe AES-256-CBC)');
    cipher = found.name;
    key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), octets(salt), integer(iterations), found.keyLength, prf);
    iv = octets(ivElement);
  } else if (oid === OID.pbeSha1TripleDes) {
    const [salt, iterations] = children(expect(params, 0x30, 'PBE parameters'));
    const sha1 = HASHES['1.3.14.3.2.26'];
    cipher = 'des-ede3-cbc';
    key = pkcs12Kdf(passphrase, octets(salt), integer(iterations), 1, 24, sha1);
    iv = pkcs12Kdf(passphrase, octets(salt), integer(iterations), 2, 8, sha1);
  } else if (oid === OID.pbeSha1Rc2_40 || oid === OID.pbeSha1Rc2_128) {
    fail('encrypts with RC2, which OpenSSL 3 no longer offers; re-export it with AES-256 (openssl pkcs12 -export -keypbe AES-256-CBC -certpbe AES-256-CBC)');
  } else {
    fail(`uses an unsupported encryption (${oid})`);
  }
  try {
    const decipher = createDecipheriv(cipher, key, iv);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch (cause) {
    throw new AuthError('invalid_argument', 'the PFX file could not be decrypted: is the passphrase right?', { cause });
  }
}

/** Checks the MAC over the authenticated safe, when the file has one. */
function checkMac(macData: Der, content: Buffer, passphrase: string): void {
  const [digestInfo, macSalt, iterationsElement] = children(macData);
  const [algorithm, digest] = children(expect(digestInfo, 0x30, 'MAC digest'));
  const hash = HASHES[oidOf(children(algorithm)[0])] ?? fail('has a MAC with an unsupported hash');
  const iterations = iterationsElement ? integer(iterationsElement) : 1;
  const expected = octets(digest);
  const key = pkcs12Kdf(passphrase, octets(macSalt), iterations, 3, hash.size, hash);
  const actual = createHmac(hash.name, key).update(content).digest();
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new AuthError('invalid_argument', 'the PFX file does not open with this passphrase (its integrity check fails)');
  }
}

/** What a PFX holds: its private key and its certificates, DER, the key's own first. */
export interface Pkcs12Contents {
  privateKey: KeyObject;
  certificates: Buffer[];
}

/** Reads a PFX; `passphrase` '' when it has none. */
export function readPkcs12(pfx: Buffer, passphrase: string): Pkcs12Contents {
  const [version, authSafe, macData] = children(readDer(pfx));
  if (integer(version) !== 3) fail('is not a PKCS#12 version 3 file');
  const [contentType, wrapped] = children(expect(authSafe, 0x30, 'authenticated safe'));
  if (oidOf(contentType) !== OID.data) fail('is signed with a public key, which is not supported');
  const content = octets(explicit0(wrapped, 'content'));
  if (macData) checkMac(macData, content, passphrase);
  const keys: KeyObject[] = [];
  const certificates: Buffer[] = [];
  for (const info of children(readDer(content))) {
    const [type, body] = children(info);
    let safeContents: Buffer;
    if (oidOf(type) === OID.data) {
      safeContents = octets(explicit0(body, 'safe contents'));
    } else if (oidOf(type) === OID.encryptedData) {
      const [, encryptedContentInfo] = children(explicit0(body, 'encrypted data'));
      const [, algorithm, encrypted] = children(expect(encryptedContentInfo, 0x30, 'encrypted content'));
      safeContents = decrypt(algorithm, octets(encrypted ?? fail('has an empty encrypted part')), passphrase);
    } else {
      continue;
    }
    for (const bag of children(readDer(safeContents))) {
      const [bagType, bagValue] = children(bag);
      const kind = oidOf(bagType);
      if (kind === OID.keyBag) {
        keys.push(createPrivateKey({ key: explicit0(bagValue, 'key').raw, format: 'der', type: 'pkcs8' }));
      } else if (kind === OID.shroudedKeyBag) {
        try {
          keys.push(createPrivateKey({ key: explicit0(bagValue, 'key').raw, format: 'der', type: 'pkcs8', passphrase }));
        } catch (cause) {
          throw new AuthError('invalid_argument', 'the PFX file\'s private key could not be decrypted: is the passphrase right?', { cause });
        }
      } else if (kind === OID.certBag) {
        const [certType, certValue] = children(explicit0(bagValue, 'certificate'));
        if (oidOf(certType) === OID.x509Certificate) certificates.push(octets(explicit0(certValue, 'certificate')));
      }
    }
  }
  if (keys.length === 0 || certificates.length === 0) fail('shall contain both a private key and a certificate');
  return { privateKey: keys[0], certificates };
}
