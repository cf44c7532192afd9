import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { claimsChallengeFrom, parseWwwAuthenticate } from '../../../src/core/www-authenticate.js';
import { throwsWithCode } from './fakes.js';

/** The header Microsoft Graph sends for a continuous access evaluation claims challenge. */
const ENTRA_CAE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0="';

describe('parseWwwAuthenticate', () => {
  test('the Entra CAE challenge', () => {
    assert.deepEqual(parseWwwAuthenticate(ENTRA_CAE), [
      {
        scheme: 'bearer',
        params: {
          realm: '',
          authorization_uri: 'https://login.microsoftonline.com/common/oauth2/authorize',
          client_id: '00000003-0000-0000-c000-000000000000',
          error: 'insufficient_claims',
          claims: 'eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0=',
        },
      },
    ]);
  });

  test('a scheme alone', () => {
    assert.deepEqual(parseWwwAuthenticate('Negotiate'), [{ scheme: 'negotiate', params: {} }]);
  });

  test('Negotiate, Bearer realm="x"', () => {
    assert.deepEqual(parseWwwAuthenticate('Negotiate, Bearer realm="x"'), [
      { scheme: 'negotiate', params: {} },
      { scheme: 'bearer', params: { realm: 'x' } },
    ]);
  });

  test('Basic abc==, Bearer error="invalid_token"', () => {
    assert.deepEqual(parseWwwAuthenticate('Basic abc==, Bearer error="invalid_token"'), [
      { scheme: 'basic', params: {}, token68: 'abc==' },
      { scheme: 'bearer', params: { error: 'invalid_token' } },
    ]);
  });

  test('two challenges with parameters each', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="a", error="invalid_token", Basic realm="b", charset="UTF-8"'), [
      { scheme: 'bearer', params: { realm: 'a', error: 'invalid_token' } },
      { scheme: 'basic', params: { realm: 'b', charset: 'UTF-8' } },
    ]);
  });

  test('unquoted token values, names and schemes case-insensitive, white space around =', () => {
    assert.deepEqual(parseWwwAuthenticate('BEARER Error = invalid_token ,  Scope="a b"'), [
      { scheme: 'bearer', params: { error: 'invalid_token', scope: 'a b' } },
    ]);
  });

  test('a parameter named __proto__ is kept as data, not dropped or set as the prototype (found by a property test)', () => {
    const [challenge] = parseWwwAuthenticate('Bearer __proto__="x", error="insufficient_claims"');
    assert.deepEqual(Object.keys(challenge.params), ['__proto__', 'error']);
    assert.equal(Object.getOwnPropertyDescriptor(challenge.params, '__proto__')?.value, 'x');
    assert.equal(Object.getPrototypeOf(challenge.params), Object.prototype);
  });

  test('quoted strings with escapes and commas', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="a \\"quoted\\" \\\\ path, with comma", error="x"'), [
      { scheme: 'bearer', params: { realm: 'a "quoted" \\ path, with comma', error: 'x' } },
    ]);
  });

  test('empty list elements are skipped', () => {
    assert.deepEqual(parseWwwAuthenticate(' , Negotiate ,, Bearer realm="x",, error="y" ,'), [
      { scheme: 'negotiate', params: {} },
      { scheme: 'bearer', params: { realm: 'x', error: 'y' } },
    ]);
  });

  test('a lone name= after a scheme is a token68, as RFC 9110 allows', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm='), [{ scheme: 'bearer', params: {}, token68: 'realm=' }]);
  });

  test('an empty header has no challenges', () => {
    assert.deepEqual(parseWwwAuthenticate(''), []);
    assert.deepEqual(parseWwwAuthenticate('   '), []);
  });

  for (const [label, header] of [
    ['an unterminated quoted string', 'Bearer realm="x'],
    ['an unterminated string ending in a backslash', 'Bearer realm="x\\'],
    ['a parameter without a value', 'Bearer realm="x", error='],
    ['a value that is neither token nor quoted string', 'Bearer realm=@x'],
    ['a header starting with =', '=Bearer'],
    ['a header starting with a quote', '"Bearer"'],
    ['two parameters without a comma', 'Bearer realm="x" error="y"'],
    ['a token68 followed by junk', 'Basic abc== def'],
    ['a parameter followed by a scheme without a comma', 'Bearer realm="x" Basic'],
    ['a token value followed by junk', 'Bearer error=invalid_token junk'],
  ] as const) {
    test(`malformed: ${label} (invalid_response)`, () => {
      throwsWithCode(() => parseWwwAuthenticate(header), 'invalid_response');
    });
  }

  test('not a string (invalid_response)', () => {
    throwsWithCode(() => parseWwwAuthenticate(undefined as unknown as string), 'invalid_response');
  });
});

describe('claimsChallengeFrom', () => {
  test('decodes the claims of the Entra CAE challenge to JSON', () => {
    const claims = claimsChallengeFrom(ENTRA_CAE);
    assert.equal(claims, '{"access_token":{"nbf":{"essential":true, "value":"1604106651"}}}');
    assert.deepEqual(JSON.parse(claims!), { access_token: { nbf: { essential: true, value: '1604106651' } } });
  });

  test('base64url without padding is decoded too', () => {
    const json = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
    const encoded = btoa(json).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    assert.equal(claimsChallengeFrom(`Bearer error="insufficient_claims", claims="${encoded}"`), json);
  });

  test('UTF-8 in the claims survives decoding', () => {
    const json = '{"access_token":{"x":{"value":"é€"}}}';
    const encoded = btoa(String.fromCharCode(...new TextEncoder().encode(json)));
    assert.equal(claimsChallengeFrom(`Bearer claims="${encoded}"`), json);
  });

  test('the Bearer challenge is found among others', () => {
    const encoded = btoa('{"a":1}');
    assert.equal(claimsChallengeFrom(`Negotiate, Basic realm="x", Bearer realm="", claims="${encoded}"`), '{"a":1}');
  });

  test('undefined without a claims parameter, or with claims only on another scheme', () => {
    assert.equal(claimsChallengeFrom('Bearer realm="", error="invalid_token"'), undefined);
    assert.equal(claimsChallengeFrom(`PoP claims="${btoa('{}')}"`), undefined);
    assert.equal(claimsChallengeFrom('Bearer claims=""'), undefined);
    assert.equal(claimsChallengeFrom(''), undefined);
  });

  for (const [label, claims] of [
    ['not base64', '!!!not base64!!!'],
    ['base64 of something that is not JSON', btoa('not json')],
    ['base64 of invalid UTF-8', btoa('\xff\xfe')],
  ] as const) {
    test(`claims that are ${label} are invalid_response`, () => {
      throwsWithCode(() => claimsChallengeFrom(`Bearer claims="${claims}"`), 'invalid_response');
    });
  }

  test('a malformed header is invalid_response', () => {
    throwsWithCode(() => claimsChallengeFrom('Bearer claims="abc'), 'invalid_response');
  });
});
