/**
 * The seam of the grant tests: a TokenClient whose requests go to a FakeFetch, so that each test
 * reads the form, headers and client authentication a grant sends, and scripts the answer.
 */
import { Authority } from '../../../../src/core/authority.js';
import { type ClientAuth, None } from '../../../../src/core/client-auth.js';
import { ClientSecretPost } from '../../../../src/core/client-credential.js';
import { HttpPipeline } from '../../../../src/core/http.js';
import { LogContext, type Logger } from '../../../../src/core/logger.js';
import { TokenClient } from '../../../../src/core/token-client.js';
import { IdTokenValidator } from '../../../../src/core/token-response.js';
import { FakeFetch, type RecordedRequest } from '../fakes.js';

export const HOST = 'https://login.microsoftonline.com';
export const TOKEN_ENDPOINT = `${HOST}/contoso/oauth2/v2.0/token`;
export const DEVICE_ENDPOINT = `${HOST}/contoso/oauth2/v2.0/devicecode`;
export const CLIENT_ID = 'client-abc';
export const SECRET = 'the-client-secret';

export function entraAuthority(metadata: { device_authorization_endpoint?: string } = { device_authorization_endpoint: DEVICE_ENDPOINT }): Authority {
  return new Authority(
    `${HOST}/contoso`,
    'AAD',
    'login.microsoftonline.com',
    'contoso',
    { issuer: `${HOST}/contoso/v2.0`, authorization_endpoint: `${HOST}/contoso/oauth2/v2.0/authorize`, token_endpoint: TOKEN_ENDPOINT, ...metadata },
    ['login.microsoftonline.com'],
  );
}

export const OIDC_TOKEN_ENDPOINT = 'https://id.example.org/oauth/token';

/** A generic OpenID Connect issuer (an `oidcAuthority`), not one of Microsoft's. */
export function oidcAuthority(): Authority {
  return new Authority(
    'https://id.example.org',
    'OIDC',
    'id.example.org',
    '',
    { issuer: 'https://id.example.org', authorization_endpoint: 'https://id.example.org/oauth/authorize', token_endpoint: OIDC_TOKEN_ENDPOINT },
    ['id.example.org'],
  );
}

/** A client with a secret (confidential) unless `clientAuth` says otherwise; its log lines are kept. */
export function tokenEndpoint(clientAuth: ClientAuth = ClientSecretPost(SECRET)) {
  const fake = new FakeFetch();
  const logLines: string[] = [];
  const logger: Logger = { error: (m) => logLines.push(m), warning: (m) => logLines.push(m), info: () => {}, verbose: () => {} };
  const httpCache = new Map<string, unknown>();
  const pipeline = new HttpPipeline(fake.fetch, httpCache);
  const client = new TokenClient({ clientId: CLIENT_ID, clientAuth, pipeline, validator: new IdTokenValidator(pipeline, httpCache), log: new LogContext(logger) });
  return { fake, client, logLines, authority: entraAuthority() };
}

export const publicClient = () => tokenEndpoint(None());

/** The form fields of a recorded request. */
export function formOf(request: RecordedRequest | undefined): Record<string, string> {
  if (!request) throw new Error('no request was sent');
  return Object.fromEntries(new URLSearchParams(String(request.init.body)));
}

/** A header of a recorded request, by name in any case. */
export function headerOf(request: RecordedRequest | undefined, name: string): string | undefined {
  if (!request) throw new Error('no request was sent');
  const found = Object.entries(request.init.headers).find(([key]) => key.toLowerCase() === name.toLowerCase());
  return found?.[1];
}

/** A token response without ID token. */
export const userToken = { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt', scope: 'User.Read' };
