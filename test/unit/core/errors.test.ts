import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError, isInteractionRequired, ServerError, ThrottledError } from '../../../src/core/errors.js';

describe('error classes', () => {
  test('AuthError has a fixed name, its code, message and cause', () => {
    const cause = new Error('socket hang up');
    const err = new AuthError('network_error', 'the request failed', { cause });
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'AuthError');
    assert.equal(err.code, 'network_error');
    assert.equal(err.message, 'the request failed');
    assert.equal(err.cause, cause);
    assert.match(String(err), /^AuthError: the request failed/);
  });

  test('ServerError is an AuthError with code server_error and the OAuth fields', () => {
    const err = new ServerError({
      error: 'invalid_grant',
      errorDescription: 'AADSTS70008: expired',
      errorCodes: [70008],
      suberror: 'bad_token',
      claims: '{}',
      correlationId: 'c',
      traceId: 't',
      timestamp: 'ts',
      status: 400,
    });
    assert.ok(err instanceof AuthError);
    assert.equal(err.name, 'ServerError');
    assert.equal(err.code, 'server_error');
    assert.equal(err.message, 'invalid_grant: AADSTS70008: expired');
    assert.deepEqual(
      { ...err },
      {
        code: 'server_error',
        name: 'ServerError',
        error: 'invalid_grant',
        errorDescription: 'AADSTS70008: expired',
        errorCodes: [70008],
        grantType: undefined,
        errorAdditionalInfo: undefined,
        retryAfter: undefined,
        suberror: 'bad_token',
        claims: '{}',
        correlationId: 'c',
        traceId: 't',
        timestamp: 'ts',
        status: 400,
      },
    );
  });

  test('ServerError without a description uses the error as its message', () => {
    assert.equal(new ServerError({ error: 'access_denied' }).message, 'access_denied');
  });

  test('ThrottledError is an AuthError with code throttled and retryAfter', () => {
    const err = new ThrottledError(1234, 'wait');
    assert.ok(err instanceof AuthError);
    assert.equal(err.name, 'ThrottledError');
    assert.equal(err.code, 'throttled');
    assert.equal(err.retryAfter, 1234);
  });
});

describe('isInteractionRequired', () => {
  for (const error of ['invalid_grant', 'interaction_required', 'consent_required', 'login_required']) {
    test(`true for ${error}`, () => {
      assert.equal(isInteractionRequired(new ServerError({ error })), true);
    });
  }

  for (const suberror of ['basic_action', 'additional_action', 'message_only', 'user_password_expired', 'consent_required', 'bad_token']) {
    test(`true for suberror ${suberror} of another error`, () => {
      assert.equal(isInteractionRequired(new ServerError({ error: 'invalid_request', suberror })), true);
    });
  }

  test('true when the server sent claims (a claims challenge)', () => {
    assert.equal(isInteractionRequired(new ServerError({ error: 'invalid_client', claims: '{"access_token":{}}' })), true);
  });

  test('false for an empty claims string', () => {
    assert.equal(isInteractionRequired(new ServerError({ error: 'invalid_client', claims: '' })), false);
  });

  test('false for invalid_client and other server errors', () => {
    for (const error of ['invalid_client', 'invalid_request', 'unauthorized_client', 'temporarily_unavailable', 'server_error']) {
      assert.equal(isInteractionRequired(new ServerError({ error })), false, error);
    }
  });

  test('false for an unknown suberror', () => {
    assert.equal(isInteractionRequired(new ServerError({ error: 'invalid_request', suberror: 'client_mismatch' })), false);
  });

  test('false for anything that is not a ServerError', () => {
    assert.equal(isInteractionRequired(new AuthError('invalid_id_token', 'x')), false);
    assert.equal(isInteractionRequired(new AuthError('server_error', 'interaction_required')), false);
    assert.equal(isInteractionRequired(new Error('invalid_grant')), false);
    assert.equal(isInteractionRequired({ error: 'invalid_grant' }), false);
    assert.equal(isInteractionRequired(undefined), false);
    assert.equal(isInteractionRequired('invalid_grant'), false);
  });
});
