/**
 * The local identity provider's pages in a real browser tab: the login form and the consent
 * page (test/idp/pages.ts marks each page with `data-idp-page`).
 */
import type { Page } from 'playwright-core';
import { ACCOUNTS, type AccountName } from '../../idp/server.js';
import { STEP_MS } from './workbench.js';

/** Waits for the login page in `tab`. */
export async function waitForLoginPage(tab: Page): Promise<void> {
  await tab.locator('main[data-idp-page="login"]').waitFor({ state: 'visible', timeout: STEP_MS });
}

/**
 * Signs in as `account` on the login page shown in `tab`, approves the consent page when the
 * IdP shows one, and resolves once the tab has left the IdP (`idpOrigin`): the redirect to the
 * client. Returns whether a consent page was shown.
 */
export async function signInOnLoginPage(tab: Page, account: AccountName, idpOrigin: string): Promise<{ consentShown: boolean }> {
  const { username, password } = ACCOUNTS[account];
  await waitForLoginPage(tab);
  await tab.locator('#username').fill(username);
  await tab.locator('#password').fill(password);
  await tab.locator('button[name="action"][value="sign-in"]').click();
  const leftIdp = () => !tab.url().startsWith(idpOrigin);
  const consent = tab.locator('main[data-idp-page="consent"]');
  const error = tab.locator('main[data-idp-page="error"], main[data-idp-page="login"] .error');
  // The next page: consent, an error, or already the redirect back to the client.
  const next = await Promise.race([
    consent.waitFor({ state: 'visible', timeout: STEP_MS }).then(() => 'consent' as const),
    error.first().waitFor({ state: 'visible', timeout: STEP_MS }).then(() => 'error' as const),
    tab.waitForURL((url) => !url.href.startsWith(idpOrigin), { timeout: STEP_MS }).then(() => 'left' as const),
  ]);
  if (next === 'error') throw new Error(`the IdP refused the sign-in: ${await error.first().innerText()}`);
  if (next === 'consent') {
    await tab.locator('button[name="decision"][value="approve"]').click();
    if (!leftIdp()) await tab.waitForURL((url) => !url.href.startsWith(idpOrigin), { timeout: STEP_MS });
  }
  return { consentShown: next === 'consent' };
}
