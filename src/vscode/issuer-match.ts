/**
 * Which provider signs in to the authorization server a resource names. A resource's metadata
 * only names an issuer identifier; the person's tokens go to it only through a provider whose
 * own settings (or stored registration) name that very issuer, compared exactly (RFC 8414 §3.3
 * identity, the settings' trailing slash aside), never by host or prefix.
 */
import type { ProviderConfig } from './settings.js';

/** A provider able to sign in to an issuer, and the scope modifiers that make it do so. */
export interface IssuerMatch<P> {
  provider: P;
  /** `VSCODE_TENANT:<tid>` when a multi-tenant Entra provider serves the issuer's tenant. */
  scopeModifiers: string[];
}

/** Entra's tenant-independent names: their issuer is that of the tenant the account belongs to. */
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);
/** `https://<host>/<tenant id>/v2.0`: the issuer of an Entra tenant's v2 tokens. */
const ENTRA_ISSUER = /^https:\/\/([^/]+)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/v2\.0$/i;

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** How `config` matches `issuer`, or undefined. A provider without a client id matches nothing: it cannot sign in. */
export function matchIssuer(config: ProviderConfig, issuer: string): string[] | undefined {
  if (!config.clientId) return undefined;
  const wanted = withoutTrailingSlash(issuer);
  if (config.kind === 'oidc') return config.issuer !== undefined && withoutTrailingSlash(config.issuer) === wanted ? [] : undefined;
  if (config.authorityOverride !== undefined) return withoutTrailingSlash(config.authorityOverride) === wanted || `${withoutTrailingSlash(config.authorityOverride)}/v2.0` === wanted ? [] : undefined;
  const tenant = config.tenant ?? 'organizations';
  if (`${config.authorityBase}/${tenant}/v2.0` === wanted) return [];
  const entra = ENTRA_ISSUER.exec(wanted);
  if (!entra || !MULTI_TENANT.has(tenant) || `https://${entra[1]}` !== config.authorityBase) return undefined;
  return [`VSCODE_TENANT:${entra[2]}`];
}

/** The first provider that signs in to `issuer`, in the order given (configured before registered). */
export function findProviderForIssuer<P extends { readonly config: ProviderConfig }>(providers: readonly P[], issuer: string): IssuerMatch<P> | undefined {
  for (const provider of providers) {
    const scopeModifiers = matchIssuer(provider.config, issuer);
    if (scopeModifiers) return { provider, scopeModifiers };
  }
  return undefined;
}
