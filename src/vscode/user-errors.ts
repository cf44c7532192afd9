/**
 * One clear message, with the next step, for the sign-in failures a new user meets: no client id,
 * a client id the identity provider does not know, a redirect URI it has not registered, consent
 * declined, an issuer URL that is wrong or unreachable. Pure: the caller passes `vscode.l10n.t`
 * as `t`, so the table is tested without an editor and every string still goes through l10n.
 *
 * Server errors are matched by their OAuth `error` and, for Microsoft Entra ID, by the AADSTS
 * numbers in `errorCodes`, because Entra answers several of these cases with a generic
 * `invalid_request` or `invalid_client`.
 */
import { AuthError, ServerError } from '../core/index.js';
import { FlowUnavailableError } from './flows.js';
import { RegisteredCallbackError } from './registered-callback.js';
import { describeSettingLocation, type ProviderConfig, type SettingLocation, settingLocationOf, type SettingProblem } from './settings.js';

/** `vscode.l10n.t` with positional arguments. */
export type Translate = (message: string, ...args: string[]) => string;

/**
 * The words for failures only one extension host meets — the loopback listener's in Node, a
 * browser's refusals in a web worker — handed in by that host's entry (HostPieces.explainError),
 * so that the other build does not carry them. Undefined for a failure it does not know.
 */
export type HostErrorExplainer = (err: unknown, context: UserErrorContext, t: Translate) => UserErrorMessage | undefined;

/** What the message offers next. */
export type NextStep = 'openSettings' | 'showLog' | 'none';

export interface UserErrorContext {
  /** The provider's display name, e.g. "Microsoft Entra ID". */
  providerLabel: string;
  /** The setting that holds the client id: `msalSignIn.entra.clientId` or `msalSignIn.oidcProviders`. */
  clientIdSetting: string;
  /** The setting that holds the issuer or authority. */
  issuerSetting: string;
  /** The issuer or authority URL, shown so the user sees which one failed. */
  issuer: string;
  /** Where the provider's fixed loopback redirect URI is set, when it has one. */
  redirectUriSetting?: SettingLocation;
}

export interface UserErrorMessage {
  message: string;
  next: NextStep;
  /** With `openSettings`: the setting to open. */
  setting?: string;
}

/** Why a provider cannot sign in until a setting is fixed. */
export type ConfigurationProblem = 'missingClientId' | 'unusableIssuer' | 'unusableSetting';

/**
 * Thrown when the provider cannot sign in until the user fixes a setting. Its message is the one
 * shown to the person (and the one a consumer extension's request rejects with): it names the
 * setting, never an option of the library underneath.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(
    message: string,
    /** The setting to open for the fix. */
    readonly setting: string,
    readonly problem: ConfigurationProblem,
  ) {
    super(message);
  }
}

/** A provider without a client id: nothing can be asked for until the setting is filled. */
export function missingClientIdError(config: ProviderConfig, t: Translate): ConfigurationError {
  const explained = explainMissingClientId(errorContextFor(config), t);
  return new ConfigurationError(explained.message, explained.setting!, 'missingClientId');
}

/** A provider setting settings.ts found unusable: the sign-in stops before any request, with what to fix. */
export function settingProblemError(problem: SettingProblem, t: Translate): ConfigurationError {
  const explained = explainSettingProblem(problem, t);
  return new ConfigurationError(explained.message, explained.setting!, 'unusableSetting');
}

/**
 * The core checks the authority as an application is made; a refusal there that the table below
 * sends to the settings (an http issuer without `msalSignIn.allowLoopbackHttp`, a malformed URL)
 * is told in the words of the settings rather than the library's option names. Undefined for
 * anything else.
 */
export function unusableIssuerError(err: unknown, config: ProviderConfig, t: Translate): ConfigurationError | undefined {
  const explained = err instanceof AuthError ? explainSignInError(err, errorContextFor(config), t) : undefined;
  return explained?.next === 'openSettings' && explained.setting ? new ConfigurationError(explained.message, explained.setting, 'unusableIssuer') : undefined;
}

