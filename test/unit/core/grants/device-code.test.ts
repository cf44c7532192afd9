import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { AuthError, ServerError } from '../../../../src/core/errors.js';
import {
  DEFAULT_POLL_INTERVAL_S,
  DEVICE_CODE_GRANT,
  type DeviceFlow,
  delay,
  deviceAuthorizationParams,
  deviceAuthorizationRequest,
  deviceCodeGrantRequest,
  parseDeviceAuthorizationResponse,
  pollDeviceFlow,
  processDeviceAuthorizationResponse,
  processDeviceCodeResponse,
  redeemDeviceCode,
} from '../../../../src/core/grants/device-code.js';
import { flush, jsonResponse, rejectsWithCode, throwsWithCode } from '../fakes.js';
import { CLIENT_ID as TOKEN_CLIENT_ID, DEVICE_ENDPOINT, entraAuthority, formOf, publicClient, TOKEN_ENDPOINT } from './token-endpoint.js';

const NOW = Date.UTC(2025, 4, 1, 9, 0, 0);
const SCOPE = ['User.Read', 'openid', 'profile', 'offline_access'];

const entraBody = {
  user_code: 'ABCD-EFGH',
  device_code: 'secret-device-code',
  verification_uri: 'https://microsoft.com/devicelogin',
  expires_in: 900,
  interval: 5,
  message: 'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate.',
};

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: NOW }));
afterEach(() => mock.timers.reset());

/**
 * Moves the frozen clock by `ms` in steps, letting promise callbacks run between steps. Work a
 * timer releases runs after its step, so times observed by it are rounded up to a step.
 */
async function advance(ms: number, step = 250): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    await flush();
    mock.timers.tick(Math.min(step, ms - done));
  }
  await flush();
}

/** Settles `promise` into a value or an error without an unhandled rejection meanwhile. */
function settle<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

function flowOf(overrides: Record<string, unknown> = {}): DeviceFlow {
  return parseDeviceAuthorizationResponse({ ...entraBody, ...overrides }, SCOPE);
}

/** A poll function answering from `script`: an error name throws that ServerError, anything else is returned. */
function scriptedPoll(script: string[]) {
  const times: number[] = [];
  const poll = async () => {
    times.push(Date.now() - NOW);
    const next = script.shift() ?? 'authorization_pending';
    if (next === 'token') return { access_token: 'at' };
    throw new ServerError({ error: next, status: 400 });
  };
  return { poll, times };
}

