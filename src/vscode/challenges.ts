/**
 * A consumer's challenge request (`authentication.getSession(id, { wwwAuthenticate,
 * fallbackScopes })`, stable since VS Code 1.105) reaches a provider as challenges the workbench
 * split with its own lenient parser. They are written back as one header and read with the core's
 * RFC 9110 parser, so that a header means the same here as through the exported API: the Bearer
 * challenge's `claims` (base64, base64url or JSON) becomes the claims challenge, its `scope` the
 * scopes, and the request's fallback scopes stand in when it names none.
 */
import type * as vscode from 'vscode';
import { decodeClaimsParameter, parseWwwAuthenticate } from '../core/index.js';

export interface ChallengeRequest {
  /** The scopes to ask for (raw: the provider normalises them). */
  scopes: string[];
  /** The claims the token must satisfy, as JSON text; undefined when the challenge carries none. */
  claimsChallenge: string | undefined;
}

/** Reads a constraint; a malformed challenge or claims parameter throws the core's `invalid_response`. */
export function readChallenges(constraint: vscode.AuthenticationConstraint): ChallengeRequest {
  const header = constraint.challenges.map(toHeader).join(', ');
  const bearers = header ? parseWwwAuthenticate(header).filter((challenge) => challenge.scheme === 'bearer') : [];
  const scope = bearers.find((challenge) => challenge.params.scope)?.params.scope;
  const claims = bearers.find((challenge) => challenge.params.claims)?.params.claims;
  const scopes = scope ? scope.split(/\s+/).filter(Boolean) : [...(constraint.fallbackScopes ?? [])];
  return { scopes, claimsChallenge: claims ? decodeClaimsParameter(claims) : undefined };
}

/** One challenge as header text, every value a quoted-string. */
function toHeader(challenge: vscode.AuthenticationChallenge): string {
  const params = Object.entries(challenge.params).map(([name, value]) => `${name}="${String(value).replace(/[\\"]/g, '\\$&')}"`);
  return params.length > 0 ? `${challenge.scheme} ${params.join(', ')}` : challenge.scheme;
}
