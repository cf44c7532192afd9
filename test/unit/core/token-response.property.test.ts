/**
 * Property tests of the token-response checks: the token endpoint's status and body are outside
 * input. Whatever arrives, the checks return typed data or throw an AuthError; valid responses
 * still pass. The ID token inside is tested in id-token.property.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ServerError } from '../../../src/core/errors.js';
import { checkTokenResponse, readOAuthJson } from '../../../src/core/token-response.js';
import { jsonResponse } from './fakes.js';
import { anyJson, bodyText, mutatedDocument, runOptions, typedOrValue, typedOrValueAsync } from './property.js';

const VALID_RESPONSE = {
  access_token: 'at',
  token_type: 'Bearer',
  expires_in: 3599,
  ext_expires_in: 7199,
  refresh_in: 1800,
  refresh_token: 'rt',
  id_token: 'h.p.s',
  scope: 'openid api://demo/read',
  client_info: 'eyJ1aWQiOiIxIiwidXRpZCI6IjIifQ',
  foci: '1',
};

const tokenResponseBody = fc.oneof(mutatedDocument(VALID_RESPONSE), anyJson.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)));

describe('checkTokenResponse: properties', () => {
  test('the valid response passes unchanged', () => {
    assert.deepEqual(checkTokenResponse({ ...VALID_RESPONSE }), VALID_RESPONSE);
  });

  test('any body gives a checked response or invalid_response', () => {
    fc.assert(
      fc.property(tokenResponseBody, (body) => {
        const checked = typedOrValue(() => checkTokenResponse(body), ['invalid_response']);
        if (checked === undefined) return;
        assert.ok(typeof checked.access_token === 'string' && checked.access_token.length > 0);
        assert.equal(typeof checked.token_type, 'string');
        assert.ok(Number.isFinite(checked.expires_in) && checked.expires_in >= 0);
        for (const name of ['refresh_token', 'id_token', 'scope', 'client_info', 'foci'] as const) {
          assert.ok(checked[name] === undefined || typeof checked[name] === 'string', name);
        }
      }),
      runOptions(6749),
    );
  });
});

/** Statuses a Response with a body may have (204, 205 and 304 carry none). */
const httpStatus = fc.integer({ min: 200, max: 599 }).filter((status) => ![204, 205, 304].includes(status));

describe('readOAuthJson: properties', () => {
  const errorBody = mutatedDocument({ error: 'invalid_grant', error_description: 'AADSTS70008: expired', error_codes: [70008], suberror: 'bad_token', claims: '{}', correlation_id: 'c', trace_id: 't', timestamp: 'x' });
  test('any status and body give a JSON object, a ServerError or invalid_response', async () => {
    await fc.assert(
      fc.asyncProperty(httpStatus, bodyText(fc.oneof(errorBody, tokenResponseBody)), async (status, text) => {
        const response = new Response(text, { status, headers: { 'content-type': 'application/json' } });
        const body = await typedOrValueAsync(() => readOAuthJson(response, 'token response'), ['invalid_response', 'server_error']);
        if (body === undefined) return;
        assert.ok(status >= 200 && status <= 299, 'an error status never passes as a body');
        assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body));
        assert.notEqual(typeof body.error, 'string');
      }),
      runOptions(7231),
    );
  });

  test('a ServerError carries only typed fields, whatever the error body held', async () => {
    await fc.assert(
      fc.asyncProperty(errorBody, httpStatus, async (body, status) => {
        const err = await readOAuthJson(jsonResponse(body, status), 'token response').then(
          () => undefined,
          (e: unknown) => e,
        );
        if (!(err instanceof ServerError)) return;
        assert.equal(typeof err.error, 'string');
        assert.ok(err.errorDescription === undefined || typeof err.errorDescription === 'string');
        assert.ok(err.errorCodes === undefined || err.errorCodes.every((code) => typeof code === 'number'));
        assert.ok(err.claims === undefined || typeof err.claims === 'string');
      }),
      runOptions(6750),
    );
  });
});
