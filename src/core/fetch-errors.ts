/**
 * Errors of the pieces behind the authenticated fetch (protected resource metadata, DPoP) that no
 * code of {@link AuthErrorCode} names precisely. They are {@link AuthError}s with the nearest
 * existing `code`, so every `switch (err.code)` written today still covers them, and a `reason`
 * that says exactly what happened.
 *
 * Phase 2 of issue 15 adds each reason to `AuthErrorCode` (errors.ts) and makes it the `code`;
 * until then `reason` is the discriminant to narrow on.
 */
import { AuthError, type AuthErrorCode } from './errors.js';

/** What went wrong, beyond the base code. */
export type FetchErrorReason =
  /**
   * Protected resource metadata (RFC 9728) names a `resource` other than the URL the request went
   * to: a resource could otherwise send the client, and its tokens, to any issuer it likes.
   */
  | 'resource_mismatch'
  /** The server answered `use_dpop_nonce` again after a retry with the nonce it had just given. */
  | 'dpop_nonce_loop';

/** The code each reason carries until it becomes a code of its own. */
const BASE_CODE: Readonly<Record<FetchErrorReason, AuthErrorCode>> = {
  resource_mismatch: 'discovery_failed',
  dpop_nonce_loop: 'invalid_response',
};

/** An {@link AuthError} with a precise {@link FetchErrorReason}. */
export class FetchError extends AuthError {
  override readonly name: string = 'FetchError';
  readonly reason: FetchErrorReason;

  constructor(reason: FetchErrorReason, message: string, options?: { cause?: unknown }) {
    super(BASE_CODE[reason], message, options);
    this.reason = reason;
  }
}
