/**
 * What the extension-host tests know about their surroundings: the identity provider the harness
 * started (passed through the environment), the sign-in extension's API, and a scripted user who
 * signs in at the identity provider instead of a person.
 */
import * as vscode from 'vscode';
import type { ExtensionExports } from '../../../src/extension.js';
import type { DeviceFlow } from '../../../src/core/grants/device-code.js';
import { completeAuthorization, completeDeviceAuthorization, CookieJar } from '../../idp/headless-login.js';
import type { AccountName } from '../../idp/accounts.js';

export const EXTENSION_ID = 'msal-tools.msal-signin';

export interface TestEnvironment {
  idpOrigin: string;
  oidcIssuer: string;
  entraAuthority: string;
  /** Phase of a multi-run scenario (before and after a restart, two windows), set by the harness. */
  phase?: string;
  /** Barrier server of a scenario with several windows (test/editor/barrier-server.ts). */
  coordinator?: string;
}

export function testEnvironment(): TestEnvironment {
  const raw = process.env.MSAL_TEST_ENV;
  if (!raw) throw new Error('MSAL_TEST_ENV is not set: run these tests through test/editor/sign-in.test.ts');
  return JSON.parse(raw) as TestEnvironment;
}

export async function signInApi(): Promise<Required<Pick<ExtensionExports, 'testing'>> & ExtensionExports> {
  const extension = vscode.extensions.getExtension<ExtensionExports>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed`);
  const api = await extension.activate();
  if (!api.testing) throw new Error('the extension was started without MSAL_SIGNIN_TEST_HOOKS=1');
  return api as Required<Pick<ExtensionExports, 'testing'>> & ExtensionExports;
}

/** What the scripted user saw: URLs opened, device codes shown. */
export interface ScriptedUser {
  opened: string[];
  deviceCodes: DeviceFlow[];
  /** The account the user signs in with next. */
  account: AccountName;
}

/**
 * A user who signs in with a cookie jar instead of a browser. A redirect back to the editor goes
 * through the real browser (openExternal of the editor's callback URL), so the editor's own URI
 * handling delivers it; a loopback redirect is requested directly, as the browser would.
 */
export function scriptedUser(api: Awaited<ReturnType<typeof signInApi>>, account: AccountName = 'alice'): ScriptedUser {
  const user: ScriptedUser = { opened: [], deviceCodes: [], account };
  const jar = new CookieJar();
  api.testing.setUi({
    async openUri(url) {
      user.opened.push(url);
      const redirect = await completeAuthorization(url, { account: user.account, jar });
      if (redirect.searchParams.has('vscode-scheme')) {
        return vscode.env.openExternal(vscode.Uri.parse(redirect.href, true));
      }
      const response = await fetch(redirect, { redirect: 'manual' });
      await response.text();
      return true;
    },
    async showDeviceCode(flow) {
      user.deviceCodes.push(flow);
      await completeDeviceAuthorization(flow.verificationUri, flow.userCode, user.account);
      return true;
    },
  });
  return user;
}

/** Requests the identity provider served, from its test route. */
export async function idpRequests(env: TestEnvironment): Promise<{ method: string; path: string }[]> {
  const response = await fetch(`${env.idpOrigin}/__test/requests`);
  return (await response.json()) as { method: string; path: string }[];
}

export async function tokenRequestCount(env: TestEnvironment): Promise<number> {
  return (await idpRequests(env)).filter((entry) => entry.method === 'POST' && entry.path.endsWith('/token')).length;
}

/** The identity provider's view of an access token (active, sub, aud, …). */
export async function introspect(env: TestEnvironment, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${env.idpOrigin}/__test/introspect`, { method: 'POST', body: new URLSearchParams({ token }) });
  return (await response.json()) as Record<string, unknown>;
}

/** Resolves with the next onDidChangeSessions of `providerId`, or rejects after `timeoutMs`. */
export function nextSessionChange(providerId: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`no session change of ${providerId} within ${timeoutMs} ms`));
    }, timeoutMs);
    const subscription = vscode.authentication.onDidChangeSessions((event) => {
      if (event.provider.id !== providerId) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve();
    });
  });
}
