/**
 * Property tests of the authorization-response check: the redirect's query is outside input (any
 * web page can send the browser to the redirect URI). Only a response with the flow's `state`,
 * an acceptable `iss` (RFC 9207) and a non-empty string `code` yields a code; everything else is
 * a typed error naming what failed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Authority } from '../../../../src/core/authority.js';
import { ServerError } from '../../../../src/core/errors.js';
import { type AuthCodeFlow, checkAuthorizationResponse, parseAuthorizationResponse } from '../../../../src/core/grants/authorization-code.js';
import { anyString, hostileValue, mutatedDocument, runOptions, typedOrValue } from '../property.js';

const MS = 'https://login.microsoftonline.com';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';

function authority(issuer: string, issSupported: boolean): Authority {
  const metadata = {
    issuer,
    authorization_endpoint: `${MS}/common/oauth2/v2.0/authorize`,
    token_endpoint: `${MS}/common/oauth2/v2.0/token`,
    ...(issSupported ? { authorization_response_iss_parameter_supported: true } : {}),
  };
  return new Authority(`${MS}/common`, 'AAD', 'login.microsoftonline.com', 'common', metadata, ['login.microsoftonline.com']);
}

const flow: AuthCodeFlow = { authUri: `${MS}/common/oauth2/v2.0/authorize`, state: 'state-1', scope: ['openid'], codeVerifier: 'v', nonce: 'n' };

const authorities = fc.record({
  issuer: fc.constantFrom(`${MS}/{tenantid}/v2.0`, `${MS}/${TENANT_ID}/v2.0`, 'https://idp.example.com/realm'),
  supported: fc.boolean(),
});

/** What a hostile page or a mixed-up server may put in the query (values typed loosely, as JS callers may pass them). */
const issValues = fc.oneof(
  fc.constantFrom(`${MS}/${TENANT_ID}/v2.0`, `${MS}/{tenantid}/v2.0`, `${MS}/evil/v2.0`, `${MS}/a/b/v2.0`, `${MS}/${TENANT_ID}/v2.0/`, 'https://idp.example.com/realm', 'https://evil.example/realm', `${MS}/.*/v2.0`),
  anyString,
  hostileValue,
);
const responses: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  mutatedDocument({ code: 'code-1', state: 'state-1', iss: `${MS}/${TENANT_ID}/v2.0` }),
  fc.record({ code: fc.oneof(fc.constant('code-1'), hostileValue), state: fc.constant('state-1'), iss: issValues }, { requiredKeys: ['state'] }),
  fc.record({ error: fc.oneof(fc.constant('access_denied'), hostileValue), error_description: fc.oneof(anyString, hostileValue), state: fc.constant('state-1') }, { requiredKeys: ['state'] }),
  fc.dictionary(fc.constantFrom('code', 'state', 'iss', 'error', 'error_description', '__proto__', 'constructor'), fc.oneof(anyString, hostileValue)),
);

/** Whether `iss` is acceptable for `issuer`, computed independently of the library. */
function issuerMatches(issuer: string, iss: unknown): boolean {
  if (typeof iss !== 'string') return false;
  if (!issuer.includes('{tenantid}')) return iss === issuer;
  const [before, after] = issuer.split('{tenantid}');
  const tenant = iss.startsWith(before!) && iss.endsWith(after!) ? iss.slice(before!.length, iss.length - after!.length) : '';
  return tenant.length > 0 && !tenant.includes('/');
}

describe('checkAuthorizationResponse: properties', () => {
  test('a code comes back only from a response that passes every check; all else is typed', () => {
    fc.assert(
      fc.property(authorities, responses, ({ issuer, supported }, response) => {
        const code = typedOrValue(
          () => checkAuthorizationResponse(flow, response as Record<string, string | undefined>, authority(issuer, supported)),
          ['state_mismatch', 'issuer_mismatch', 'server_error', 'invalid_response'],
        );
        if (code === undefined) return;
        assert.equal(response.state, 'state-1');
        assert.ok(typeof code === 'string' && code.length > 0, 'the code is a non-empty string');
        assert.equal(response.error, undefined);
        if (response.iss !== undefined || supported) assert.ok(issuerMatches(issuer, response.iss), 'iss matches the issuer');
      }),
      runOptions(9207),
    );
  });

  test('the valid response passes, and an OAuth error is a ServerError carrying strings', () => {
    assert.equal(checkAuthorizationResponse(flow, { code: 'c', state: 'state-1', iss: `${MS}/${TENANT_ID}/v2.0` }, authority(`${MS}/{tenantid}/v2.0`, true)), 'c');
    const err = typedOrValue(() => checkAuthorizationResponse(flow, { error: 'access_denied', state: 'state-1' }, authority(`${MS}/{tenantid}/v2.0`, false)));
    assert.ok(err === undefined);
    assert.throws(() => checkAuthorizationResponse(flow, { error: 'access_denied', state: 'state-1' }, authority(`${MS}/{tenantid}/v2.0`, false)), ServerError);
  });
});

describe('parseAuthorizationResponse: properties', () => {
  test('a query of distinct names reads back as its parameters; a repeated name is invalid_response; garbage never throws untyped', () => {
    const name = fc.oneof(fc.constantFrom('code', 'state', 'iss', 'error', '__proto__', 'constructor'), anyString);
    const params = fc.array(fc.tuple(name, anyString), { maxLength: 6 });
    fc.assert(
      fc.property(fc.oneof(params.map((list) => ({ list, text: new URLSearchParams(list).toString() })), anyString.map((text) => ({ list: undefined, text }))), ({ list, text }) => {
        const parsed = typedOrValue(() => parseAuthorizationResponse(text), ['invalid_response']);
        const pairs = [...new URLSearchParams(text)];
        const distinct = new Set(pairs.map(([n]) => n)).size === pairs.length;
        assert.equal(parsed !== undefined, distinct, 'refused exactly when a name repeats');
        if (parsed === undefined) return;
        assert.deepEqual(Object.entries(parsed), pairs);
        assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
        if (list) assert.equal(pairs.length, list.length);
      }),
      runOptions(3986),
    );
  });
});
