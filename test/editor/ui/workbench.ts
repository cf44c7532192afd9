/**
 * Driving the VS Code workbench in a browser page the way a user does: the command palette,
 * quick picks, dialogs, notification toasts and the Accounts menu. Every wait is bounded; nothing
 * sleeps for a fixed time. Selectors are the ones /work/shared/EDITOR-TESTING.md found to hold.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { type EditorBrowser, launchBrowser, type LaunchBrowserOptions } from '../harness.js';

/** Bound of one UI step (a dialog to appear, a toast to show). */
export const STEP_MS = 20_000;

export const selectors = {
  workbench: '.monaco-workbench',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  quickInputRow: '.quick-input-widget .quick-input-list .monaco-list-row',
  dialog: '.monaco-dialog-box',
  toasts: '.notifications-toasts',
  accounts: '.part.activitybar li.action-item[aria-label^="Accounts"]',
  contextMenu: '.context-view .monaco-menu',
  contextMenuItem: '.context-view .monaco-menu .action-item',
  submenuItem: '.context-view .monaco-submenu .action-item',
} as const;

/** Resolves when `check` returns a value other than undefined; rejects after `timeoutMs`. */
export async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = STEP_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((ok) => setTimeout(ok, delay));
  }
}

/** Rejects when `promise` has not settled within `timeoutMs` (for steps without a timeout of their own). */
export async function bounded<T>(what: string, promise: Promise<T>, timeoutMs = STEP_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes a tab the editor opened and brings the workbench back to the front: a background tab
 * gets no animation frames and no focus (the clipboard refuses an unfocused document).
 */
export async function closeTab(tab: Page, workbench: Page): Promise<void> {
  await bounded('closing a tab', tab.close({ runBeforeUnload: false }));
  await bounded('bringing the workbench to the front', workbench.bringToFront());
}

/** Opens the workbench at `url` and waits until it is drawn. */
export async function openWorkbench(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.locator(selectors.workbench).waitFor({ state: 'visible', timeout: 60_000 });
}

/** Opens the command palette with F1; early key presses can be lost, so it retries. */
export async function openCommandPalette(page: Page): Promise<Locator> {
  const input = page.locator(selectors.quickInputBox);
  for (let attempt = 1; ; attempt++) {
    await page.locator(selectors.workbench).focus().catch(() => undefined);
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 2_000 });
      return input;
    } catch (error) {
      if (attempt >= 8) throw error;
    }
  }
}