/** Entra's AADSTS numbers for the cases below (login.microsoftonline.com error lookup). */
const AADSTS = {
  /** Application with identifier … was not found in the directory. */
  unknownClient: [700016],
  /** The redirect URI … does not match the redirect URIs configured for the application. */
  redirectNotRegistered: [50011, 500113],
  /** The user or administrator has not consented / declined to consent. */
  consentDeclined: [65001, 65004],
  /** The request body must contain client_assertion or client_secret: "Allow public client flows" is off. */
  publicClientFlowsOff: [7000218],
} as const;

function hasCode(err: ServerError, codes: readonly number[]): boolean {
  return err.errorCodes?.some((code) => codes.includes(code)) ?? false;
}

/** The message for a provider without a client id: what to register and which setting to fill. */
export function explainMissingClientId(context: Pick<UserErrorContext, 'providerLabel' | 'clientIdSetting'>, t: Translate): UserErrorMessage {
  return {
    message: t(
      '{0} has no client id. Register a public client application at your identity provider with the redirect URI http://127.0.0.1 (any port), then put its client id in the setting {1}.',
      context.providerLabel,
      context.clientIdSetting,
    ),
    next: 'openSettings',
    setting: context.clientIdSetting,
  };
}

/**
 * Explains a failed sign-in, or returns `undefined` for a cancel (the user knows why it stopped).
 * What only this extension host meets is `explainHostError`'s to word. Unknown failures keep a
 * short, safe description (codes, never tokens) and point to the log.
 */
export function explainSignInError(err: unknown, context: UserErrorContext, t: Translate, explainHostError?: HostErrorExplainer): UserErrorMessage | undefined {
  const { providerLabel: label } = context;
  if (err instanceof FlowUnavailableError && err.reason === 'noDeviceAuthorizationEndpoint') {
    return {
      message: t(
        '{0} does not offer sign-in with a device code: its discovery document at {1} names no device_authorization_endpoint. Use MSAL Sign-In: Sign In instead, or enable the device authorization grant for the client at the identity provider.',
        label,
        context.issuer,
      ),
      next: 'none',
    };
  }
  if (err instanceof RegisteredCallbackError) {
    return {
      message: t(
        '{0} did not let the editor add this window\'s callback address to the client registered there, so the browser sign-in cannot come back to this window. Use MSAL Sign-In: Sign In with a Device Code, or sign in from the desktop editor.',
        label,
      ),
      next: 'showLog',
    };
  }
  const fromHost = explainHostError?.(err, context, t);
  if (fromHost) return fromHost;
  if (err instanceof ServerError) {
    const error = err.error;
    if (error === 'access_denied' || error === 'consent_required' || hasCode(err, AADSTS.consentDeclined)) {
      return {
        message: t('Sign-in to {0} was declined. Sign in again and accept the requested permissions, or ask an administrator to grant consent.', label),
        next: 'none',
      };
    }
    if (error === 'invalid_redirect_uri' || error === 'redirect_uri_mismatch' || hasCode(err, AADSTS.redirectNotRegistered)) {
      return {
        message: t(
          "{0} refused the redirect URI. Register http://127.0.0.1 (any port) for the loopback sign-in and the editor's callback URI for the browser sign-in at your app registration, or sign in with a device code.",
          label,
        ),
        next: 'showLog',
      };
    }
    if (hasCode(err, AADSTS.publicClientFlowsOff)) {
      return {
        message: t('{0} does not allow this sign-in for a public client. Turn on "Allow public client flows" in the app registration, then try again.', label),
        next: 'none',
      };
    }
    if (error === 'invalid_client' || error === 'unauthorized_client' || hasCode(err, AADSTS.unknownClient)) {
      return {
        message: t(
          '{0} does not accept the client id. Check that a public client application with this id is registered (for Entra ID: in this tenant) and that {1} holds its client id.',
          label,
          context.clientIdSetting,
        ),
        next: 'openSettings',
        setting: context.clientIdSetting,
      };
    }
    return { message: t('Sign-in to {0} failed: the identity provider answered {1}.', label, describeServerError(err)), next: 'showLog' };
  }
  if (err instanceof AuthError) {
    switch (err.code) {
      case 'cancelled':
        return undefined;
      case 'network_error':
      case 'timeout':
        return {
          message: t('Could not reach {0} at {1}. Check the URL in {2}, your network and the editor setting http.proxy.', label, context.issuer, context.issuerSetting),
          next: 'openSettings',
          setting: context.issuerSetting,
        };
      case 'discovery_failed':
        return {
          message: t(
            '{0} at {1} does not answer as an OpenID Connect issuer. Check the URL in {2}: it is the issuer URL, whose /.well-known/openid-configuration the provider serves.',
            label,
            context.issuer,
            context.issuerSetting,
          ),
          next: 'openSettings',
          setting: context.issuerSetting,
        };
      case 'invalid_authority':
        return {
          message: t(
            'The issuer URL {0} cannot be used: it must be an https URL (http only for 127.0.0.1 or localhost with msalSignIn.allowLoopbackHttp). Check {1}.',
            context.issuer,
            context.issuerSetting,
          ),
          next: 'openSettings',
          setting: context.issuerSetting,
        };
      case 'throttled':
        return { message: t('{0} asked to wait before signing in again. Try again in a minute.', label), next: 'none' };
      default:
        return { message: t('Sign-in to {0} failed: {1}', label, `${err.code}: ${err.message}`), next: 'showLog' };
    }
  }
  return { message: t('Sign-in to {0} failed. See the log for details.', label), next: 'showLog' };
}