describe('parseDeviceAuthorizationResponse (frozen clock)', () => {
  test('an Entra response', () => {
    const flow = parseDeviceAuthorizationResponse(entraBody, SCOPE, '{"a":1}');
    assert.deepEqual(flow, {
      userCode: 'ABCD-EFGH',
      deviceCode: 'secret-device-code',
      verificationUri: 'https://microsoft.com/devicelogin',
      verificationUriComplete: undefined,
      expiresIn: 900,
      expiresAt: NOW / 1000 + 900,
      interval: 5,
      message: entraBody.message,
      scope: SCOPE,
      claimsChallenge: '{"a":1}',
    });
  });

  test('verification_url (older Entra) stands in for verification_uri', () => {
    const { verification_uri: _, ...body } = entraBody;
    const flow = parseDeviceAuthorizationResponse({ ...body, verification_url: 'https://aka.ms/devicelogin' }, SCOPE);
    assert.equal(flow.verificationUri, 'https://aka.ms/devicelogin');
  });

  test('verification_uri wins over verification_url', () => {
    const flow = flowOf({ verification_url: 'https://old.example.com' });
    assert.equal(flow.verificationUri, 'https://microsoft.com/devicelogin');
  });

  test('verification_uri_complete is kept', () => {
    assert.equal(flowOf({ verification_uri_complete: 'https://x/y?code=1' }).verificationUriComplete, 'https://x/y?code=1');
  });

  test('the interval defaults to 5 s when absent (RFC 8628)', () => {
    assert.equal(flowOf({ interval: undefined }).interval, DEFAULT_POLL_INTERVAL_S);
    assert.equal(DEFAULT_POLL_INTERVAL_S, 5);
  });

  test('an unusable interval falls back to 5 s; a numeric string is read', () => {
    for (const interval of [0, -3, 'soon', null]) assert.equal(flowOf({ interval }).interval, 5, String(interval));
    assert.equal(flowOf({ interval: '7' }).interval, 7);
  });

  test('an interval under a second is raised to one: a broken server cannot make a busy loop', () => {
    for (const interval of [0.001, '0.5', 1e-300]) assert.equal(flowOf({ interval }).interval, 1, String(interval));
  });

  test('expires_in as a numeric string', () => {
    const flow = flowOf({ expires_in: '600' });
    assert.equal(flow.expiresIn, 600);
    assert.equal(flow.expiresAt, NOW / 1000 + 600);
  });

  test('a default message names the page and the code', () => {
    const flow = flowOf({ message: undefined });
    assert.match(flow.message, /https:\/\/microsoft\.com\/devicelogin/);
    assert.match(flow.message, /ABCD-EFGH/);
    assert.doesNotMatch(flow.message, /secret-device-code/);
    assert.equal(flowOf({ message: '' }).message, flow.message);
  });

  for (const field of ['user_code', 'device_code', 'verification_uri']) {
    test(`a missing or empty ${field} is invalid_response`, () => {
      for (const value of [undefined, '', 42]) {
        const err = throwsWithCode(() => flowOf({ [field]: value }), 'invalid_response');
        assert.match(err.message, new RegExp(field));
      }
    });
  }

  for (const value of [undefined, 0, -1, 'soon', null, Number.NaN]) {
    test(`expires_in ${String(value)} is invalid_response`, () => {
      throwsWithCode(() => flowOf({ expires_in: value }), 'invalid_response');
    });
  }

  test('the grant type constant', () => {
    assert.equal(DEVICE_CODE_GRANT, 'urn:ietf:params:oauth:grant-type:device_code');
  });
});