/** The quick-input row whose label is exactly `label` (rows' aria-labels add descriptions). */
function rowLabelled(page: Page, label: string): Locator {
  return page
    .locator(selectors.quickInputRow)
    .filter({ has: page.locator('.monaco-icon-label .label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Runs a command from the palette: F1, type its title, Enter. Enter runs the focused row, so the
 * row with exactly this title must be the focused one first (recently used commands come first
 * and can push a longer title that shares the prefix above it); otherwise it is clicked.
 */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = await openCommandPalette(page);
  await input.fill(`>${title}`);
  const row = rowLabelled(page, title).first();
  await row.waitFor({ state: 'visible', timeout: STEP_MS });
  const focused = page.locator(`${selectors.quickInputRow}.focused .monaco-icon-label .label-name`).first();
  const focusedLabel = await focused.textContent({ timeout: 5_000 }).catch(() => null);
  if (focusedLabel?.trim() === title) await input.press('Enter');
  else await row.click();
  // The palette closes; a command may open a quick pick of its own in the same widget at once.
  await poll(`the palette to run "${title}"`, async () => {
    const open = await page.locator(selectors.quickInput).isVisible();
    return !open || !(await input.inputValue()).startsWith('>') ? true : undefined;
  });
}

/**
 * Waits for a quick pick (not the palette) showing `label`, returns its rows' labels, picks it.
 * `beforePick` runs while the pick is shown (a screenshot).
 */
export async function pickQuickItem(page: Page, label: string, beforePick?: () => Promise<void>): Promise<string[]> {
  const row = rowLabelled(page, label).first();
  await row.waitFor({ state: 'visible', timeout: STEP_MS });
  await beforePick?.();
  const labels = await page.locator(`${selectors.quickInputRow} .monaco-icon-label .label-name`).allTextContents();
  await row.click();
  await page.locator(selectors.quickInput).waitFor({ state: 'hidden', timeout: STEP_MS });
  return labels.map((text) => text.trim());
}

/** The dialog box containing `text`, once visible. */
export async function waitForDialog(page: Page, text: string | RegExp): Promise<Locator> {
  const dialog = page.locator(selectors.dialog).filter({ hasText: text }).first();
  await dialog.waitFor({ state: 'visible', timeout: STEP_MS });
  return dialog;
}

/** Clicks a dialog's button and waits for that dialog to close. */
export async function clickDialogButton(dialog: Locator, name: string): Promise<void> {
  await dialog.getByRole('button', { name, exact: true }).click();
  await dialog.waitFor({ state: 'hidden', timeout: STEP_MS });
}

/**
 * What the extension's device-code dialog shows: its text, the user code ("Your code: …") and the
 * verification URI ("open <uri> and enter the code"); a part the text lacks is undefined.
 */
export async function readDeviceCodeDialog(dialog: Locator): Promise<{ text: string; userCode?: string; verificationUri?: string }> {
  const text = await dialog.innerText();
  return {
    text,
    userCode: /Your code:\s*(\S+)/.exec(text)?.[1],
    verificationUri: /open\s+(\S+)\s+and enter the code/.exec(text)?.[1],
  };
}

/** The notification toast containing `text`, once visible. */
export async function waitForToast(page: Page, text: string | RegExp, timeoutMs = STEP_MS): Promise<Locator> {
  const toast = page.locator(`${selectors.toasts} .notification-toast`).filter({ hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  return toast;
}

/** Closes every toast currently shown, so the next screenshot and text checks start clean. */
export async function clearToasts(page: Page): Promise<void> {
  // Only toasts on screen: one that hides by itself stays in the DOM for a moment, and never
  // becomes "stable" for Playwright while it slides out.
  const toasts = page.locator(`${selectors.toasts} .notification-toast`).filter({ visible: true });
  for (let left = await toasts.count(); left > 0; left = await toasts.count()) {
    const outcome = await poll('a toast to close', async () => {
      if ((await toasts.count()) < left) return 'closed';
      const first = toasts.first();
      const close = first.locator('.codicon-notifications-clear');
      try {
        await first.hover({ timeout: 1_000 });
        if ((await close.count()) === 0) return 'no clear button';
        await close.first().click({ timeout: 1_000 });
      } catch {
        // Sliding in or out: look again.
      }
      return (await toasts.count()) < left ? 'closed' : undefined;
    }, 10_000);
    if (outcome !== 'closed') break;
  }
}

/**
 * Runs `action`, which makes the editor open a URL outside itself (env.openExternal): the
 * editor first asks whether to open the external website, `Open` is clicked, and the new tab is
 * returned once it has loaded. The editor trusts localhost and 127.0.0.1 and does not ask for
 * those: pass `asks: false` when the URL is one of them.
 */
export async function openExternalPage(page: Page, context: BrowserContext, action: () => Promise<void>, options: { asks?: boolean } = {}): Promise<Page> {
  const opened = context.waitForEvent('page', { timeout: 2 * STEP_MS });
  opened.catch(() => undefined);
  await action();
  if (options.asks !== false) {
    const ask = await waitForDialog(page, /open the external website/i);
    await clickDialogButton(ask, 'Open');
  }
  const tab = await opened;
  await tab.waitForLoadState('domcontentloaded', { timeout: STEP_MS });
  return tab;
}

/** Opens the Accounts menu; returns the labels of its entries. */
export async function openAccountsMenu(page: Page): Promise<string[]> {
  await page.locator(selectors.accounts).click();
  await page.locator(selectors.contextMenu).first().waitFor({ state: 'visible', timeout: STEP_MS });
  // Accounts are listed once the providers answered: wait until the menu stops growing.
  let last = -1;
  return poll('the Accounts menu to settle', async () => {
    const labels = (await page.locator(`${selectors.contextMenuItem} .action-label`).allTextContents()).map((text) => text.trim()).filter(Boolean);
    if (labels.length === last) return labels;
    last = labels.length;
    return undefined;
  });
}

export async function closeMenus(page: Page): Promise<void> {
  const menu = page.locator(selectors.contextMenu).first();
  if (await menu.isVisible()) {
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden', timeout: STEP_MS }).catch(() => page.keyboard.press('Escape'));
  }
}

/** Saves a screenshot of the page, creating the folder. */
export async function screenshot(page: Page, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await page.screenshot({ path, animations: 'disabled', timeout: STEP_MS });
}

/**
 * Puts the workbench back to rest after a failed step, so one failure does not block the next
 * test: closes every dialog (Escape, then its last button), menus and the quick input, and every
 * tab but the workbench.
 */
export async function resetWorkbench(page: Page, context: BrowserContext): Promise<void> {
  for (const tab of context.pages()) if (tab !== page) await closeTab(tab, page).catch(() => undefined);
  const dialogs = page.locator(selectors.dialog);
  for (let attempt = 0; attempt < 5 && (await dialogs.count()) > 0; attempt++) {
    await page.keyboard.press('Escape');
    await dialogs.first().waitFor({ state: 'detached', timeout: 2_000 }).catch(async () => {
      await dialogs.first().locator('.dialog-buttons a.monaco-button, .dialog-buttons button').last().click({ timeout: 2_000 }).catch(() => undefined);
    });
  }
  await closeMenus(page).catch(() => undefined);
  if (await page.locator(selectors.quickInput).isVisible()) await page.keyboard.press('Escape');
  await clearToasts(page).catch(() => undefined);
}

/**
 * Runs `actionLabel` of the Accounts menu entry containing `account`: hovers the entry, which
 * opens its submenu, and clicks the action there. Returns the dialog the action opens. A click
 * right after the submenu appears can be swallowed, so the hover and click are tried again
 * (bounded) until the dialog appears.
 */
export async function runAccountAction(page: Page, account: string, actionLabel: string, dialogText: string | RegExp): Promise<Locator> {
  const dialog = page.locator(selectors.dialog).filter({ hasText: dialogText }).first();
  for (let attempt = 1; ; attempt++) {
    if (!(await page.locator(selectors.contextMenu).first().isVisible())) await openAccountsMenu(page);
    await page.locator(selectors.contextMenuItem).filter({ hasText: account }).first().hover();
    const action = page.locator(selectors.submenuItem).filter({ hasText: new RegExp(`^\\s*${escapeRegExp(actionLabel)}\\s*$`) }).first();
    await action.waitFor({ state: 'visible', timeout: STEP_MS });
    await action.click();
    try {
      await dialog.waitFor({ state: 'visible', timeout: 3_000 });
      return dialog;
    } catch (error) {
      if (attempt >= 4) throw error;
      console.log(`Accounts menu: "${actionLabel}" of ${account} opened no dialog; hovering and clicking again`);
    }
  }
}

/**
 * Signs `account` out from the Accounts menu: its "Sign Out" action, confirmed in the dialog that
 * shows `dialogText`. The account can linger in the menu for a moment, so the menu is reopened
 * until no entry `listed` holds; returns the menu's labels then, the menu closed.
 */
export async function signOutFromAccountsMenu(page: Page, account: string, dialogText: string | RegExp, listed: (label: string) => boolean): Promise<string[]> {
  const confirm = await runAccountAction(page, account, 'Sign Out', dialogText);
  console.log(`sign-out dialog: ${(await confirm.innerText()).replace(/\s+/g, ' ')}`);
  await clickDialogButton(confirm, 'Sign Out');
  const after = await poll(`${account} to leave the Accounts menu`, async () => {
    await closeMenus(page);
    const now = await openAccountsMenu(page);
    return now.some(listed) ? undefined : now;
  }, 30_000);
  await closeMenus(page);
  return after;
}

/**
 * A browser on the editor at `serverUrl` with `folder` open, its clipboard usable ("Copy & Open"
 * of the device-code dialog writes the user code there) and the workbench's console errors
 * collected into `consoleErrors` for failure reports. `launch` adds to how the browser starts.
 */
export async function openEditorWorkbench(
  serverUrl: string,
  folder: string,
  consoleErrors: string[],
  launch: LaunchBrowserOptions = {},
): Promise<{ browser: EditorBrowser; workbench: Page }> {
  const browser = await launchBrowser(launch);
  try {
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(serverUrl).origin });
    const workbench = browser.context.pages()[0] ?? (await browser.context.newPage());
    workbench.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text().slice(0, 500));
    });
    const url = new URL(serverUrl);
    url.searchParams.set('folder', folder);
    await openWorkbench(workbench, url.href);
    return { browser, workbench };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** What a failing UI test reports beside its error. */
export interface FailureContext {
  workbench?: Page;
  browser?: EditorBrowser;
  /** The identity provider's request log (method, url, status). */
  requests: readonly { method: string; url: string; status?: number }[];
  consoleErrors: readonly string[];
}

/**
 * Wraps test bodies so that a failure keeps a screenshot in `folder` (named `<prefix><name>.png`),
 * resets the workbench for the next test, and reports the open tabs, the identity provider's last
 * requests and the workbench's console errors with the error.
 */
export function diagnosedBy(folder: string, prefix: string, context: () => FailureContext) {
  return (name: string, body: () => Promise<void>) => async () => {
    try {
      await body();
    } catch (error) {
      const { workbench, browser, requests, consoleErrors } = context();
      const shot = join(folder, `${prefix}${name}.png`);
      await mkdir(folder, { recursive: true });
      await workbench?.screenshot({ path: shot, timeout: 10_000 }).catch(() => undefined);
      const pages = browser?.context.pages().map((p) => p.url()).join('\n  ') ?? '';
      if (workbench && browser) await resetWorkbench(workbench, browser.context).catch(() => undefined);
      throw new Error(
        `${(error as Error).message}\n(screenshot: ${shot})\nopen tabs:\n  ${pages}\nIdP requests:\n  ${requests.slice(-15).map((r) => `${r.method} ${r.url} ${r.status ?? ''}`).join('\n  ')}\nworkbench errors:\n  ${consoleErrors.slice(-15).join('\n  ')}`,
        { cause: error },
      );
    }
  };
}
