/**
 * What the bench's parent process hands each child: where the IdP is, what to trust, and the
 * synthetic caches on disk. Plain JSON, sent once over the IPC channel.
 */
export interface BenchContext {
  /** `https://127.0.0.1:PORT`. */
  origin: string;
  /** `127.0.0.1:PORT`: the cache's environment. */
  host: string;
  tenantId: string;
  clientId: string;
  /** `<origin>/<tenantId>`: the Entra-shaped authority both libraries are given. */
  entraAuthority: string;
  /** `<origin>/oidc`: the generic face (its device authorization response has no `interval`). */
  oidcIssuer: string;
  /**
   * `https://127.0.0.1:PORT2`: a second IdP whose generic face sits at the host root (issuer
   * without a path, as Okta's org server), for figure 1c. Absent when that figure is not run.
   */
  rootIssuer?: string;
  /** PEM of the run's self-signed certificate; also in NODE_EXTRA_CA_CERTS of every child. */
  caFile: string;
  /** The Entra face's discovery document for `entraAuthority`, as fetched by the parent (msal-node's `authorityMetadata`). */
  openidConfiguration: string;
  /** The scope of every token the bench asks for. */
  scope: string;
  /** Files of the synthetic caches, by account count. */
  cacheFiles: Record<string, string>;
  /** Epoch seconds the synthetic caches were made at. */
  syntheticNow: number;
}

/** The libraries compared. */
export type LibraryName = 'ours' | 'msal-node';
