/**
 * The extension's settings, read into plain provider descriptions. The parsing is a pure
 * function of the raw values so that every rule is testable without an editor.
 */
import { AZURE_CHINA, AZURE_PUBLIC, AZURE_US_GOVERNMENT, isEntraHost, LIBRARY_AUTHORIZATION_PARAMETERS } from '../core/index.js';
import type { LoopbackHost } from '../node/loopback-listener.js';

export const SETTINGS_SECTION = 'msalSignIn';

/** Sign-in flows, in the order a user would try them on a desktop. */
export type FlowId = 'loopback' | 'uriHandler' | 'deviceCode';
export const FLOW_IDS: readonly FlowId[] = ['loopback', 'uriHandler', 'deviceCode'];

/** Entra clouds and their authority hosts. */
export const CLOUD_HOSTS = {
  AzureCloud: AZURE_PUBLIC,
  AzureUSGovernment: AZURE_US_GOVERNMENT,
  AzureChinaCloud: AZURE_CHINA,
} as const;
export type CloudName = keyof typeof CLOUD_HOSTS;

/**
 * Whether the provider signs in at Microsoft Entra ID: the built-in provider, or an
 * `oidcProviders` entry whose issuer is on one of Entra's hosts (any cloud) or External ID's
 * `*.ciamlogin.com`. Entra's device code endpoint sends no CORS headers: in a browser the device
 * code cannot work there, whichever setting names the issuer.
 */
export function signsInAtEntra(config: Pick<ProviderConfig, 'kind' | 'issuer'>): boolean {
  if (config.kind === 'entra') return true;
  return config.issuer !== undefined && URL.canParse(config.issuer) && isEntraHost(new URL(config.issuer).hostname);
}

/** A fixed loopback redirect URI (`redirectUri`), as written and as the listener needs it. */
export interface LoopbackRedirect {
  /** Exactly as the user wrote it (trimmed): identity providers that need it compare it exactly. */
  uri: string;
  host: LoopbackHost;
  port: number;
  /** `/…`, or empty for a URI without a path. */
  path: string;
}

/** Where a provider setting lives: the key to open, and the field inside an `oidcProviders` entry. */
export interface SettingLocation {
  /** `msalSignIn.entra.redirectUri`, or `msalSignIn.oidcProviders` for a field of an entry. */
  key: string;
  /** The entry's id and field, for a setting inside `msalSignIn.oidcProviders`. */
  entry?: { id: string; field: string };
}

/**
 * A provider setting that cannot be used as written. The provider is still registered (its
 * signed-in accounts keep working); an interactive sign-in stops with a ConfigurationError that
 * says what is wrong (user-errors.ts) instead of sending a request the user did not mean.
 */
export type SettingProblem =
  /** Not `http://` + 127.0.0.1, localhost or [::1] + `:port` + an optional path. */
  | { kind: 'redirectUri'; where: SettingLocation; value: string }
  /** Not an object whose values are strings; `names` holds the entries that are not strings. */
  | { kind: 'authorizationParametersType'; where: SettingLocation; names: string[] }
  /** Names the library sets itself (client_id, state, PKCE, …). */
  | { kind: 'authorizationParametersOwned'; where: SettingLocation; names: string[] };

/**
 * Authorization request parameters a setting may not set: those the core sets itself (see
 * LIBRARY_AUTHORIZATION_PARAMETERS) and `login_hint`, which the extension fills with the account
 * being signed in to.
 */
export const OWNED_AUTHORIZATION_PARAMETERS: readonly string[] = [...LIBRARY_AUTHORIZATION_PARAMETERS, 'login_hint'];

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
  /** A fixed loopback redirect URI; without it the loopback flow takes any free port on 127.0.0.1. */
  redirectUri?: LoopbackRedirect;
  /** Extra parameters of the authorization request (and of the device authorization request). */
  authorizationParameters?: Record<string, string>;
  /** Settings of this provider that cannot be used; an interactive sign-in reports the first. */
  settingProblems?: SettingProblem[];
  /**
   * OIDC: `api.fetch` asks for DPoP-bound tokens (RFC 9449) where the issuer takes ES256 proofs;
   * getSession consumers stay Bearer. Registered clients leave it off (see registered-clients.ts).
   */
  dpop?: boolean;
  /** A client this extension registered at the issuer (registered-clients.ts), not a setting. */
  registered?: boolean;
}

/** Raw values as `workspace.getConfiguration(SETTINGS_SECTION).get(key)` returns them. */
export type SettingsReader = (key: string) => unknown;

