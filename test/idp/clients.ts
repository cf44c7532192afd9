// The registered clients. Tests import the ids and secrets from here.
import type { ClientMetadata } from 'oidc-provider';
import type { JWK } from 'jose';
import { DEMO_API } from './resources.js';

export const PUBLIC_CLIENT_ID = 'public-client';
/**
 * A second public client, registered like `public-client` (native, PKCE, loopback redirects with
 * any port, refresh tokens). With the `familyClients` option the two form a "family of client IDs"
 * on the Entra face (family refresh tokens, see entra-layer.ts).
 */
export const FAMILY_CLIENT_B_ID = 'family-client-b';
export const CONFIDENTIAL_SECRET_CLIENT_ID = 'confidential-secret';
export const CONFIDENTIAL_CLIENT_SECRET = 'confidential-secret-3f9a7c1e5b2d4086';
export const CONFIDENTIAL_CERT_CLIENT_ID = 'confidential-cert';

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Redirect URIs of the public client. It is a native client, so for the http loopback ones any
 * port is accepted (RFC 8252 §7.3): `http://127.0.0.1:54321/callback` matches the first.
 */
export const PUBLIC_CLIENT_REDIRECT_URIS = [
  'http://127.0.0.1/callback',
  'http://127.0.0.1/',
  'http://localhost',
  'http://localhost/',
  'https://editor.example/callback',
] as const;

/** Redirect URIs of the confidential (web) clients: exact match, ports included. */
export const CONFIDENTIAL_CLIENT_REDIRECT_URIS = [
  'https://app.example/callback',
  'http://127.0.0.1/callback',
] as const;

/** Resources whose access tokens a client may exchange on behalf of the user (OBO `assertion` aud). */
export const OBO_ACCEPTED_AUDIENCES: Readonly<Record<string, readonly string[]>> = {
  [CONFIDENTIAL_SECRET_CLIENT_ID]: [DEMO_API],
  [CONFIDENTIAL_CERT_CLIENT_ID]: [DEMO_API],
};

export function buildClients(certificateJwk: JWK): ClientMetadata[] {
  return [
    {
      client_id: PUBLIC_CLIENT_ID,
      client_name: 'Public test client',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: [...PUBLIC_CLIENT_REDIRECT_URIS],
      post_logout_redirect_uris: [...PUBLIC_CLIENT_REDIRECT_URIS],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT_TYPE, 'password'],
    },
    {
      client_id: FAMILY_CLIENT_B_ID,
      client_name: 'Second public test client (family)',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/', 'http://localhost', 'http://localhost/'],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
    },
    {
      client_id: CONFIDENTIAL_SECRET_CLIENT_ID,
      client_name: 'Confidential test client (secret)',
      client_secret: CONFIDENTIAL_CLIENT_SECRET,
      application_type: 'web',
      // client_secret_basic is accepted as well: oidc-provider treats the two as one family.
      token_endpoint_auth_method: 'client_secret_post',
      redirect_uris: [...CONFIDENTIAL_CLIENT_REDIRECT_URIS],
      response_types: ['code'],
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token', JWT_BEARER_GRANT_TYPE],
    },
    {
      client_id: CONFIDENTIAL_CERT_CLIENT_ID,
      client_name: 'Confidential test client (certificate)',
      application_type: 'web',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [certificateJwk as Record<string, unknown>] },
      redirect_uris: [...CONFIDENTIAL_CLIENT_REDIRECT_URIS],
      response_types: ['code'],
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token', JWT_BEARER_GRANT_TYPE],
    },
  ];
}
