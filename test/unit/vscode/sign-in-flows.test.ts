import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuthenticationResult } from '../../../src/core/account.js';
import type { PublicClientApplication } from '../../../src/core/index.js';
import { AuthError } from '../../../src/core/errors.js';
import type { AuthCodeFlow } from '../../../src/core/grants/authorization-code.js';
import type { DeviceFlow } from '../../../src/core/grants/device-code.js';
import type { FlowContext, SignInUi } from '../../../src/vscode/flows.js';
import { PendingCallbacks } from '../../../src/vscode/pending-callbacks.js';
import { ALL_FLOWS, deviceCodeFlow, loopbackFlow, uriHandlerFlow } from '../../../src/vscode/sign-in-flows.js';

const SCOPES = ['https://graph.microsoft.com/User.Read'];
const RESULT = { accessToken: 'the-access-token', scopes: SCOPES } as unknown as AuthenticationResult;
const CALLBACK_URI = 'vscode://msal-tools.msal-signin/callback';
const AUTH_URI = 'https://idp.example/authorize?client_id=c&state=the-state';
const AUTH_FLOW: AuthCodeFlow = { authUri: AUTH_URI, state: 'the-state', scope: SCOPES, codeVerifier: 'verifier', nonce: 'nonce', redirectUri: CALLBACK_URI };
const DEVICE_FLOW: DeviceFlow = {
  userCode: 'ABCD-EFGH',
  deviceCode: 'secret-device-code',
  verificationUri: 'https://idp.example/device',
  expiresIn: 900,
  expiresAt: 1_700_000_900,
  interval: 5,
  message: 'Go to https://idp.example/device and enter ABCD-EFGH',
  scope: SCOPES,
};

