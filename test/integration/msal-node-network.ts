/**
 * msal-node's network module on top of our undici client, so msal-node trusts the certificate made
 * for the run (msal-node talks https only, and its own client knows nothing of that certificate).
 * Shared by the integration tests that run msal-node against the test IdP.
 */
import type * as msal from '@azure/msal-node';
import type { NodeHttpClient } from '../../src/node/http-client.js';

export interface MsalNetworkClientOptions {
  /** Called with the body of each POST (token request) before it is sent. */
  onPost?: (body: string | undefined) => void;
  /** Token requests fail inside the process instead of being sent (a probe that must not touch the grant). */
  offline?: boolean;
}

export function msalNetworkClient(http: NodeHttpClient, options: MsalNetworkClientOptions = {}): msal.INetworkModule {
  const send = async (method: 'GET' | 'POST', url: string, request?: { headers?: Record<string, string>; body?: string }) => {
    if (method === 'POST' && options.offline) throw new Error('probe: token requests stay in the process');
    if (method === 'POST') options.onPost?.(request?.body);
    const response = await http(url, { method, headers: request?.headers ?? {}, body: request?.body });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const text = await response.text();
    return { headers, body: text ? JSON.parse(text) : {}, status: response.status };
  };
  return {
    sendGetRequestAsync: (url, request) => send('GET', url, request) as never,
    sendPostRequestAsync: (url, request) => send('POST', url, request) as never,
  };
}
