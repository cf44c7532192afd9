/**
 * Parsing of `WWW-Authenticate` (RFC 9110 §11.6.1) so that an app can turn a resource's 401
 * claims challenge (continuous access evaluation, step-up) into `claimsChallenge`.
 */
import { AuthError } from './errors.js';
import { setMember } from './json.js';

export interface WwwAuthenticateChallenge {
  /** Lower-cased scheme, such as `bearer`. */
  scheme: string;
  /** Lower-cased parameter names; values unquoted. */
  params: Record<string, string>;
  /** A token68 value, when the challenge carries one instead of parameters. */
  token68?: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;
const PARAM_START = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=[ \t]*(?:"|[!#$%&'*+\-.^_`|~0-9A-Za-z])/;

/** Parses every challenge of a header value; malformed input throws `invalid_response`. */
export function parseWwwAuthenticate(header: string): WwwAuthenticateChallenge[] {
  if (typeof header !== 'string') throw new AuthError('invalid_response', 'WWW-Authenticate is not a string');
  const challenges: WwwAuthenticateChallenge[] = [];
  let rest = header.trim().replace(/^[ \t,]+/, '');
  const malformed = () => new AuthError('invalid_response', 'malformed WWW-Authenticate header');
  const skipSpace = () => {
    rest = rest.replace(/^[ \t]+/, '');
  };
  while (rest.length > 0) {
    const scheme = TOKEN.exec(rest)?.[0];
    if (!scheme) throw malformed();
    rest = rest.slice(scheme.length);
    const challenge: WwwAuthenticateChallenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    skipSpace();
    // Either a token68, or a comma-separated list of name=value parameters.
    if (!PARAM_START.test(rest)) {
      const token68 = TOKEN68.exec(rest)?.[0];
      if (token68) {
        challenge.token68 = token68;
        rest = rest.slice(token68.length);
      }
      skipSpace();
      if (rest.length > 0 && !rest.startsWith(',')) throw malformed();
    } else {
      for (;;) {
        skipSpace();
        const name = TOKEN.exec(rest)?.[0];
        if (!name) break;
        const afterName = rest.slice(name.length).replace(/^[ \t]*/, '');
        if (!afterName.startsWith('=')) break; // the next challenge's scheme
        rest = afterName.slice(1).replace(/^[ \t]*/, '');
        let value: string;
        if (rest.startsWith('"')) {
          let i = 1;
          value = '';
          for (; i < rest.length && rest[i] !== '"'; i += 1) {
            if (rest[i] === '\\') i += 1;
            if (i < rest.length) value += rest[i];
          }
          if (i >= rest.length) throw malformed();
          rest = rest.slice(i + 1);
        } else {
          const token = TOKEN.exec(rest)?.[0];
          if (token === undefined) throw malformed();
          value = token;
          rest = rest.slice(token.length);
        }
        // Not an assignment: a parameter named `__proto__` must stay plain data.
        setMember(challenge.params, name.toLowerCase(), value);
        skipSpace();
        if (!rest.startsWith(',')) {
          // After a value only a comma or the end may follow (challenges form a comma-separated list).
          if (rest.length > 0) throw malformed();
          break;
        }
        rest = rest.slice(1);
        skipSpace();
        while (rest.startsWith(',')) rest = rest.slice(1).trim();
      }
    }
    rest = rest.replace(/^[ \t,]+/, '');
    if (rest.length > 0 && !TOKEN.test(rest)) throw malformed();
  }
  return challenges;
}

/**
 * The claims challenge of a Bearer `insufficient_claims` 401, decoded to the JSON string
 * `claimsChallenge` takes; undefined when the header carries none.
 */
export function claimsChallengeFrom(header: string): string | undefined {
  const bearer = parseWwwAuthenticate(header).find((challenge) => challenge.scheme === 'bearer' && challenge.params.claims);
  return bearer ? decodeClaimsParameter(bearer.params.claims) : undefined;
}

/**
 * A `claims` challenge parameter as JSON text: base64 or base64url of UTF-8 JSON, as Entra sends
 * it, or the JSON itself, as VS Code's Microsoft provider also accepts (JSON never reads as
 * base64: `{` is not in its alphabet). Anything else throws `invalid_response`.
 */
export function decodeClaimsParameter(encoded: string): string {
  let decoded: string;
  try {
    if (encoded.trimStart().startsWith('{')) {
      decoded = encoded;
    } else {
      const binary = atob(encoded.replace(/-/g, '+').replace(/_/g, '/'));
      decoded = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    }
    JSON.parse(decoded);
  } catch {
    throw new AuthError('invalid_response', 'the claims challenge is neither base64-encoded JSON nor JSON');
  }
  return decoded;
}