function assertAuthErrorCode(code: string) {
  return (err: unknown) => {
    assert.ok(err instanceof AuthError, `expected an AuthError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  };
}

/** Rejects with `cancelled` when `signal` aborts, as the library's polling and listeners do. */
function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    assert.ok(signal, 'a signal was passed');
    const cancel = () => reject(new AuthError('cancelled', 'aborted'));
    if (signal.aborted) return cancel();
    signal.addEventListener('abort', cancel, { once: true });
  });
}

/**
 * Fails when `promise` has not settled within `ms`. Its timer also keeps the event loop alive while
 * the flow waits on AbortSignal.timeout(), whose timer does not.
 */
async function within<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface Harness {
  context: FlowContext;
  controller: AbortController;
  pending: PendingCallbacks;
  calls: string[];
  opened: string[];
}

/** A flow context over a fake app (only the methods a test gives) and a fake UI. */
function harness(app: Partial<Record<keyof PublicClientApplication, unknown>>, ui: Partial<SignInUi> = {}, overrides: Partial<FlowContext> = {}): Harness {
  const controller = new AbortController();
  const pending = new PendingCallbacks();
  const calls: string[] = [];
  const opened: string[] = [];
  const context: FlowContext = {
    app: app as unknown as PublicClientApplication,
    scopes: SCOPES,
    loginHint: 'alice@contoso.com',
    claimsChallenge: '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}',
    ui: {
      openUri: async (url) => {
        opened.push(url);
        return true;
      },
      showDeviceCode: async () => true,
      ...ui,
    },
    signal: controller.signal,
    externalCallbackUri: async () => CALLBACK_URI,
    waitForCallback: (state, signal) => pending.waitFor(state, signal),
    successPage: '<p>Signed in</p>',
    timeoutMs: 60_000,
    ...overrides,
  };
  return { context, controller, pending, calls, opened };
}

describe('sign-in flow objects', () => {
  test('ids, capability flags and order of ALL_FLOWS', () => {
    assert.deepEqual(
      ALL_FLOWS.map((flow) => [flow.id, flow.supportsRemoteExtensionHost, flow.supportsWebWorkerExtensionHost, flow.needsDeviceAuthorizationEndpoint === true]),
      [
        ['loopback', false, false, false],
        ['uriHandler', true, true, false],
        ['deviceCode', true, true, true],
      ],
    );
    for (const flow of ALL_FLOWS) assert.ok(flow.label.length > 0);
  });
});

describe('loopbackFlow', () => {
  test('passes the context to acquireTokenInteractive and opens the browser through the UI', async () => {
    let seen: { scopes: string[]; options: Record<string, unknown> } | undefined;
    const h = harness({
      acquireTokenInteractive: async (scopes: string[], options: Record<string, unknown> & { openBrowser(url: string): Promise<void> }) => {
        seen = { scopes, options };
        await options.openBrowser(AUTH_URI);
        return RESULT;
      },
    });
    const result = await loopbackFlow.trigger({ ...h.context, timeoutMs: 1234 });
    assert.equal(result, RESULT);
    assert.ok(seen);
    assert.deepEqual(seen.scopes, SCOPES);
    assert.equal(seen.options.loginHint, 'alice@contoso.com');
    assert.equal(seen.options.claimsChallenge, h.context.claimsChallenge);
    assert.equal(seen.options.signal, h.context.signal);
    assert.equal(seen.options.timeout, 1234);
    assert.equal(seen.options.successTemplate, '<p>Signed in</p>');
    assert.deepEqual(h.opened, [AUTH_URI]);
  });

  test('without a fixed redirect URI: any free port (no port, path or host passed), no extra parameters', async () => {
    let seen: Record<string, unknown> | undefined;
    const h = harness({ acquireTokenInteractive: async (_scopes: string[], options: Record<string, unknown>) => ((seen = options), RESULT) });
    await loopbackFlow.trigger(h.context);
    assert.equal(seen?.port, undefined);
    assert.equal(seen?.path, undefined);
    assert.equal(seen?.host, undefined);
    assert.equal(seen?.extraQueryParameters, undefined);
  });

  test('a fixed redirect URI gives its host, port and path to the listener; the extra parameters go to the authorization request', async () => {
    let seen: Record<string, unknown> | undefined;
    const h = harness(
      { acquireTokenInteractive: async (_scopes: string[], options: Record<string, unknown>) => ((seen = options), RESULT) },
      {},
      {
        loopbackRedirect: { uri: 'http://localhost:8400/callback', host: 'localhost', port: 8400, path: '/callback' },
        authorizationParameters: { audience: 'https://api.example.com' },
      },
    );
    await loopbackFlow.trigger(h.context);
    assert.equal(seen?.port, 8400);
    assert.equal(seen?.path, '/callback');
    assert.equal(seen?.host, 'localhost');
    assert.deepEqual(seen?.extraQueryParameters, { audience: 'https://api.example.com' });
  });

  test('a browser the user declined to open is a cancel', async () => {
    let opened = 0;
    const h = harness(
      {
        acquireTokenInteractive: async (_scopes: string[], options: { openBrowser(url: string): Promise<void> }) => {
          await options.openBrowser(AUTH_URI);
          return RESULT;
        },
      },
      {
        openUri: async () => {
          opened += 1;
          return false;
        },
      },
    );
    await assert.rejects(loopbackFlow.trigger(h.context), assertAuthErrorCode('cancelled'));
    assert.equal(opened, 1);
  });

  test('errors of the library pass through', async () => {
    const h = harness({
      acquireTokenInteractive: async () => {
        throw new AuthError('timeout', 'no answer');
      },
    });
    await assert.rejects(loopbackFlow.trigger(h.context), assertAuthErrorCode('timeout'));
  });
});

describe('uriHandlerFlow', () => {
  test('opens the authorization URL with the external callback as redirect URI and redeems the callback params', async () => {
    let initiated: { scopes: string[]; options: Record<string, unknown> } | undefined;
    let redeemed: { flow: AuthCodeFlow; params: Record<string, string> } | undefined;
    const h = harness(
      {
        initiateAuthCodeFlow: async (scopes: string[], options: Record<string, unknown>) => {
          initiated = { scopes, options };
          return AUTH_FLOW;
        },
        acquireTokenByAuthCodeFlow: async (flow: AuthCodeFlow, params: Record<string, string>) => {
          redeemed = { flow, params };
          return RESULT;
        },
      },
      {
        openUri: async (url) => {
          h.opened.push(url);
          // The browser comes back at once: the flow must already be waiting for it.
          assert.equal(h.pending.deliver('code=the-code&state=the-state&session_state=s1&iss=https%3A%2F%2Fidp.example'), true);
          return true;
        },
      },
    );
    const result = await uriHandlerFlow.trigger(h.context);
    assert.equal(result, RESULT);
    assert.deepEqual(initiated?.scopes, SCOPES);
    assert.equal(initiated?.options.redirectUri, CALLBACK_URI);
    assert.equal(initiated?.options.loginHint, 'alice@contoso.com');
    assert.equal(initiated?.options.claimsChallenge, h.context.claimsChallenge);
    assert.deepEqual(h.opened, [AUTH_URI]);
    assert.equal(redeemed?.flow, AUTH_FLOW);
    assert.deepEqual(redeemed?.params, { code: 'the-code', state: 'the-state', session_state: 's1', iss: 'https://idp.example' });
    assert.equal(h.pending.size, 0);
  });

  test('sends the extra authorization parameters', async () => {
    let initiated: Record<string, unknown> | undefined;
    const h = harness(
      {
        initiateAuthCodeFlow: async (_scopes: string[], options: Record<string, unknown>) => ((initiated = options), AUTH_FLOW),
        acquireTokenByAuthCodeFlow: async () => RESULT,
      },
      { openUri: async () => (h.pending.deliver('code=c&state=the-state'), true) },
      { authorizationParameters: { audience: 'https://api.example.com', ui_locales: 'fr' } },
    );
    await uriHandlerFlow.trigger(h.context);
    assert.deepEqual(initiated?.extraQueryParameters, { audience: 'https://api.example.com', ui_locales: 'fr' });
  });

  test('waits for the callback carrying the flow’s state, not another one', async () => {
    const h = harness({
      initiateAuthCodeFlow: async () => AUTH_FLOW,
      acquireTokenByAuthCodeFlow: async (_flow: AuthCodeFlow, params: Record<string, string>) => ({ ...RESULT, accessToken: params.code }),
    });
    const opened = deferred<void>();
    h.context.ui.openUri = async () => (opened.resolve(), true);
    const signIn = uriHandlerFlow.trigger(h.context);
    await opened.promise;
    assert.equal(h.pending.deliver('code=wrong&state=another-state'), false);
    assert.equal(h.pending.deliver('code=right&state=the-state'), true);
    assert.equal((await signIn).accessToken, 'right');
  });

  test('no callback within timeoutMs is a timeout', async () => {
    let redeemed = false;
    const h = harness(
      {
        initiateAuthCodeFlow: async () => AUTH_FLOW,
        acquireTokenByAuthCodeFlow: async () => ((redeemed = true), RESULT),
      },
      {},
      { timeoutMs: 10 },
    );
    await assert.rejects(within(uriHandlerFlow.trigger(h.context)), assertAuthErrorCode('timeout'));
    assert.equal(redeemed, false);
    assert.equal(h.pending.size, 0, 'the waiter is gone');
  });

  test('the context signal cancels the wait', async () => {
    const h = harness({
      initiateAuthCodeFlow: async () => AUTH_FLOW,
      acquireTokenByAuthCodeFlow: async () => RESULT,
    });
    h.context.ui.openUri = async () => {
      queueMicrotask(() => h.controller.abort());
      return true;
    };
    await assert.rejects(uriHandlerFlow.trigger(h.context), assertAuthErrorCode('cancelled'));
    assert.equal(h.pending.size, 0);
    assert.equal(h.pending.deliver('code=late&state=the-state'), false, 'a late callback finds no sign-in');
  });

  test('a browser the user declined to open is a cancel, and stops waiting for the callback', async () => {
    const h = harness(
      {
        initiateAuthCodeFlow: async () => AUTH_FLOW,
        acquireTokenByAuthCodeFlow: async () => RESULT,
      },
      { openUri: async () => false },
    );
    await assert.rejects(uriHandlerFlow.trigger(h.context), assertAuthErrorCode('cancelled'));
    assert.equal(h.pending.size, 0, 'no sign-in is left waiting for a callback that will not come');
  });

  test('a failing waitForCallback error passes through as it is', async () => {
    const h = harness(
      { initiateAuthCodeFlow: async () => AUTH_FLOW, acquireTokenByAuthCodeFlow: async () => RESULT },
      {},
      { waitForCallback: () => Promise.reject(new AuthError('invalid_argument', 'duplicate state')) },
    );
    await assert.rejects(uriHandlerFlow.trigger(h.context), assertAuthErrorCode('invalid_argument'));
  });
});

describe('deviceCodeFlow', () => {
  test('starts polling before showing the code, and returns the polling result when the dialog resolves true', async () => {
    const calls: string[] = [];
    let pollSignal: AbortSignal | undefined;
    const polled = deferred<AuthenticationResult>();
    const shown = deferred<void>();
    const h = harness(
      {
        initiateDeviceFlow: async (scopes: string[], options: { claimsChallenge?: string }) => {
          calls.push(`initiate ${scopes.join(' ')} ${options.claimsChallenge ? 'with claims' : 'without claims'}`);
          return DEVICE_FLOW;
        },
        acquireTokenByDeviceFlow: (flow: DeviceFlow, options: { signal?: AbortSignal }) => {
          calls.push(`poll ${flow.userCode}`);
          pollSignal = options.signal;
          return polled.promise;
        },
      },
      {
        showDeviceCode: async (flow) => {
          calls.push(`show ${flow.userCode}`);
          shown.resolve();
          return true;
        },
      },
    );
    const signIn = deviceCodeFlow.trigger(h.context);
    // The dialog closed with "Copy & Open"; polling goes on until the user is done.
    await shown.promise;
    assert.deepEqual(calls, [`initiate ${SCOPES[0]} with claims`, 'poll ABCD-EFGH', 'show ABCD-EFGH']);
    assert.equal(pollSignal?.aborted, false);
    polled.resolve(RESULT);
    assert.equal(await signIn, RESULT);
    assert.equal(pollSignal?.aborted, false);
  });

  test('closing the dialog aborts polling, which rejects with cancelled', async () => {
    let pollSignal: AbortSignal | undefined;
    let dialogSignal: AbortSignal | undefined;
    const h = harness(
      {
        initiateDeviceFlow: async () => DEVICE_FLOW,
        acquireTokenByDeviceFlow: (_flow: DeviceFlow, options: { signal?: AbortSignal }) => ((pollSignal = options.signal), untilAborted(options.signal)),
      },
      { showDeviceCode: async (_flow, signal) => ((dialogSignal = signal), false) },
    );
    await assert.rejects(deviceCodeFlow.trigger(h.context), assertAuthErrorCode('cancelled'));
    assert.equal(pollSignal?.aborted, true);
    assert.equal(dialogSignal?.aborted, true);
    assert.equal(h.controller.signal.aborted, false, 'the caller’s signal is not touched');
  });

  test('the context signal aborts polling and is handed to the dialog', async () => {
    let pollSignal: AbortSignal | undefined;
    const h = harness(
      {
        initiateDeviceFlow: async () => DEVICE_FLOW,
        acquireTokenByDeviceFlow: (_flow: DeviceFlow, options: { signal?: AbortSignal }) => ((pollSignal = options.signal), untilAborted(options.signal)),
      },
      {
        // A dialog that closes itself when its signal aborts, as the editor's does.
        showDeviceCode: (_flow, signal) => {
          queueMicrotask(() => h.controller.abort());
          return untilAborted(signal).catch(() => false);
        },
      },
    );
    await assert.rejects(deviceCodeFlow.trigger(h.context), assertAuthErrorCode('cancelled'));
    assert.equal(pollSignal?.aborted, true);
  });

  test('a polling result that arrives while the dialog is open wins, even if the dialog is then dismissed', async () => {
    let pollSignal: AbortSignal | undefined;
    const h = harness(
      {
        initiateDeviceFlow: async () => DEVICE_FLOW,
        // Settled before the dialog answers.
        acquireTokenByDeviceFlow: (_flow: DeviceFlow, options: { signal?: AbortSignal }) => ((pollSignal = options.signal), Promise.resolve(RESULT)),
      },
      { showDeviceCode: async () => false },
    );
    assert.equal(await deviceCodeFlow.trigger(h.context), RESULT);
    assert.equal(pollSignal?.aborted, true);
  });

  test('a failing dialog stops polling and its error passes through', async () => {
    let pollSignal: AbortSignal | undefined;
    const h = harness(
      {
        initiateDeviceFlow: async () => DEVICE_FLOW,
        acquireTokenByDeviceFlow: (_flow: DeviceFlow, options: { signal?: AbortSignal }) => ((pollSignal = options.signal), untilAborted(options.signal)),
      },
      {
        showDeviceCode: async () => {
          throw new Error('the dialog failed');
        },
      },
    );
    await assert.rejects(deviceCodeFlow.trigger(h.context), /the dialog failed/);
    assert.equal(pollSignal?.aborted, true, 'no polling goes on behind an error the user has already seen');
  });

  test('sends the extra authorization parameters with the device authorization request', async () => {
    let options: Record<string, unknown> | undefined;
    const h = harness(
      {
        initiateDeviceFlow: async (_scopes: string[], given: Record<string, unknown>) => ((options = given), DEVICE_FLOW),
        acquireTokenByDeviceFlow: async () => RESULT,
      },
      {},
      { authorizationParameters: { audience: 'https://api.example.com' } },
    );
    assert.equal(await deviceCodeFlow.trigger(h.context), RESULT);
    assert.deepEqual(options?.extraParameters, { audience: 'https://api.example.com' });
    assert.equal(options?.claimsChallenge, h.context.claimsChallenge);
  });

  test('an error from initiateDeviceFlow passes through without a dialog', async () => {
    let shown = false;
    const h = harness(
      {
        initiateDeviceFlow: async () => {
          throw new AuthError('not_supported', 'no device_authorization_endpoint');
        },
      },
      { showDeviceCode: async () => ((shown = true), true) },
    );
    await assert.rejects(deviceCodeFlow.trigger(h.context), assertAuthErrorCode('not_supported'));
    assert.equal(shown, false);
  });
});
