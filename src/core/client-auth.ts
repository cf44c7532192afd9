/**
 * Client authentication at the token endpoint: the form parameters a request adds to prove who
 * the client is. Every application hands its {@link ClientAuth} to the shared ClientApplication; a
 * public client's is {@link None}. What confidential clients authenticate with (secrets,
 * certificates, assertions) lives in client-credential.ts, which only they import: the public
 * build never carries key import and JWT signing it cannot use.
 */

/** Produces the client-authentication form parameters for one token request. */
export type ClientAuth = (clientId: string, tokenEndpoint: string) => Promise<Record<string, string>>;

/** Public clients send only their id. */
export function None(): ClientAuth {
  return async (clientId) => ({ client_id: clientId });
}
