/**
 * A browser stand-in for LemonLDAP::NG's portal: opens an authorization URL, fills the portal's
 * login form (`user`, `password` and its hidden fields: `url`, `token`, `skin`, `timezone`) as a
 * person would, and returns the redirect that leaves the portal, unvisited. The portal then
 * redirects at once (the relying party bypasses consent).
 *
 * LL::NG shows its errors as pages, not as redirects: an unregistered redirect URI gives an
 * "Unauthorized URL" page, a wrong password the login form again. Both end here in an error with
 * the page's message, instead of a test that waits for a redirect that never comes.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { CookieJar, parseHtmlPage } from '../idp/headless-login.js';
import { LLNG_USERS, type LlngUserName } from './server.js';

const MAX_STEPS = 10;

export interface PortalLoginOptions {
  /** The portal's certificate (PEM). */
  ca: string;
  /** Keeps the portal session (its `lemonldap` cookie) between sign-ins; a fresh one otherwise. */
  jar?: CookieJar;
}

/** The text of LL::NG's message box on a page, for error messages. */
function portalMessage(html: string): string {
  const match = /<div[^>]*class="[^"]*message[^"]*"[^>]*>([\s\S]*?)<\/div>/i.exec(html);
  const text = (match?.[1] ?? html).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  return text.slice(0, 300);
}

/** Signs `user` in at the portal for `authorizeUrl`; resolves the redirect URI with code and state. */
export async function signInAtPortal(authorizeUrl: string, user: LlngUserName, options: PortalLoginOptions): Promise<URL> {
  const jar = options.jar ?? new CookieJar();
  const dispatcher = new Agent({ connect: { ca: options.ca } });
  const origin = new URL(authorizeUrl).origin;
  try {
    let url = new URL(authorizeUrl);
    let init: { method: string; body?: URLSearchParams } = { method: 'GET' };
    let submitted = false;
    for (let step = 0; step < MAX_STEPS; step += 1) {
      const headers: Record<string, string> = { accept: 'text/html' };
      const cookie = jar.header(url);
      if (cookie !== undefined) headers.cookie = cookie;
      const response = await undiciFetch(url, { ...init, headers, redirect: 'manual', dispatcher, signal: AbortSignal.timeout(15_000) });
      jar.store(url, response.headers.getSetCookie());
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        const next = new URL(response.headers.get('location') ?? '', url);
        if (next.origin !== origin) return next;
        url = next;
        init = { method: 'GET' };
        continue;
      }
      const html = await response.text();
      const form = parseHtmlPage(html).forms.find((candidate) => candidate.id === 'lform');
      if (form === undefined) throw new Error(`the portal showed no login form (HTTP ${response.status}): ${portalMessage(html)}`);
      if (submitted) throw new Error(`the portal refused the sign-in of ${user}: ${portalMessage(html)}`);
      const body = new URLSearchParams();
      for (const [name, value] of form.fields) if (name !== 'user' && name !== 'password' && name !== 'checkLogins') body.append(name, value);
      body.set('user', LLNG_USERS[user].login);
      body.set('password', LLNG_USERS[user].password);
      // action="#": the form posts back to the page's own URL (the authorization request).
      url = new URL(form.action || url.href, url);
      url.hash = '';
      init = { method: form.method, body };
      submitted = true;
    }
    throw new Error(`no redirect left the portal after ${MAX_STEPS} steps`);
  } finally {
    await dispatcher.close();
  }
}

/** An `openBrowser` for acquireTokenInteractive: signs `user` in and follows the redirect to the loopback listener. */
export function portalBrowser(user: LlngUserName, options: PortalLoginOptions) {
  const opened: string[] = [];
  const open = async (authorizeUrl: string) => {
    opened.push(authorizeUrl);
    const redirect = await signInAtPortal(authorizeUrl, user, options);
    const response = await fetch(redirect, { redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    await response.text();
  };
  return { open, opened };
}
