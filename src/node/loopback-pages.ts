/**
 * The HTML the loopback listener shows in the browser after the authorization redirect. Pages are
 * self-contained (inline style only) because the listener serves them under a strict CSP.
 */

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * An error page: an HTML template whose `{error}` and `{error_description}` placeholders are
 * replaced, or a function building the page. Either way the values arrive **already HTML-escaped**
 * (they come from a URL anyone can craft), so insert them as they are.
 */
export type ErrorPage = string | ((error: string, description?: string) => string);

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;line-height:1.5}code{word-break:break-all}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** Shown after a successful authorization response. */
export const DEFAULT_SUCCESS_PAGE = page('Authentication complete', '<h1>Authentication complete</h1>\n<p>You can close this window.</p>');

/** Shown after an error response; `{error}` and `{error_description}` are filled in, escaped. */
export const DEFAULT_ERROR_PAGE = page(
  'Authentication failed',
  '<h1>Authentication failed</h1>\n<p><code>{error}</code> {error_description}</p>\n<p>You can close this window and return to the application.</p>',
);

/** Shown for a request to the redirect path that is not an authorization response (never ends the wait). */
export const NOT_A_RESPONSE_PAGE = page(
  'Not an authorization response',
  '<h1>Not an authorization response</h1>\n<p>This address expects the response of a sign-in. Return to the application and try signing in again.</p>',
);

/** Renders an {@link ErrorPage} for an `error` response, escaping the server's (or attacker's) text. */
export function renderErrorPage(template: ErrorPage, error: string, description: string | undefined): string {
  const safeError = escapeHtml(error);
  const safeDescription = description === undefined ? undefined : escapeHtml(description);
  if (typeof template === 'function') return template(safeError, safeDescription);
  // One pass with a callback, so that text inserted for one placeholder is never read as another.
  return template.replace(/\{(error|error_description)\}/g, (_match, name: string) =>
    name === 'error' ? safeError : (safeDescription ?? ''),
  );
}
