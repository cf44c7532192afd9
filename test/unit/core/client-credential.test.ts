import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, before, describe, mock, test } from 'node:test';
import { base64url, type CryptoKey, decodeProtectedHeader, exportPKCS8, exportSPKI, generateKeyPair, importSPKI, jwtVerify } from 'jose';
import { type ClientAuth, None } from '../../../src/core/client-auth.js';
import { ClientAssertion, clientAuthFor, ClientSecretPost, extractCertificates, PrivateKeyJwt } from '../../../src/core/client-credential.js';
import { rejectsWithCode, throwsWithCode } from './fakes.js';

const CLIENT_ID = 'client-123';
const TOKEN_ENDPOINT = 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** A SHA-1 thumbprint as the Azure portal shows it (hex, upper case). */
const SHA1_HEX = '5A:B3:27:C1:0F:44:9E:81:D2:7A:6B:3C:90:11:EE:48:AF:02:5D:73'.replace(/:/g, '');
const SHA256_HEX = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
/** Two certificate bodies; the library only moves the base64 into `x5c`, it never parses it. */
const CERT_A = 'MIIBszCCAVmgAwIBAgIUAaaa';
const CERT_B = 'MIIBszCCAVmgAwIBAgIUBbbb';
const CHAIN_PEM = `-----BEGIN CERTIFICATE-----\n${CERT_A.slice(0, 10)}\n${CERT_A.slice(10)}\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\r\n${CERT_B}\r\n-----END CERTIFICATE-----\n`;

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (byte) => parseInt(byte, 16));
}

describe('None and ClientSecretPost', () => {
  test('None sends only the client id', async () => {
    assert.deepEqual(await None()(CLIENT_ID, TOKEN_ENDPOINT), { client_id: CLIENT_ID });
  });

  test('ClientSecretPost sends the id and the secret', async () => {
    assert.deepEqual(await ClientSecretPost('s3cr3t')(CLIENT_ID, TOKEN_ENDPOINT), { client_id: CLIENT_ID, client_secret: 's3cr3t' });
  });
});

describe('ClientAssertion', () => {
  test('a string assertion', async () => {
    assert.deepEqual(await ClientAssertion('eyJ.a.b')(CLIENT_ID, TOKEN_ENDPOINT), {
      client_id: CLIENT_ID,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: 'eyJ.a.b',
    });
  });

  test('a function is called for every request', async () => {
    let calls = 0;
    const auth = ClientAssertion(() => `assertion-${++calls}`);
    assert.equal((await auth(CLIENT_ID, TOKEN_ENDPOINT)).client_assertion, 'assertion-1');
    assert.equal((await auth(CLIENT_ID, TOKEN_ENDPOINT)).client_assertion, 'assertion-2');
  });

  test('an async function', async () => {
    const auth = ClientAssertion(async () => 'from-workload-identity');
    assert.equal((await auth(CLIENT_ID, TOKEN_ENDPOINT)).client_assertion, 'from-workload-identity');
  });

  test('an empty assertion is invalid_argument', async () => {
    await rejectsWithCode(ClientAssertion('')(CLIENT_ID, TOKEN_ENDPOINT), 'invalid_argument');
    await rejectsWithCode(ClientAssertion(() => '')(CLIENT_ID, TOKEN_ENDPOINT), 'invalid_argument');
    await rejectsWithCode(ClientAssertion(async () => undefined as unknown as string)(CLIENT_ID, TOKEN_ENDPOINT), 'invalid_argument');
  });
});

describe('extractCertificates', () => {
  test('every certificate of a chain, white space removed', () => {
    assert.deepEqual(extractCertificates(CHAIN_PEM), [CERT_A, CERT_B]);
  });

  test('a bare base64 body is taken as one certificate', () => {
    assert.deepEqual(extractCertificates(`  ${CERT_A.slice(0, 8)}\n${CERT_A.slice(8)}  `), [CERT_A]);
  });

  test('a private key instead of a certificate is invalid_argument', () => {
    throwsWithCode(() => extractCertificates('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----'), 'invalid_argument');
  });
});