describe('pollDeviceFlow (mock timers)', () => {
  test('waits the interval before each poll; authorization_pending continues', async () => {
    const { poll, times } = scriptedPoll(['authorization_pending', 'authorization_pending', 'token']);
    const result = settle(pollDeviceFlow(flowOf(), poll));
    await advance(4_999);
    assert.deepEqual(times, [], 'no poll before the first interval');
    await advance(1);
    assert.deepEqual(times, [5_000]);
    await advance(10_000);
    assert.deepEqual(times, [5_000, 10_000, 15_000]);
    assert.equal(result.done, true);
    assert.deepEqual(result.value, { access_token: 'at' });
  });

  test('slow_down adds 5 s to the interval, for good', async () => {
    const { poll, times } = scriptedPoll(['slow_down', 'authorization_pending', 'slow_down', 'authorization_pending', 'token']);
    const result = settle(pollDeviceFlow(flowOf(), poll));
    await advance(60_000);
    assert.deepEqual(times, [5_000, 15_000, 25_000, 40_000, 55_000]);
    assert.deepEqual(result.value, { access_token: 'at' });
  });

  test('with no interval: exactly 2 polls in 10 s, then expired_token', async () => {
    const { poll, times } = scriptedPoll([]);
    const result = settle(pollDeviceFlow(flowOf({ interval: undefined, expires_in: 10 }), poll));
    await advance(9_750);
    assert.equal(times.length, 1);
    await advance(60_000);
    assert.deepEqual(times, [5_000, 10_000]);
    assert.ok(result.error instanceof ServerError);
    assert.equal(result.error.code, 'server_error');
    assert.equal(result.error.error, 'expired_token');
  });

  test('the last wait is cut short at expiry', async () => {
    const { poll, times } = scriptedPoll([]);
    const result = settle(pollDeviceFlow(flowOf({ interval: 5, expires_in: 12 }), poll));
    await advance(30_000);
    assert.deepEqual(times, [5_000, 10_000, 12_000]);
    assert.equal((result.error as ServerError).error, 'expired_token');
  });

  test('a flow that already expired fails at once with expired_token', async () => {
    const flow = flowOf({ expires_in: 60 });
    mock.timers.tick(60_000);
    const { poll, times } = scriptedPoll(['token']);
    const result = settle(pollDeviceFlow(flow, poll));
    await flush();
    assert.equal((result.error as ServerError).error, 'expired_token');
    assert.deepEqual(times, []);
  });

  test('expired_token from the server ends polling with that ServerError', async () => {
    const { poll, times } = scriptedPoll(['authorization_pending', 'expired_token']);
    const result = settle(pollDeviceFlow(flowOf(), poll));
    await advance(60_000);
    assert.equal(times.length, 2);
    assert.ok(result.error instanceof ServerError);
    assert.equal(result.error.error, 'expired_token');
  });

  for (const error of ['access_denied', 'authorization_declined', 'bad_verification_code', 'invalid_grant']) {
    test(`${error} ends polling`, async () => {
      const { poll, times } = scriptedPoll([error]);
      const result = settle(pollDeviceFlow(flowOf(), poll));
      await advance(60_000);
      assert.equal(times.length, 1);
      assert.equal((result.error as ServerError).error, error);
    });
  }

  test('an error that is not a ServerError ends polling', async () => {
    let polls = 0;
    const failure = new AuthError('network_error', 'down');
    const result = settle(
      pollDeviceFlow(flowOf(), async () => {
        polls += 1;
        throw failure;
      }),
    );
    await advance(60_000);
    assert.equal(polls, 1);
    assert.equal(result.error, failure);
  });

  test('an AbortSignal cancels the wait at once: cancelled, no further poll', async () => {
    const controller = new AbortController();
    const { poll, times } = scriptedPoll([]);
    const result = settle(pollDeviceFlow(flowOf(), poll, { signal: controller.signal }));
    await advance(7_000);
    assert.equal(times.length, 1);
    controller.abort();
    await flush();
    assert.equal(result.done, true);
    assert.ok(result.error instanceof AuthError);
    assert.equal(result.error.code, 'cancelled');
    await advance(60_000);
    assert.equal(times.length, 1);
  });

  test('an AbortSignal already aborted: cancelled before any poll', async () => {
    const { poll, times } = scriptedPoll(['token']);
    const result = settle(pollDeviceFlow(flowOf(), poll, { signal: AbortSignal.abort() }));
    await flush();
    assert.equal((result.error as AuthError).code, 'cancelled');
    assert.deepEqual(times, []);
  });

  test('exitCondition is checked before each poll and ends with cancelled', async () => {
    const { poll, times } = scriptedPoll([]);
    let checks = 0;
    const flow = flowOf();
    const seen: DeviceFlow[] = [];
    const result = settle(
      pollDeviceFlow(flow, poll, {
        exitCondition: (f) => {
          seen.push(f);
          checks += 1;
          return checks >= 3;
        },
      }),
    );
    await advance(60_000);
    assert.deepEqual(times, [5_000, 10_000]);
    assert.equal((result.error as AuthError).code, 'cancelled');
    assert.ok(seen.every((f) => f === flow));
  });
});

describe('delay (mock timers)', () => {
  test('resolves after the time, and leaves no abort listener behind', async () => {
    const controller = new AbortController();
    const result = settle(delay(1000, controller.signal));
    await advance(999);
    assert.equal(result.done, false);
    await advance(1);
    assert.equal(result.done, true);
    assert.equal(result.error, undefined);
    controller.abort(); // must not reject anything any more
    await flush();
  });

  test('rejects with cancelled on abort', async () => {
    const controller = new AbortController();
    const result = settle(delay(1000, controller.signal));
    controller.abort();
    await flush();
    assert.equal((result.error as AuthError).code, 'cancelled');
  });
});

describe('delay beyond what a timer holds', () => {
  test('is clamped to 2^31 - 1 ms instead of overflowing into an immediate wake-up', async () => {
    let woke = false;
    void delay(10 ** 13).then(() => (woke = true));
    await advance(1000, 1000);
    assert.equal(woke, false, 'not after a second');
    mock.timers.tick(2 ** 31 - 1 - 1000);
    await flush();
    assert.equal(woke, true, 'at the longest delay a timer holds');
  });
});