/** What is wrong with a provider setting (settings.ts found it), and the setting to open. */
export function explainSettingProblem(problem: SettingProblem, t: Translate): UserErrorMessage {
  const name = describeSettingLocation(problem.where);
  const fix = { next: 'openSettings' as const, setting: problem.where.key };
  switch (problem.kind) {
    case 'redirectUri':
      return {
        message: t(
          'The redirect URI {0} in {1} cannot be used: it must be a loopback http URI with a port and an optional path, such as http://127.0.0.1:8400/ (or localhost, or [::1]), with no query or fragment.',
          problem.value,
          name,
        ),
        ...fix,
      };
    case 'authorizationParametersType':
      return problem.names.length > 0
        ? { message: t('{0} must map parameter names to text; these values are not text: {1}.', name, problem.names.join(', ')), ...fix }
        : { message: t('{0} must be an object that maps parameter names to text, such as "audience" to the identifier of your API.', name), ...fix };
    case 'authorizationParametersOwned':
      return {
        message: t(
          '{0} sets {1}, which the extension sets itself. Remove them from the setting: scopes go in "scopes" (or the scopes an extension asks for), the redirect URI in "redirectUri".',
          name,
          problem.names.join(', '),
        ),
        ...fix,
      };
  }
}

/** The OAuth error and Entra's numbers: safe to show, and what a search or a support call needs. */
function describeServerError(err: ServerError): string {
  return err.errorCodes?.length ? `${err.error} (AADSTS${err.errorCodes.join(', AADSTS')})` : err.error;
}

/** The settings a message about this provider points to. */
export function errorContextFor(config: ProviderConfig): UserErrorContext {
  const oidc = config.kind === 'oidc';
  const redirectUriSetting = config.redirectUri ? settingLocationOf(config, 'redirectUri') : undefined;
  return {
    providerLabel: config.label,
    clientIdSetting: oidc ? 'msalSignIn.oidcProviders' : 'msalSignIn.entra.clientId',
    issuerSetting: oidc ? 'msalSignIn.oidcProviders' : config.authorityOverride ? 'msalSignIn.entra.authority' : 'msalSignIn.entra.tenant',
    issuer: oidc ? (config.issuer ?? '') : (config.authorityOverride ?? `${config.authorityBase ?? ''}/${config.tenant ?? ''}`),
    ...(redirectUriSetting ? { redirectUriSetting } : {}),
  };
}
