/**
 * The person's say in the authenticated fetch: a modal before an extension's request first carries
 * their token to a resource, and another before a client is registered at an issuer no setting
 * names. Answers to the first are remembered per requesting extension and resource (globalState),
 * so the question comes once; a registration is asked for once per issuer because it is kept.
 *
 * Who is asking: every extension gets the same exported API object from
 * `extensions.getExtension(…).exports`, and VS Code tells an API nothing about its caller. The
 * caller therefore names itself (`extensionId`, its `context.extension.id`); the dialog names the
 * extension as installed (its display name and id), and an id that names no installed extension
 * is refused. This keeps honest extensions apart and shows the person who claims to ask; it cannot
 * stop an extension from claiming another's id: extensions share one extension host, with no
 * boundary between them that an API could check.
 */
import * as vscode from 'vscode';
import { AuthError } from '../core/index.js';

/** The extension a fetch is made for, as the dialogs name it. */
export interface FetchCaller {
  /** The id it gave, or undefined for an extension that did not name itself. */
  id: string | undefined;
  /** What the dialogs show: `Display Name (publisher.name)`, or "An extension". */
  label: string;
}

export interface ResourceAccessQuestion {
  caller: FetchCaller;
  /** The resource identifier its metadata names. */
  resource: string;
  /** The provider whose account would be used (its label). */
  provider: string;
}

export interface RegistrationQuestion {
  caller: FetchCaller;
  resource: string;
  issuer: string;
}

/** The two questions; each resolves true only when the person chose to allow. */
export interface FetchConsentUi {
  allowResourceAccess(question: ResourceAccessQuestion): Promise<boolean>;
  allowRegistration(question: RegistrationQuestion): Promise<boolean>;
}

/** What the person already allowed: requesting extension + resource. */
export interface ConsentMemory {
  has(caller: FetchCaller, resource: string): boolean;
  add(caller: FetchCaller, resource: string): Promise<void>;
}

/** The dialogs, through the editor's modal messages. */
export const editorFetchConsent: FetchConsentUi = {
  async allowResourceAccess({ caller, resource, provider }) {
    const allow = vscode.l10n.t('Allow');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('{0} wants to call {1} with your {2} account.', caller.label, resource, provider),
      { modal: true, detail: vscode.l10n.t('The extension gets the answers of that resource, not your token. You are asked once for this extension and resource.') },
      allow,
    );
    return choice === allow;
  },
  async allowRegistration({ caller, resource, issuer }) {
    const register = vscode.l10n.t('Register and Sign In');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('{0} wants to call {1}, which accepts sign-ins from {2}. No configured provider signs in there.', caller.label, resource, issuer),
      {
        modal: true,
        detail: vscode.l10n.t('MSAL Sign-In can register itself at {0} as a new application and sign you in with it. Nothing is sent to {0} unless you agree.', issuer),
      },
      register,
    );
    return choice === register;
  },
};

/**
 * The caller of a fetch: `extensionId` as installed. An id naming no installed extension is an
 * `invalid_argument`: a dialog must not name an extension that is not there.
 */
export function identifyCaller(extensionId: string | undefined): FetchCaller {
  if (extensionId === undefined) return { id: undefined, label: vscode.l10n.t('An extension') };
  const extension = typeof extensionId === 'string' ? vscode.extensions.getExtension(extensionId) : undefined;
  if (!extension) throw new AuthError('invalid_argument', 'extensionId names no installed extension');
  const displayName = (extension.packageJSON as { displayName?: unknown } | undefined)?.displayName;
  return { id: extension.id, label: typeof displayName === 'string' && displayName !== '' ? `${displayName} (${extension.id})` : extension.id };
}

const CONSENT_KEY = 'msalSignIn.fetchConsent';

/** Consent kept in a Memento (the extension's globalState): one entry per extension and resource. */
export function mementoConsentMemory(memento: Pick<vscode.Memento, 'get' | 'update'>): ConsentMemory {
  const key = (caller: FetchCaller, resource: string) => `${caller.id ?? ''} ${resource}`;
  const list = (): string[] => {
    const value = memento.get<unknown>(CONSENT_KEY);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  };
  return {
    has: (caller, resource) => list().includes(key(caller, resource)),
    add: async (caller, resource) => {
      const current = list();
      if (!current.includes(key(caller, resource))) await memento.update(CONSENT_KEY, [...current, key(caller, resource)]);
    },
  };
}
