// Optional oidc-provider features for the authenticated-fetch tests (issue 15): DPoP nonces and
// dynamic client registration. Kept apart from provider.ts so that each option is one switch.
import { randomBytes } from 'node:crypto';
import type { Configuration } from 'oidc-provider';

export interface ProtocolFeatureOptions {
  /**
   * DPoP (RFC 9449). oidc-provider 9 accepts DPoP proofs by default (ES256, Ed25519, EdDSA) and
   * then issues `token_type: DPoP` tokens bound to the proof's key; `false` turns that off.
   * `requireNonce: true` makes the token endpoint demand a server nonce: a first proof without one
   * is answered `400 use_dpop_nonce` with a `DPoP-Nonce` header.
   */
  dpop?: false | { requireNonce?: boolean };
  /**
   * Dynamic client registration (RFC 7591) at `<issuer>/reg`, open (no initial access token), on
   * the generic face only: Entra has no such endpoint. Default off. With it, registration
   * management (RFC 7592): `PUT <issuer>/reg/<client_id>` with the registration access token,
   * which oidc-provider rotates on every update (its default), as a server may.
   */
  registration?: boolean;
}

type Features = NonNullable<Configuration['features']>;

/** The `features` entries these options set (`dPoP`, `registration`, `registrationManagement`); spread last over the face's own. */
export function protocolFeatures(options: ProtocolFeatureOptions, face: 'oidc' | 'entra'): Features {
  const features: Features = {};
  if (options.dpop === false) {
    features.dPoP = { enabled: false };
  } else if (options.dpop?.requireNonce === true) {
    // The secret signs the server's stateless nonces; a fresh one per start is all tests need.
    features.dPoP = { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true };
  }
  if (options.registration === true && face === 'oidc') {
    features.registration = { enabled: true, initialAccessToken: false };
    features.registrationManagement = { enabled: true, rotateRegistrationAccessToken: true };
  }
  return features;
}