export interface ParsedSettings {
  providers: ProviderConfig[];
  /** Problems to show the user once (bad entries are skipped, the rest still works). */
  problems: string[];
  logPii: boolean;
  /** `msalSignIn.allowLoopbackHttp`: http on loopback hosts for issuers (and api.fetch's resources). */
  allowLoopbackHttp: boolean;
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

/**
 * `http://` + a loopback host + an explicit port + an optional path, nothing else: no https (the
 * listener serves plain http), no other host (the listener binds loopback only), no query or
 * fragment, the port without leading zeros so that the URI sent is the one written.
 */
const LOOPBACK_REDIRECT_URI = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):([1-9][0-9]{0,4})(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*)?$/;

/** Reads a `redirectUri` setting: undefined when unset, a problem when unusable. */
export function parseLoopbackRedirect(value: unknown): LoopbackRedirect | 'invalid' | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  if (typeof value !== 'string') return 'invalid';
  const uri = value.trim();
  const match = LOOPBACK_REDIRECT_URI.exec(uri);
  const port = Number(match?.[2]);
  if (!match || port > 65535) return 'invalid';
  return { uri, host: match[1] as LoopbackHost, port, path: match[3] ?? '' };
}

/** Reads an `authorizationParameters` setting into parameters, or the problem with it. */
export function parseAuthorizationParameters(
  value: unknown,
  where: SettingLocation,
): { parameters?: Record<string, string>; problem?: SettingProblem } {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return { problem: { kind: 'authorizationParametersType', where, names: [] } };
  const entries = Object.entries(value as Record<string, unknown>);
  const notStrings = entries.filter(([, item]) => typeof item !== 'string').map(([name]) => name);
  if (notStrings.length > 0) return { problem: { kind: 'authorizationParametersType', where, names: notStrings } };
  const owned = entries.map(([name]) => name).filter((name) => OWNED_AUTHORIZATION_PARAMETERS.includes(name.toLowerCase()));
  if (owned.length > 0) return { problem: { kind: 'authorizationParametersOwned', where, names: owned } };
  return entries.length > 0 ? { parameters: Object.fromEntries(entries as [string, string][]) } : {};
}

/** The setting name a person reads: `msalSignIn.entra.redirectUri`, or `"redirectUri" of "auth0" in msalSignIn.oidcProviders`. */
export function describeSettingLocation(where: SettingLocation): string {
  return where.entry ? `"${where.entry.field}" of "${where.entry.id}" in ${where.key}` : where.key;
}

/** Where a request setting of a provider lives: `msalSignIn.entra.<field>`, or the field of its `oidcProviders` entry. */
export function settingLocationOf(provider: Pick<ProviderConfig, 'id' | 'kind'>, field: 'redirectUri' | 'authorizationParameters'): SettingLocation {
  return provider.kind === 'entra' ? { key: `${SETTINGS_SECTION}.entra.${field}` } : { key: `${SETTINGS_SECTION}.oidcProviders`, entry: { id: provider.id, field } };
}

/** The fixed redirect URI and extra parameters of one provider, with their problems. */
function readRequestSettings(
  provider: Pick<ProviderConfig, 'id' | 'kind'>,
  redirectValue: unknown,
  parametersValue: unknown,
): Pick<ProviderConfig, 'redirectUri' | 'authorizationParameters' | 'settingProblems'> {
  const settingProblems: SettingProblem[] = [];
  const redirect = parseLoopbackRedirect(redirectValue);
  if (redirect === 'invalid') settingProblems.push({ kind: 'redirectUri', where: settingLocationOf(provider, 'redirectUri'), value: String(redirectValue) });
  const { parameters, problem } = parseAuthorizationParameters(parametersValue, settingLocationOf(provider, 'authorizationParameters'));
  if (problem) settingProblems.push(problem);
  return {
    ...(redirect && redirect !== 'invalid' ? { redirectUri: redirect } : {}),
    ...(parameters ? { authorizationParameters: parameters } : {}),
    ...(settingProblems.length > 0 ? { settingProblems } : {}),
  };
}

/** One line of the start-up warning per setting problem (the sign-in message says it in full). */
function problemLine(problem: SettingProblem): string {
  const where = describeSettingLocation(problem.where);
  switch (problem.kind) {
    case 'redirectUri':
      return `${where}: must be http://127.0.0.1:<port>/…, http://localhost:<port>/… or http://[::1]:<port>/…`;
    case 'authorizationParametersType':
      return `${where}: must be an object of string values`;
    case 'authorizationParametersOwned':
      return `${where}: ${problem.names.join(', ')} cannot be set here (the extension sets them)`;
  }
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
      ...readRequestSettings({ id: 'entra', kind: 'entra' }, get('entra.redirectUri'), get('entra.authorizationParameters')),
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
      ...(item.dpop === true ? { dpop: true } : {}),
      ...readRequestSettings({ id, kind: 'oidc' }, item.redirectUri, item.authorizationParameters),
    });
  }
  for (const provider of providers) for (const problem of provider.settingProblems ?? []) problems.push(problemLine(problem));
  return { providers, problems, logPii: get('logPii') === true, allowLoopbackHttp };
}
