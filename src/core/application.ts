/**
 * Where the applications were imported from before each got its own file (client-application.ts,
 * public-client-application.ts, confidential-client-application.ts). Kept for src/vscode until it
 * imports the core through index.ts only (issue 16); nothing new should import this file.
 */
export { PublicClientApplication } from './public-client-application.js';
