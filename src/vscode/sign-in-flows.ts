/**
 * The three sign-in flows: loopback redirect (RFC 8252), the editor's URI handler, and the device
 * code (RFC 8628).
 */
import { AuthError } from '../core/index.js';
import type { FlowContext, SignInFlow } from './flows.js';

export const loopbackFlow: SignInFlow = {
  id: 'loopback',
  label: 'browser (loopback redirect)',
  supportsRemoteExtensionHost: false,
  supportsWebWorkerExtensionHost: false,
  trigger: (context: FlowContext) =>
    context.app.acquireTokenInteractive(context.scopes, {
      loginHint: context.loginHint,
      claimsChallenge: context.claimsChallenge,
      signal: context.signal,
      timeout: context.timeoutMs,
      successTemplate: context.successPage,
      // A fixed redirect URI (for identity providers that compare it exactly), else any free port.
      ...(context.loopbackRedirect
        ? { port: context.loopbackRedirect.port, path: context.loopbackRedirect.path, host: context.loopbackRedirect.host }
        : {}),
      extraQueryParameters: context.authorizationParameters,
      openBrowser: async (url) => {
        if (!(await context.ui.openUri(url))) throw new AuthError('cancelled', 'the browser was not opened');
      },
    }),
};

export const uriHandlerFlow: SignInFlow = {
  id: 'uriHandler',
  label: 'browser (redirect to the editor)',
  supportsRemoteExtensionHost: true,
  supportsWebWorkerExtensionHost: true,
  async trigger(context: FlowContext) {
    const redirectUri = await context.externalCallbackUri();
    const flow = await context.app.initiateAuthCodeFlow(context.scopes, {
      redirectUri,
      loginHint: context.loginHint,
      claimsChallenge: context.claimsChallenge,
      extraQueryParameters: context.authorizationParameters,
    });
    const timeout = AbortSignal.timeout(context.timeoutMs);
    const stop = new AbortController();
    const response = context.waitForCallback(flow.state, AbortSignal.any([context.signal, timeout, stop.signal]));
    response.catch(() => undefined); // settled below, or abandoned when the browser is not opened
    try {
      if (!(await context.ui.openUri(flow.authUri))) throw new AuthError('cancelled', 'the browser was not opened');
    } catch (err) {
      stop.abort(); // no sign-in waits for a callback that will not come
      throw err;
    }
    const params = await response.catch((err: unknown) => {
      throw timeout.aborted ? new AuthError('timeout', 'no response reached the editor in time') : err;
    });
    return context.app.acquireTokenByAuthCodeFlow(flow, params);
  },
};

export const deviceCodeFlow: SignInFlow = {
  id: 'deviceCode',
  label: 'device code',
  supportsRemoteExtensionHost: true,
  supportsWebWorkerExtensionHost: true,
  needsDeviceAuthorizationEndpoint: true,
  async trigger(context: FlowContext) {
    // The same extra parameters as the browser flows: RFC 8628 §3.1 allows them, and Auth0 needs
    // `audience` here as well to issue a token for an API.
    const flow = await context.app.initiateDeviceFlow(context.scopes, {
      claimsChallenge: context.claimsChallenge,
      extraParameters: context.authorizationParameters,
    });
    // Poll while the code is on screen; closing the dialog without "Copy & Open" cancels.
    const stop = new AbortController();
    const signal = AbortSignal.any([context.signal, stop.signal]);
    const polling = context.app.acquireTokenByDeviceFlow(flow, { signal });
    polling.catch(() => undefined); // settled below; avoids an unhandled rejection meanwhile
    const shown = await context.ui.showDeviceCode(flow, signal).then(
      (value) => value,
      (err: unknown) => {
        stop.abort(); // no polling goes on behind an error the user has seen
        throw err;
      },
    );
    if (!shown) stop.abort();
    return polling;
  },
};

/** Every flow, for a Node extension host: in a desktop's order. */
export const ALL_FLOWS: readonly SignInFlow[] = [loopbackFlow, uriHandlerFlow, deviceCodeFlow];
/** The flows a web worker extension host can run: no loopback listener without sockets. */
export const WEB_WORKER_FLOWS: readonly SignInFlow[] = [uriHandlerFlow, deviceCodeFlow];
