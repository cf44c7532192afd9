/**
 * The extension's settings, read into plain provider descriptions. The parsing is a pure
 * function of the raw values so that every rule is testable without an editor.
 */

export const SETTINGS_SECTION = 'msalSignIn';

/** Sign-in flows, in the order a user would try them on a desktop. */
export type FlowId = 'loopback' | 'uriHandler' | 'deviceCode';
export const FLOW_IDS: readonly FlowId[] = ['loopback', 'uriHandler', 'deviceCode'];

/** Entra clouds and their authority hosts. */
export const CLOUD_HOSTS = {
  AzureCloud: 'login.microsoftonline.com',
  AzureUSGovernment: 'login.microsoftonline.us',
  AzureChinaCloud: 'login.chinacloudapi.cn',
} as const;
export type CloudName = keyof typeof CLOUD_HOSTS;

/** One authentication provider the extension registers. */
export interface ProviderConfig {
  id: string;
  label: string;
  kind: 'entra' | 'oidc';
  /** Empty when the user has not configured one yet: sign-in then explains what to do. */
  clientId: string;
  /** Entra: the authority host URL without tenant (`https://login.microsoftonline.com`), or a full authority override. */
  authorityBase?: string;
  /** Entra: the tenant used when a request names none. */
  tenant?: string;
  /** Entra: a full authority URL that replaces host + tenant (B2C, CIAM, ADFS, a local test IdP). */
  authorityOverride?: string;
  /** OIDC: the issuer URL. */
  issuer?: string;
  /** Scopes asked for when a consumer asks only for OpenID scopes. */
  defaultScopes: string[];
  /** Flow to try first (the others follow). */
  preferredFlow?: FlowId;
  /** Accept `http://127.0.0.1` / `localhost` issuers (local identity providers). */
  allowLoopbackHttp: boolean;
}

/** Raw values as `workspace.getConfiguration(SETTINGS_SECTION).get(key)` returns them. */
export type SettingsReader = (key: string) => unknown;

export interface ParsedSettings {
  providers: ProviderConfig[];
  /** Problems to show the user once (bad entries are skipped, the rest still works). */
  problems: string[];
  logPii: boolean;
}

const PROVIDER_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const RESERVED_IDS = new Set(['entra', 'microsoft', 'github', 'github-enterprise', 'microsoft-sovereign-cloud']);

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value.trim() : fallback;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item.trim().length > 0).map((item) => item.trim()) : [];
}

function flowOrUndefined(value: unknown): FlowId | undefined {
  return typeof value === 'string' && (FLOW_IDS as readonly string[]).includes(value) ? (value as FlowId) : undefined;
}

/** Reads every provider from the settings. */
export function parseSettings(get: SettingsReader): ParsedSettings {
  const problems: string[] = [];
  const allowLoopbackHttp = get('allowLoopbackHttp') === true;
  const preferredFlow = flowOrUndefined(get('preferredFlow'));
  const cloud = stringOr(get('entra.cloud'), 'AzureCloud') as CloudName;
  const known = Object.hasOwn(CLOUD_HOSTS, cloud);
  const host = known ? CLOUD_HOSTS[cloud] : CLOUD_HOSTS.AzureCloud;
  if (!known) problems.push(`msalSignIn.entra.cloud: unknown cloud "${cloud}", using AzureCloud`);
  const authorityOverride = stringOr(get('entra.authority'), '') || undefined;
  const providers: ProviderConfig[] = [
    {
      id: 'entra',
      label: 'Microsoft Entra ID',
      kind: 'entra',
      clientId: stringOr(get('entra.clientId'), ''),
      authorityBase: `https://${host}`,
      tenant: stringOr(get('entra.tenant'), 'organizations') || 'organizations',
      authorityOverride,
      defaultScopes: stringList(get('entra.defaultScopes')),
      preferredFlow,
      allowLoopbackHttp,
    },
  ];
  const seen = new Set(providers.map((provider) => provider.id));
  const raw = get('oidcProviders');
  for (const [index, entry] of (Array.isArray(raw) ? raw : []).entries()) {
    const where = `msalSignIn.oidcProviders[${index}]`;
    if (typeof entry !== 'object' || entry === null) {
      problems.push(`${where}: not an object`);
      continue;
    }
    const item = entry as Record<string, unknown>;
    const id = stringOr(item.id, '');
    const issuer = stringOr(item.issuer, '');
    if (!PROVIDER_ID.test(id) || RESERVED_IDS.has(id)) {
      problems.push(`${where}: "id" must be lower-case letters, digits, '.', '_' or '-', and not a built-in provider id`);
      continue;
    }
    if (seen.has(id)) {
      problems.push(`${where}: the id "${id}" is used twice`);
      continue;
    }
    if (!/^https?:\/\//.test(issuer) || !URL.canParse(issuer)) {
      problems.push(`${where}: "issuer" must be the issuer URL, such as https://keycloak.example/realms/demo`);
      continue;
    }
    seen.add(id);
    providers.push({
      id,
      label: stringOr(item.label, '') || id,
      kind: 'oidc',
      clientId: stringOr(item.clientId, ''),
      issuer: issuer.replace(/\/+$/, ''),
      defaultScopes: stringList(item.scopes),
      preferredFlow: flowOrUndefined(item.flow) ?? preferredFlow,
      allowLoopbackHttp,
    });
  }
  return { providers, problems, logPii: get('logPii') === true };
}
