/**
 * Property tests of the device authorization response: outside input that decides what the user
 * is shown and how often the token endpoint is polled. Any body gives a usable flow (non-empty
 * codes, a finite positive lifetime, an interval of at least a second) or `invalid_response`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MIN_POLL_INTERVAL_S, parseDeviceAuthorizationResponse } from '../../../../src/core/grants/device-code.js';
import { anyJson, mutatedDocument, runOptions, typedOrValue } from '../property.js';

const VALID = {
  user_code: 'ABCD-EFGH',
  device_code: 'device-code',
  verification_uri: 'https://microsoft.com/devicelogin',
  verification_uri_complete: 'https://microsoft.com/devicelogin?code=ABCD-EFGH',
  expires_in: 900,
  interval: 5,
  message: 'To sign in, open https://microsoft.com/devicelogin and enter ABCD-EFGH.',
};

describe('parseDeviceAuthorizationResponse: properties', () => {
  test('any body gives a usable flow or invalid_response', () => {
    const body = fc.oneof(
      mutatedDocument(VALID),
      mutatedDocument({ ...VALID, verification_url: VALID.verification_uri, verification_uri: undefined }),
      anyJson.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)),
    );
    fc.assert(
      fc.property(body, (doc) => {
        const flow = typedOrValue(() => parseDeviceAuthorizationResponse(doc, ['openid']), ['invalid_response']);
        if (flow === undefined) return;
        for (const text of [flow.userCode, flow.deviceCode, flow.verificationUri, flow.message]) assert.ok(typeof text === 'string' && text.length > 0);
        assert.ok(flow.verificationUriComplete === undefined || typeof flow.verificationUriComplete === 'string');
        assert.ok(Number.isFinite(flow.expiresIn) && flow.expiresIn > 0);
        assert.ok(Number.isFinite(flow.expiresAt));
        assert.ok(Number.isFinite(flow.interval) && flow.interval >= MIN_POLL_INTERVAL_S, 'never a busy loop');
      }),
      runOptions(8628),
    );
    assert.equal(parseDeviceAuthorizationResponse({ ...VALID }, ['openid']).interval, 5);
  });
});