describe('PrivateKeyJwt', () => {
  let privatePem: string;
  let publicKey: CryptoKey;
  before(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
    privatePem = await exportPKCS8(pair.privateKey);
    publicKey = pair.publicKey;
  });
  afterEach(() => mock.timers.reset());

  async function assertionOf(auth: ClientAuth): Promise<string> {
    const form = await auth(CLIENT_ID, TOKEN_ENDPOINT);
    assert.equal(form.client_id, CLIENT_ID);
    assert.equal(form.client_assertion_type, ASSERTION_TYPE);
    assert.equal(typeof form.client_assertion, 'string');
    assert.equal(form.client_secret, undefined);
    return form.client_assertion;
  }

  test('RS256 with x5t from the SHA-1 thumbprint, verifiable with the public key (frozen clock)', async () => {
    const now = Date.UTC(2025, 2, 1, 8, 0, 0);
    mock.timers.enable({ apis: ['Date'], now });
    const assertion = await assertionOf(PrivateKeyJwt({ privateKey: privatePem, thumbprint: SHA1_HEX }));
    const header = decodeProtectedHeader(assertion);
    assert.deepEqual(header, { alg: 'RS256', typ: 'JWT', x5t: base64url.encode(hexToBytes(SHA1_HEX)) });
    const { payload } = await jwtVerify(assertion, publicKey, {
      algorithms: ['RS256'],
      audience: TOKEN_ENDPOINT,
      issuer: CLIENT_ID,
      subject: CLIENT_ID,
      currentDate: new Date(now),
    });
    const seconds = now / 1000;
    assert.equal(payload.aud, TOKEN_ENDPOINT);
    assert.equal(payload.iss, CLIENT_ID);
    assert.equal(payload.sub, CLIENT_ID);
    assert.equal(payload.iat, seconds);
    assert.equal(payload.nbf, seconds);
    assert.equal(payload.exp, seconds + 600);
    assert.match(String(payload.jti), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('a thumbprint with colons or lower case gives the same x5t', async () => {
    const colons = SHA1_HEX.toLowerCase().match(/../g)!.join(':');
    const header = decodeProtectedHeader(await assertionOf(PrivateKeyJwt({ privateKey: privatePem, thumbprint: colons })));
    assert.equal(header.x5t, base64url.encode(hexToBytes(SHA1_HEX)));
  });

  test('PS256 with x5t#S256 when thumbprintSha256 is given (preferred over SHA-1)', async () => {
    const assertion = await assertionOf(PrivateKeyJwt({ privateKey: privatePem, thumbprint: SHA1_HEX, thumbprintSha256: SHA256_HEX }));
    const header = decodeProtectedHeader(assertion);
    assert.equal(header.alg, 'PS256');
    assert.equal(header['x5t#S256'], base64url.encode(hexToBytes(SHA256_HEX)));
    assert.equal(header.x5t, undefined);
    // WebCrypto binds a key to one algorithm: import the same public key for RSA-PSS.
    const pssKey = await importSPKI(await exportSPKI(publicKey), 'PS256');
    await jwtVerify(assertion, pssKey, { algorithms: ['PS256'], audience: TOKEN_ENDPOINT });
  });

  test('x5c carries the certificate chain when publicCertificate is given', async () => {
    const header = decodeProtectedHeader(
      await assertionOf(PrivateKeyJwt({ privateKey: privatePem, thumbprint: SHA1_HEX, publicCertificate: CHAIN_PEM })),
    );
    assert.deepEqual(header.x5c, [CERT_A, CERT_B]);
  });

  test('no x5c without publicCertificate', async () => {
    const header = decodeProtectedHeader(await assertionOf(PrivateKeyJwt({ privateKey: privatePem, thumbprint: SHA1_HEX })));
    assert.equal(header.x5c, undefined);
  });

  test('clientClaims are merged into the payload', async () => {
    const assertion = await assertionOf(
      PrivateKeyJwt({ privateKey: privatePem, thumbprint: SHA1_HEX }, { xms_az_claim: 'value', roles: ['a', 'b'] }),
    );
    const { payload } = await jwtVerify(assertion, publicKey, { algorithms: ['RS256'] });
    assert.equal(payload.xms_az_claim, 'value');
    assert.deepEqual(payload.roles, ['a', 'b']);
    assert.equal(payload.iss, CLIENT_ID);
  });

  test('every assertion has a fresh jti', async () => {
    const auth = PrivateKeyJwt({ privateKey: privatePem, thumbprint: SHA1_HEX });
    const a = await jwtVerify(await assertionOf(auth), publicKey);
    const b = await jwtVerify(await assertionOf(auth), publicKey);
    assert.notEqual(a.payload.jti, b.payload.jti);
  });

  test('the audience is the token endpoint of each request', async () => {
    const auth = PrivateKeyJwt({ privateKey: privatePem, thumbprint: SHA1_HEX });
    const regional = 'https://westus.login.microsoft.com/contoso/oauth2/v2.0/token';
    const form = await auth(CLIENT_ID, regional);
    const { payload } = await jwtVerify(form.client_assertion, publicKey);
    assert.equal(payload.aud, regional);
  });

  test('a PKCS#1 key is accepted at construction and is invalid_argument on use', async () => {
    const pkcs1 = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
    assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
    const auth = PrivateKeyJwt({ privateKey: pkcs1, thumbprint: SHA1_HEX });
    const err = await rejectsWithCode(auth(CLIENT_ID, TOKEN_ENDPOINT), 'invalid_argument');
    assert.match(err.message, /PKCS#8/);
    assert.ok(err.cause !== undefined);
    // Still the same answer the second time.
    await rejectsWithCode(auth(CLIENT_ID, TOKEN_ENDPOINT), 'invalid_argument');
  });

  test('a garbage private key is invalid_argument on use', async () => {
    const auth = PrivateKeyJwt({ privateKey: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----', thumbprint: SHA1_HEX });
    await rejectsWithCode(auth(CLIENT_ID, TOKEN_ENDPOINT), 'invalid_argument');
  });

  test('a private key that is not PEM is invalid_argument at construction', () => {
    throwsWithCode(() => PrivateKeyJwt({ privateKey: 'MIIEvQIBADANBg', thumbprint: SHA1_HEX }), 'invalid_argument');
    throwsWithCode(() => PrivateKeyJwt({ privateKey: undefined as unknown as string, thumbprint: SHA1_HEX }), 'invalid_argument');
  });

  test('no thumbprint is invalid_argument', () => {
    throwsWithCode(() => PrivateKeyJwt({ privateKey: privatePem }), 'invalid_argument');
  });

  test('a thumbprint that is not hex is invalid_argument', () => {
    throwsWithCode(() => PrivateKeyJwt({ privateKey: privatePem, thumbprint: 'not-hex' }), 'invalid_argument');
    throwsWithCode(() => PrivateKeyJwt({ privateKey: privatePem, thumbprint: 'abc' }), 'invalid_argument');
    throwsWithCode(() => PrivateKeyJwt({ privateKey: privatePem, thumbprintSha256: 'zz' }), 'invalid_argument');
  });

  test('a publicCertificate holding a private key is invalid_argument', () => {
    throwsWithCode(() => PrivateKeyJwt({ privateKey: privatePem, thumbprint: SHA1_HEX, publicCertificate: privatePem }), 'invalid_argument');
  });
});

describe('clientAuthFor', () => {
  let privatePem: string;
  before(async () => {
    privatePem = await exportPKCS8((await generateKeyPair('RS256', { extractable: true })).privateKey);
  });

  test('undefined is a public client', async () => {
    assert.deepEqual(await clientAuthFor(undefined)(CLIENT_ID, TOKEN_ENDPOINT), { client_id: CLIENT_ID });
  });

  test('a string is a client secret', async () => {
    assert.deepEqual(await clientAuthFor('s3cr3t')(CLIENT_ID, TOKEN_ENDPOINT), { client_id: CLIENT_ID, client_secret: 's3cr3t' });
  });

  test('an empty secret is invalid_argument', () => {
    throwsWithCode(() => clientAuthFor(''), 'invalid_argument');
  });

  test('{ clientAssertion } is a client assertion', async () => {
    const form = await clientAuthFor({ clientAssertion: 'eyJ.x.y' })(CLIENT_ID, TOKEN_ENDPOINT);
    assert.equal(form.client_assertion, 'eyJ.x.y');
    assert.equal(form.client_assertion_type, ASSERTION_TYPE);
  });

  test('a certificate is private_key_jwt, with clientClaims', async () => {
    const form = await clientAuthFor({ privateKey: privatePem, thumbprint: SHA1_HEX }, { extra: 1 })(CLIENT_ID, TOKEN_ENDPOINT);
    assert.equal(form.client_assertion_type, ASSERTION_TYPE);
    const [, payload] = form.client_assertion.split('.');
    assert.equal(JSON.parse(new TextDecoder().decode(base64url.decode(payload))).extra, 1);
  });

  for (const [label, value] of [
    ['null', null],
    ['a number', 42],
    ['an empty object', {}],
    ['an object of the wrong shape', { secret: 'x' }],
  ] as const) {
    test(`${label} is invalid_argument`, () => {
      throwsWithCode(() => clientAuthFor(value as never), 'invalid_argument');
    });
  }
});