describe('deviceAuthorizationParams', () => {
  test('client, scope and claims, with the extra parameters beside them (Auth0 reads audience here)', () => {
    assert.deepEqual(deviceAuthorizationParams('c', ['openid', 'api://x/read'], '{"id_token":{}}', { audience: 'https://api.example.com' }), {
      audience: 'https://api.example.com',
      client_id: 'c',
      scope: 'openid api://x/read',
      claims: '{"id_token":{}}',
    });
    assert.deepEqual(deviceAuthorizationParams('c', ['openid'], undefined), { client_id: 'c', scope: 'openid', claims: undefined });
  });

  test('an extra parameter naming client_id, scope or claims (any case) is refused', () => {
    for (const name of ['client_id', 'scope', 'claims', 'Scope']) {
      throwsWithCode(() => deviceAuthorizationParams('c', ['openid'], undefined, { [name]: 'x' }), 'invalid_argument');
    }
  });
});

describe('the device authorization and device code requests', () => {
  test('deviceAuthorizationRequest posts client, scope, claims and extras; its answer becomes the flow', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(DEVICE_ENDPOINT, jsonResponse(entraBody));
    const response = await deviceAuthorizationRequest(client, authority, SCOPE, { correlationId: 'corr', claims: '{"c":1}', extraParameters: { audience: 'api' } });
    assert.deepEqual(formOf(fake.requests[0]), { audience: 'api', client_id: TOKEN_CLIENT_ID, scope: SCOPE.join(' '), claims: '{"c":1}' });
    const flow = await processDeviceAuthorizationResponse(response, SCOPE, { correlationId: 'corr' });
    assert.equal(flow.userCode, 'ABCD-EFGH');
    assert.equal(flow.correlationId, 'corr');
  });

  test('an authority without a device authorization endpoint is refused before anything is sent', async () => {
    const { fake, client } = publicClient();
    await rejectsWithCode(deviceAuthorizationRequest(client, entraAuthority({}), SCOPE, { correlationId: 'c' }), 'not_supported');
    assert.equal(fake.requests.length, 0);
  });

  test('a refused device authorization is a ServerError', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(DEVICE_ENDPOINT, jsonResponse({ error: 'unauthorized_client' }, 400));
    const response = await deviceAuthorizationRequest(client, authority, SCOPE, { correlationId: 'c' });
    const err = await rejectsWithCode(processDeviceAuthorizationResponse(response, SCOPE), 'server_error');
    assert.ok(err instanceof ServerError && err.error === 'unauthorized_client');
  });

  test('deviceCodeGrantRequest posts the device code; a pending answer is a ServerError of the grant', async () => {
    const { fake, client, authority } = publicClient();
    fake.on(TOKEN_ENDPOINT, jsonResponse({ error: 'authorization_pending' }, 400));
    const flow = parseDeviceAuthorizationResponse(entraBody, SCOPE);
    const sent = await deviceCodeGrantRequest(client, authority, flow, { correlationId: 'c' });
    assert.deepEqual(formOf(fake.requests[0]), { grant_type: DEVICE_CODE_GRANT, device_code: 'secret-device-code', client_info: '1', client_id: TOKEN_CLIENT_ID });
    const err = await rejectsWithCode(processDeviceCodeResponse(client, authority, sent), 'server_error');
    assert.ok(err instanceof ServerError && err.error === 'authorization_pending' && err.grantType === DEVICE_CODE_GRANT);
  });

  test('redeemDeviceCode refuses bad data at once, without waiting an interval or polling', async () => {
    const { fake, client, authority } = publicClient();
    const flow = parseDeviceAuthorizationResponse(entraBody, SCOPE);
    await rejectsWithCode(redeemDeviceCode(client, authority, flow, { correlationId: 'c', data: { device_code: 'x' } }), 'invalid_argument');
    assert.equal(fake.requests.length, 0);
  });
});
