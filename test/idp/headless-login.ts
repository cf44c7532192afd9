// A browser without a screen for the IdP's own pages: a cookie jar, redirects followed by hand
// (fetch with redirect: 'manual'), and HTML forms read and submitted the way a user would.
// completeAuthorization stops at the redirect that leaves the IdP and returns that URL unvisited.
import { ACCOUNTS, type AccountName } from './accounts.js';

const MAX_STEPS = 25;

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expiresAt: number;
}

/** Host-only cookies with Path and expiry handling; enough for one IdP origin. */
export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>();

  /** Stores the Set-Cookie headers of a response to `url`. */
  store(url: URL, setCookieHeaders: readonly string[]): void {
    for (const header of setCookieHeaders) {
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const cookie: StoredCookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        path: defaultPath(url.pathname),
        expiresAt: Infinity,
      };
      for (const attribute of attributes) {
        const [rawName = '', ...rawValue] = attribute.split('=');
        const name = rawName.trim().toLowerCase();
        const value = rawValue.join('=').trim();
        if (name === 'path' && value.startsWith('/')) cookie.path = value;
        if (name === 'expires') {
          const time = Date.parse(value);
          if (!Number.isNaN(time)) cookie.expiresAt = Math.min(cookie.expiresAt, time);
        }
        if (name === 'max-age' && /^-?\d+$/.test(value)) cookie.expiresAt = Date.now() + Number(value) * 1000;
      }
      const key = `${cookie.name};${cookie.path}`;
      if (cookie.expiresAt <= Date.now()) this.#cookies.delete(key);
      else this.#cookies.set(key, cookie);
    }
  }

  /** The Cookie header for a request to `url`, longest paths first (RFC 6265 §5.4). */
  header(url: URL): string | undefined {
    const now = Date.now();
    const matching = [...this.#cookies.values()]
      .filter((cookie) => cookie.expiresAt > now && pathMatches(url.pathname, cookie.path))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length === 0 ? undefined : matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
  }

  get size(): number {
    return this.#cookies.size;
  }
}

function defaultPath(pathname: string): string {
  const slash = pathname.lastIndexOf('/');
  return slash <= 0 ? '/' : pathname.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}

// ---- HTML forms ---------------------------------------------------------------------------

export interface HtmlForm {
  action: string;
  method: string;
  id?: string;
  kind?: string;
  /** name/value of inputs, in document order (submit buttons excluded). */
  fields: Array<[string, string]>;
  /** Submit buttons (inside the form or pointing at it with form="id"). */
  buttons: Array<{ name?: string; value: string }>;
}

export interface HtmlPage {
  kind?: string;
  error?: string;
  forms: HtmlForm[];
}

function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_match, entity: string) => {
    const lower = entity.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[lower] ?? '';
  });
}

function attributesOf(tag: string): Map<string, string> {
  const attributes = new Map<string, string>();
  const pattern = /([a-zA-Z_:][\w:.-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
  const inner = tag.replace(/^<\s*[a-zA-Z]+/, '').replace(/\/?>$/, '');
  for (const match of inner.matchAll(pattern)) {
    const name = (match[1] ?? '').toLowerCase();
    attributes.set(name, decodeEntities(match[2] ?? match[3] ?? match[4] ?? ''));
  }
  return attributes;
}

/** Reads the forms, page kind and error text of an HTML page (the IdP's and oidc-provider's). */
export function parseHtmlPage(html: string): HtmlPage {
  const kind = /data-idp-page="([^"]*)"/.exec(html)?.[1];
  const errorMatch = /<p class="error"[^>]*>([\s\S]*?)<\/p>/.exec(html);
  const forms: HtmlForm[] = [];
  for (const match of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const openTag = /^<form\b[^>]*>/i.exec(match[0])?.[0] ?? '<form>';
    const attributes = attributesOf(openTag);
    const form: HtmlForm = {
      action: attributes.get('action') ?? '',
      method: (attributes.get('method') ?? 'get').toUpperCase(),
      fields: [],
      buttons: [],
    };
    const id = attributes.get('id');
    if (id !== undefined) form.id = id;
    const formKind = attributes.get('data-idp-form');
    if (formKind !== undefined) form.kind = formKind;
    for (const tag of (match[1] ?? '').matchAll(/<(input|button)\b[^>]*>/gi)) {
      const element = attributesOf(tag[0]);
      const type = (element.get('type') ?? (tag[1]?.toLowerCase() === 'button' ? 'submit' : 'text')).toLowerCase();
      const name = element.get('name');
      if (type === 'submit') {
        form.buttons.push({ ...(name === undefined ? {} : { name }), value: element.get('value') ?? '' });
      } else if (name !== undefined && type !== 'button' && type !== 'reset') {
        form.fields.push([name, element.get('value') ?? '']);
      }
    }
    forms.push(form);
  }
  for (const tag of html.matchAll(/<button\b[^>]*\bform="([^"]+)"[^>]*>/gi)) {
    const element = attributesOf(tag[0]);
    const form = forms.find((candidate) => candidate.id === tag[1]);
    const name = element.get('name');
    form?.buttons.push({ ...(name === undefined ? {} : { name }), value: element.get('value') ?? '' });
  }
  const page: HtmlPage = { forms };
  if (kind !== undefined) page.kind = kind;
  if (errorMatch !== null) page.error = decodeEntities((errorMatch[1] ?? '').replace(/<[^>]+>/g, '').trim());
  return page;
}

