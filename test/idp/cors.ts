// How the test IdP answers a browser's cross-origin requests: the extension in a web worker
// extension host fetches from the editor's origin, so every answer it reads needs CORS headers.
//
//   'any-origin'          every endpoint answers CORS to every origin (oidc-provider's CORS with
//                         every client allowed). The default: what the IdP always did.
//   'registered-origins'  a browser-friendly provider (Entra's single-page-application platform,
//                         Keycloak's Web Origins, Okta's Trusted Origins, Auth0's Allowed Web
//                         Origins): discovery, JWKS and Entra's instance discovery answer every
//                         origin; the token, device-authorization and userinfo endpoints answer
//                         only the origins of the client's redirect URIs (those registered while
//                         running included), and a public client's only. Any other origin gets
//                         oidc-provider's `invalid_request` without CORS headers.
//   'refused'             no CORS header on any answer (a provider that does not serve browsers):
//                         requests still arrive and are handled, but a browser reads nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type CorsMode = 'any-origin' | 'registered-origins' | 'refused';

/** The part of an oidc-provider client that decides. */
interface CorsClient {
  clientAuthMethod: string;
  redirectUris: readonly string[];
}

function originOf(uri: string): string | undefined {
  return URL.parse(uri)?.origin;
}

/**
 * oidc-provider's `clientBasedCORS` for `mode`: may `origin` read what the token,
 * device-authorization or userinfo endpoint answers `client`? `extraRedirectUris` are the
 * redirect URI prefixes registered while running (an editor's callback URL).
 */
export function makeClientBasedCors(mode: CorsMode, extraRedirectUris: () => readonly string[]): (ctx: unknown, origin: string, client: CorsClient) => boolean {
  if (mode !== 'registered-origins') return () => true;
  return (_ctx, origin, client) => {
    if (origin === 'null' || client.clientAuthMethod !== 'none') return false;
    return [...client.redirectUris, ...extraRedirectUris()].some((uri) => originOf(uri) === origin);
  };
}

/**
 * In 'refused' mode, keeps every `Access-Control-*` header off the response, whoever sets it
 * (oidc-provider sets them on its endpoints whatever its configuration).
 */
export function applyCorsMode(mode: CorsMode, res: ServerResponse): void {
  if (mode !== 'refused') return;
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => (/^access-control-/i.test(name) ? res : setHeader(name, value));
}

/**
 * CORS for an endpoint open to every origin that the IdP serves itself (not oidc-provider):
 * answers a preflight (true: nothing more to send) or adds the header to the answer that follows.
 */
export function answerOpenEndpointCors(mode: CorsMode, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (mode === 'refused' || origin === undefined) return false;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
  res.setHeader('Access-Control-Allow-Methods', 'GET');
  const requested = req.headers['access-control-request-headers'];
  if (requested !== undefined) res.setHeader('Access-Control-Allow-Headers', requested);
  res.statusCode = 204;
  res.end();
  return true;
}
