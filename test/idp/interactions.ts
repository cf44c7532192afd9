// Custom interactions: a login page with a real form and a consent step that records a Grant.
// Served at `<mount>/interaction/<uid>` (GET), `…/login` and `…/confirm` (POST), where <mount>
// is `/oidc` or the tenant segment the authorization request came in on.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Interaction, Provider } from 'oidc-provider';
import { findAccountBySub, verifyPassword } from './accounts.js';
import { renderConsentPage, renderErrorPage, renderLoginPage } from './pages.js';

/** Extra authorization parameter set by the IdP itself when it added `prompt=consent` (see provider.ts). */
export const ADDED_CONSENT_PARAM = 'idp_added_consent_prompt';

export interface InteractionOptions {
  /** Approve every consent step without showing the page. */
  autoConsent: boolean;
}

const MAX_FORM_BYTES = 64 * 1024;

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new Error('form body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function clientNameOf(provider: Provider, clientId: string): Promise<string> {
  const client = await provider.Client.find(clientId);
  return client?.clientName ?? clientId;
}

function missingScopes(details: Interaction['prompt']['details']): string[] {
  return [
    ...details.missingOIDCScope ?? [],
    ...(details.missingOIDCClaims ?? []).map((claim) => `claim: ${claim}`),
    ...Object.values(details.missingResourceScopes ?? {}).flat(),
  ];
}

/**
 * Entra shows no consent page once everything requested was consented to. oidc-provider asks
 * anyway for native clients (`native_client_prompt`) and when the IdP added `prompt=consent`
 * itself; both are skipped when nothing is missing.
 */
function consentIsSatisfied(interaction: Interaction): boolean {
  if (missingScopes(interaction.prompt.details).length > 0) return false;
  const added = interaction.params[ADDED_CONSENT_PARAM] === '1';
  return interaction.prompt.reasons.every((reason) => reason === 'native_client_prompt'
    || (reason === 'consent_prompt' && added));
}

async function finishConsent(provider: Provider, req: IncomingMessage, res: ServerResponse, interaction: Interaction): Promise<void> {
  const accountId = interaction.session?.accountId;
  if (accountId === undefined) throw new Error('consent without a signed-in account');
  const { details } = interaction.prompt;
  const existing = interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId);
  const grant = existing ?? new provider.Grant({ accountId, clientId: interaction.params.client_id });
  if (details.missingOIDCScope !== undefined) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims !== undefined) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: existing === undefined ? { grantId } : {} }, {
    mergeWithLastSubmission: true,
  });
}

async function showInteraction(provider: Provider, req: IncomingMessage, res: ServerResponse, interaction: Interaction, mount: string, options: InteractionOptions): Promise<void> {
  const base = `${mount}/interaction/${interaction.uid}`;
  const clientName = await clientNameOf(provider, interaction.params.client_id);
  switch (interaction.prompt.name) {
    case 'login': {
      const hint = interaction.prompt.details.login_hint ?? interaction.params.login_hint;
      sendHtml(res, 200, renderLoginPage({ action: `${base}/login`, clientName, ...(hint === undefined ? {} : { loginHint: hint }) }));
      return;
    }
    case 'consent': {
      if (options.autoConsent || consentIsSatisfied(interaction)) {
        await finishConsent(provider, req, res, interaction);
        return;
      }
      const account = findAccountBySub(interaction.session?.accountId ?? '');
      sendHtml(res, 200, renderConsentPage({
        action: `${base}/confirm`,
        clientName,
        accountName: account?.preferredUsername ?? 'the signed-in user',
        scopes: missingScopes(interaction.prompt.details),
      }));
      return;
    }
    default:
      sendHtml(res, 400, renderErrorPage('invalid_request', `unsupported interaction prompt ${interaction.prompt.name}`));
  }
}

/**
 * Serves one interaction request. `step` is undefined for the page itself, or the form action.
 * Returns false when the interaction cookie or record is missing (the caller renders an error).
 */
export async function handleInteraction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  params: { mount: string; uid: string; step: 'login' | 'confirm' | undefined },
  options: InteractionOptions,
): Promise<void> {
  let interaction: Interaction;
  try {
    interaction = await provider.interactionDetails(req, res);
  } catch (error) {
    sendHtml(res, 400, renderErrorPage('session_not_found', error instanceof Error ? error.message : String(error)));
    return;
  }
  if (interaction.uid !== params.uid) {
    sendHtml(res, 400, renderErrorPage('invalid_request', 'interaction id mismatch'));
    return;
  }

  if (req.method === 'GET' && params.step === undefined) {
    await showInteraction(provider, req, res, interaction, params.mount, options);
    return;
  }
  if (req.method !== 'POST' || params.step === undefined) {
    sendHtml(res, 405, renderErrorPage('invalid_request', 'method not allowed'));
    return;
  }

  const form = await readForm(req);
  if (params.step === 'login') {
    if (interaction.prompt.name !== 'login') {
      sendHtml(res, 400, renderErrorPage('invalid_request', 'no login pending'));
      return;
    }
    if (form.get('action') === 'cancel') {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'End-User cancelled the sign-in',
      }, { mergeWithLastSubmission: false });
      return;
    }
    const username = form.get('username') ?? '';
    const account = verifyPassword(username, form.get('password') ?? '');
    if (account === undefined) {
      sendHtml(res, 200, renderLoginPage({
        action: `${params.mount}/interaction/${interaction.uid}/login`,
        clientName: await clientNameOf(provider, interaction.params.client_id),
        loginHint: username,
        error: 'Wrong username or password.',
      }));
      return;
    }
    await provider.interactionFinished(req, res, {
      login: { accountId: account.sub, amr: ['pwd'] },
    }, { mergeWithLastSubmission: false });
    return;
  }

  if (interaction.prompt.name !== 'consent') {
    sendHtml(res, 400, renderErrorPage('invalid_request', 'no consent pending'));
    return;
  }
  if (form.get('decision') === 'approve') {
    await finishConsent(provider, req, res, interaction);
  } else {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'End-User declined the requested permissions',
    }, { mergeWithLastSubmission: false });
  }
}