// ---- the browser --------------------------------------------------------------------------

export interface HeadlessOptions {
  /** The test user who signs in. */
  account: AccountName;
  /** Answer to a consent page, if one is shown: true approves (default), false declines. */
  consent?: boolean;
  /** Share cookies (the IdP session) between calls; a fresh jar is used when absent. */
  jar?: CookieJar;
  /** The fetch to use (e.g. undici's with an Agent trusting the IdP's https certificate). */
  fetch?: typeof fetch;
}

interface Step {
  url: URL;
  response: Response;
}

export class HeadlessLoginError extends Error {
  constructor(message: string, readonly url: string, readonly status?: number) {
    super(message);
    this.name = 'HeadlessLoginError';
  }
}

class Browser {
  readonly #jar: CookieJar;
  readonly #origin: string;
  readonly #fetch: typeof fetch;

  constructor(origin: string, options: HeadlessOptions) {
    this.#jar = options.jar ?? new CookieJar();
    this.#origin = origin;
    this.#fetch = options.fetch ?? fetch;
  }

  isInside(url: URL): boolean {
    return url.origin === this.#origin;
  }

  async request(url: URL, init: { method: string; body?: URLSearchParams }): Promise<Step> {
    const headers: Record<string, string> = {
      accept: 'text/html,application/xhtml+xml',
      'user-agent': 'test-idp-headless-login',
    };
    const cookie = this.#jar.header(url);
    if (cookie !== undefined) headers.cookie = cookie;
    const response = await this.#fetch(url, {
      method: init.method,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    this.#jar.store(url, response.headers.getSetCookie());
    return { url, response };
  }
}

function formData(form: HtmlForm, values: Record<string, string>, button?: { name?: string; value: string }): URLSearchParams {
  const body = new URLSearchParams();
  const overridden = new Set(Object.keys(values));
  for (const [name, value] of form.fields) {
    if (!overridden.has(name)) body.append(name, value);
  }
  for (const [name, value] of Object.entries(values)) body.append(name, value);
  if (button?.name !== undefined) body.append(button.name, button.value);
  return body;
}

type PageHandler = (page: HtmlPage, step: Step) => { form: HtmlForm; values: Record<string, string>; button?: { name?: string; value: string } } | 'done';

/**
 * Drives the IdP from `start` until `stopAt` says so: follows redirects inside the IdP, submits
 * the forms `onPage` picks, and returns the first redirect target outside the IdP (not visited).
 */
async function drive(browser: Browser, start: Step, onPage: PageHandler): Promise<URL | undefined> {
  let step = start;
  for (let count = 0; count < MAX_STEPS; count += 1) {
    const { response, url } = step;
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get('location');
      if (location === null) throw new HeadlessLoginError('redirect without a Location', url.href, response.status);
      const next = new URL(location, url);
      if (!browser.isInside(next)) return next;
      step = await browser.request(next, { method: 'GET' });
      continue;
    }
    const contentType = response.headers.get('content-type') ?? '';
    const text = await response.text();
    if (!contentType.includes('text/html')) {
      throw new HeadlessLoginError(`unexpected ${response.status} ${contentType} response: ${text.slice(0, 300)}`, url.href, response.status);
    }
    const page = parseHtmlPage(text);
    if (page.kind === 'error' || (response.status >= 400 && page.kind === undefined)) {
      throw new HeadlessLoginError(`the IdP showed an error page (${response.status}): ${page.error ?? text.slice(0, 300)}`, url.href, response.status);
    }
    const choice = onPage(page, step);
    if (choice === 'done') return undefined;
    const target = new URL(choice.form.action || url.href, url);
    if (!browser.isInside(target)) {
      throw new HeadlessLoginError(`a form posts outside the IdP (${target.origin}); form_post responses are not supported`, url.href);
    }
    step = await browser.request(target, {
      method: choice.form.method,
      body: formData(choice.form, choice.values, choice.button),
    });
  }
  throw new HeadlessLoginError(`no end after ${MAX_STEPS} steps`, step.url.href);
}

