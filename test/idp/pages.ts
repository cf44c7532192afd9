// The IdP's HTML pages. Plain forms that a real browser can fill in (UI tests) and that
// headless-login.ts can read: each page's <main> carries `data-idp-page`, each form
// `data-idp-form`, and every value is HTML-escaped.

export type PageKind =
  | 'login'
  | 'consent'
  | 'device-code'
  | 'device-confirm'
  | 'device-success'
  | 'error';

export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(kind: PageKind, title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f3f3f3;margin:0}
main{max-width:22rem;margin:3rem auto;padding:1.5rem 2rem;background:#fff;box-shadow:0 2px 6px rgba(0,0,0,.2)}
label{display:block;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin:1rem .5rem 0 0;padding:.5rem 1rem;font-size:1rem}
.error{color:#b00020}
</style>
</head>
<body>
<main data-idp-page="${kind}">
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`;
}

export interface LoginPageInput {
  action: string;
  clientName: string;
  loginHint?: string;
  error?: string;
}

export function renderLoginPage(input: LoginPageInput): string {
  return page('login', 'Sign in', `
<p>to continue to <strong>${escapeHtml(input.clientName)}</strong></p>
${input.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(input.error)}</p>`}
<form method="post" action="${escapeHtml(input.action)}" data-idp-form="login">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${escapeHtml(input.loginHint ?? '')}" autocomplete="username" autofocus required>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" name="action" value="sign-in">Sign in</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form>`);
}

export interface ConsentPageInput {
  action: string;
  clientName: string;
  accountName: string;
  scopes: string[];
}

export function renderConsentPage(input: ConsentPageInput): string {
  const items = input.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('\n');
  return page('consent', 'Permissions requested', `
<p><strong>${escapeHtml(input.clientName)}</strong> asks <strong>${escapeHtml(input.accountName)}</strong> for:</p>
<ul>
${items}
</ul>
<form method="post" action="${escapeHtml(input.action)}" data-idp-form="consent">
<button type="submit" name="decision" value="approve" autofocus>Accept</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form>`);
}

/** oidc-provider hands the device pages its own `<form id="op.device…Form">` markup to wrap. */
export function renderDeviceCodePage(form: string, error?: string): string {
  return page('device-code', 'Enter code', `
<p>Enter the code shown on your device.</p>
${error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(error)}</p>`}
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`);
}

export function renderDeviceConfirmPage(form: string, clientName: string, userCode: string): string {
  return page('device-confirm', 'Confirm device', `
<p><strong>${escapeHtml(clientName)}</strong> wants to sign in on a device showing this code:</p>
<p><code data-user-code>${escapeHtml(userCode)}</code></p>
${form}
<button type="submit" form="op.deviceConfirmForm" autofocus>Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`);
}

export function renderDeviceSuccessPage(clientName: string): string {
  return page('device-success', 'Signed in', `
<p>You are signed in to <strong>${escapeHtml(clientName)}</strong> on your device. You can close this page.</p>`);
}

export function renderErrorPage(error: string, description?: string): string {
  return page('error', 'Sign-in error', `
<p class="error" role="alert" data-error="${escapeHtml(error)}"><strong>${escapeHtml(error)}</strong></p>
${description === undefined ? '' : `<p>${escapeHtml(description)}</p>`}`);
}
