/**
 * The credentials one request to a protected resource carries, in one place: the authenticated
 * fetch asks here for every attempt, so that a proof-of-possession scheme is one change of this
 * function. Today it is `Authorization: Bearer` (RFC 6750 §2.1); with DPoP (RFC 9449 §7.1) it
 * becomes `Authorization: DPoP` plus a fresh `DPoP` proof bound to `method`, `url` and the token,
 * which is why the request is passed in and the answer is asynchronous.
 */

/** The token a resource request is made with (a session's, as the provider hands it out). */
export interface ResourceCredential {
  accessToken: string;
}

/** What a proof would be bound to (RFC 9449 §4.2 `htm`, `htu`). */
export interface ResourceRequestTarget {
  method: string;
  url: string;
}

/** The headers that authenticate one resource request. */
export async function resourceRequestHeaders(credential: ResourceCredential, _target: ResourceRequestTarget): Promise<Record<string, string>> {
  return { authorization: `Bearer ${credential.accessToken}` };
}