function loginAndConsent(options: HeadlessOptions, extra?: PageHandler): PageHandler {
  const account = ACCOUNTS[options.account];
  let loginAttempts = 0;
  return (page, step) => {
    const login = page.forms.find((form) => form.kind === 'login');
    if (login !== undefined) {
      loginAttempts += 1;
      if (loginAttempts > 1) {
        throw new HeadlessLoginError(`sign-in as ${account.username} was refused: ${page.error ?? 'login page shown again'}`, step.url.href);
      }
      return {
        form: login,
        values: { username: account.username, password: account.password },
        button: { name: 'action', value: 'sign-in' },
      };
    }
    const consent = page.forms.find((form) => form.kind === 'consent');
    if (consent !== undefined) {
      return { form: consent, values: {}, button: { name: 'decision', value: options.consent === false ? 'deny' : 'approve' } };
    }
    if (extra !== undefined) return extra(page, step);
    // oidc-provider's own auto-submitting pages (form_post to itself).
    const [only] = page.forms;
    if (page.forms.length === 1 && only !== undefined) return { form: only, values: {} };
    throw new HeadlessLoginError(`unexpected page ${page.kind ?? '(unknown)'} with ${page.forms.length} forms`, step.url.href);
  };
}

/**
 * Acts as the user's browser for an authorization request: GET `authorizationUrl`, sign in as
 * `options.account`, answer the consent page, and return the redirect to the client's
 * redirect_uri (with `code` and `state`, or `error`) without requesting it.
 */
export async function completeAuthorization(authorizationUrl: string, options: HeadlessOptions): Promise<URL> {
  const start = new URL(authorizationUrl);
  const browser = new Browser(start.origin, options);
  const first = await browser.request(start, { method: 'GET' });
  const result = await drive(browser, first, loginAndConsent(options));
  if (result === undefined) throw new HeadlessLoginError('the authorization ended without a redirect to the client', start.href);
  return result;
}

export interface DeviceAuthorizationOptions extends HeadlessOptions {
  /** Press "Abort" on the confirmation page instead of continuing (the client then gets access_denied). */
  abort?: boolean;
}

/**
 * Acts as the user on the device verification page: open `verificationUri` with the user code,
 * confirm, sign in, consent, and stop at the success page. `verificationUri` is the
 * device authorization response's `verification_uri`, or the generic face's issuer
 * (`idp.urls.oidcIssuer`: `<origin>/oidc`, or `<origin>` / `<origin>/` with `oidcPath`), whose
 * `/device` page is then used.
 */
export async function completeDeviceAuthorization(
  verificationUri: string,
  userCode: string,
  accountOrOptions: AccountName | DeviceAuthorizationOptions,
): Promise<void> {
  const options: DeviceAuthorizationOptions = typeof accountOrOptions === 'string' ? { account: accountOrOptions } : accountOrOptions;
  const base = new URL(verificationUri);
  // An issuer, not a page: its device page. A root issuer's is `/device` (an IdP started with
  // `oidcPath: ''` or `'/'` has no `/oidc/device`).
  if (base.pathname === '/' || base.pathname === '') base.pathname = '/device';
  else if (base.pathname === '/oidc' || base.pathname === '/oidc/') base.pathname = '/oidc/device';
  base.searchParams.set('user_code', userCode);
  const browser = new Browser(base.origin, options);
  const first = await browser.request(base, { method: 'GET' });
  let succeeded = false;
  let aborted = false;
  const devicePages: PageHandler = (page, step) => {
    if (page.kind === 'device-success') {
      succeeded = true;
      return 'done';
    }
    if (page.kind === 'device-code') {
      // After "Abort", oidc-provider shows the code page again with "interrupted".
      if (aborted) return 'done';
      throw new HeadlessLoginError(`the user code was refused: ${page.error ?? 'code page shown again'}`, step.url.href);
    }
    const confirm = page.forms.find((form) => form.id === 'op.deviceConfirmForm');
    if (confirm !== undefined) {
      if (options.abort === true) {
        aborted = true;
        return { form: confirm, values: {}, button: { name: 'abort', value: 'yes' } };
      }
      return { form: confirm, values: {} };
    }
    const [only] = page.forms;
    if (page.forms.length === 1 && only !== undefined) return { form: only, values: {} };
    throw new HeadlessLoginError(`unexpected page ${page.kind ?? '(unknown)'}`, step.url.href);
  };
  const left = await drive(browser, first, loginAndConsent(options, devicePages));
  if (left !== undefined) throw new HeadlessLoginError(`the device flow redirected out of the IdP to ${left.origin}`, base.href);
  if (aborted) return;
  if (!succeeded) throw new HeadlessLoginError('the device flow ended without the success page', base.href);
}
