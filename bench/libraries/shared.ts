/** Helpers both library modules use; they import neither library. */

/** The cache JSON with every access token's expiry moved into the past. */
export function expireAll(json: string): string {
  const cache = JSON.parse(json) as { AccessToken?: Record<string, Record<string, unknown>> };
  const past = String(Math.floor(Date.now() / 1000) - 60);
  for (const entry of Object.values(cache.AccessToken ?? {})) {
    entry['expires_on'] = past;
    entry['extended_expires_on'] = past;
  }
  return JSON.stringify(cache);
}

/** How many of `n` concurrent calls gave a token, and the error codes of the others. */
export function summarize(outcomes: PromiseSettledResult<unknown>[]): { succeeded: number; failed: string[] } {
  const failed: string[] = [];
  let succeeded = 0;
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled' && outcome.value) succeeded++;
    else if (outcome.status === 'fulfilled') failed.push('no token');
    else {
      const err = outcome.reason as { error?: string; errorCode?: string; code?: string; message?: string };
      failed.push(err.error ?? err.errorCode ?? err.code ?? err.message ?? 'error');
    }
  }
  return { succeeded, failed };
}
