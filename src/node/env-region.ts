/**
 * The Azure region this process runs in, from the environment: Azure sets `REGION_NAME` in App
 * Service and Functions, and MSAL reads the same variable. Its own module so that the editor's
 * platform (src/vscode/platform.ts) takes it without the undici client of src/node/platform.ts.
 */
export function regionFromEnvironment(): string | undefined {
  return process.env.REGION_NAME?.replace(/\s+/g, '').toLowerCase() || undefined;
}
