/**
 * Opens a URL in the user's default browser with the platform's own opener. The URL is passed
 * as one argument (no shell), so nothing in it is interpreted.
 */
import { spawn } from 'node:child_process';
import { AuthError } from '../core/index.js';

function openerFor(platform: NodeJS.Platform): { command: string; args: (url: string) => string[] } {
  if (platform === 'darwin') return { command: 'open', args: (url) => [url] };
  // rundll32 takes the URL verbatim; `start` would need a shell and re-parse `&`.
  if (platform === 'win32') return { command: 'rundll32', args: (url) => ['url.dll,FileProtocolHandler', url] };
  return { command: 'xdg-open', args: (url) => [url] };
}

/** Starts the platform's opener for `url`; rejects with `not_supported` when there is none. */
export function openBrowser(url: string): Promise<void> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return Promise.reject(new AuthError('invalid_argument', 'only http and https URLs are opened in the browser'));
  }
  const opener = openerFor(process.platform);
  return new Promise((resolve, reject) => {
    const child = spawn(opener.command, opener.args(url), { stdio: 'ignore', detached: true });
    child.once('error', (err) => reject(new AuthError('not_supported', `no browser could be opened (${opener.command}); open the sign-in URL yourself`, { cause: err })));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
