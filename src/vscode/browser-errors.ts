/**
 * The words for what only a browser's web worker extension host meets: a request the browser
 * refused (most often an identity provider without CORS for the editor's origin), and the flows a
 * worker cannot run. The browser entry (src/web-extension.ts) hands them to the activation as its
 * {@link HostErrorExplainer}; the Node build, where none of this happens, never holds them.
 */
import { browserFetchErrorIn } from './browser-http.js';
import { FlowUnavailableError } from './flows.js';
import type { HostErrorExplainer } from './user-errors.js';

export const explainBrowserError: HostErrorExplainer = (err, context, t) => {
  const label = context.providerLabel;
  if (err instanceof FlowUnavailableError && err.reason !== 'noDeviceAuthorizationEndpoint') {
    const message =
      err.reason === 'deviceEndpointRefusesBrowsers'
        ? t(
            'Sign-in to {0} with a device code cannot run in the browser: its device code endpoint does not answer cross-origin requests (Microsoft Entra ID sends no CORS headers there). Use MSAL Sign-In: Sign In (the browser sign-in through the editor), or sign in from the desktop editor.',
            label,
          )
        : t(
            'The loopback sign-in to {0} cannot run in an editor in the browser: it needs a local port to listen on. Use MSAL Sign-In: Sign In (the browser sign-in through the editor) or a device code.',
            label,
          );
    return { message, next: 'none' };
  }
  const blocked = browserFetchErrorIn(err);
  if (!blocked) return undefined;
  // In a web worker the browser hides why; a provider without CORS for the editor is the usual cause.
  return {
    message: t(
      "The browser could not send the sign-in request to {0} at {1}. Most likely the identity provider does not allow cross-origin requests from the editor's origin {2}: allow that origin for the client (Microsoft Entra ID: register the editor's callback URI under the \"Single-page application\" platform; Keycloak: Web Origins; Okta: Trusted Origins with CORS; Auth0: Allowed Web Origins). Otherwise check your network.",
      label,
      blocked.target,
      blocked.editorOrigin,
    ),
    next: 'showLog',
  };
};
