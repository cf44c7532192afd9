/**
 * Property tests of the WWW-Authenticate parser: a resource server's 401 header is outside input.
 * Garbage and near-valid headers throw only `invalid_response`; well-formed headers parse back to
 * the challenges they were built from.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { claimsChallengeFrom, parseWwwAuthenticate, type WwwAuthenticateChallenge } from '../../../src/core/www-authenticate.js';
import { anyString, runOptions, typedOrValue } from './property.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 10 });
/** Parameter names, the prototype's own names among them. */
const paramName = fc.oneof(token, fc.constantFrom('__proto__', 'constructor', 'toString', 'claims', 'error'));
/** Quoted-string content: any visible or space character (escaped where needed on output). */
const quotedContent = fc.string({ unit: fc.constantFrom(...' \t!"#\\,;=abcXYZ09=/+-_.~é€'), maxLength: 12 });

interface Built {
  header: string;
  expected: WwwAuthenticateChallenge[];
}

/** One challenge with parameters; names are unique per challenge so the expectation is unambiguous. */
const paramChallenge = fc
  .record({
    scheme: token,
    params: fc.uniqueArray(fc.record({ name: paramName, value: fc.oneof(token.map((t) => ({ t })), quotedContent.map((q) => ({ q }))) }), {
      selector: (p) => p.name.toLowerCase(),
      minLength: 1,
      maxLength: 4,
    }),
  })
  .map(({ scheme, params }) => {
    const parts = params.map(({ name, value }) => ('t' in value ? `${name}=${value.t}` : `${name}="${value.q.replace(/["\\]/g, '\\$&')}"`));
    const expectedParams: Record<string, string> = {};
    for (const { name, value } of params) {
      Object.defineProperty(expectedParams, name.toLowerCase(), { value: 't' in value ? value.t : value.q, enumerable: true, writable: true, configurable: true });
    }
    return { text: `${scheme} ${parts.join(', ')}`, challenge: { scheme: scheme.toLowerCase(), params: expectedParams } };
  });

const token68Challenge = fc
  .record({ scheme: token, value: fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,12}={0,2}$/) })
  .map(({ scheme, value }) => ({ text: `${scheme} ${value}`, challenge: { scheme: scheme.toLowerCase(), params: {}, token68: value } as WwwAuthenticateChallenge }));

const bareChallenge = token.map((scheme) => ({ text: scheme, challenge: { scheme: scheme.toLowerCase(), params: {} } as WwwAuthenticateChallenge }));

const wellFormed: fc.Arbitrary<Built> = fc
  .array(fc.oneof(paramChallenge, token68Challenge, bareChallenge), { minLength: 1, maxLength: 3 })
  .map((challenges) => ({ header: challenges.map((c) => c.text).join(', '), expected: challenges.map((c) => c.challenge) }));

/** A well-formed header with one character inserted, deleted or replaced. */
const nearValid = fc.tuple(wellFormed, fc.nat(), fc.constantFrom(...'",=\\ \t;\u0000\u{1F600}a'), fc.constantFrom('insert', 'delete', 'replace')).map(
  ([built, position, char, how]) => {
    const at = position % (built.header.length + 1);
    const { header } = built;
    if (how === 'insert') return header.slice(0, at) + char + header.slice(at);
    if (how === 'delete') return header.slice(0, at) + header.slice(at + 1);
    return header.slice(0, at) + char + header.slice(at + 1);
  },
);

/** Strings made of the characters the grammar cares about. */
const grammarSoup = fc.string({ unit: fc.constantFrom(...'Bearer realm=",\\ \t=abc_-./+'), maxLength: 40 });

describe('parseWwwAuthenticate: properties', () => {
  test('well-formed headers parse to the challenges they were built from', () => {
    fc.assert(
      fc.property(wellFormed, ({ header, expected }) => {
        assert.deepEqual(parseWwwAuthenticate(header), expected);
      }),
      runOptions(9110),
    );
  });

  test('garbage and near-valid headers parse or throw invalid_response, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, grammarSoup, nearValid), (header) => {
        const challenges = typedOrValue(() => parseWwwAuthenticate(header), ['invalid_response']);
        if (challenges === undefined) return;
        for (const challenge of challenges) {
          assert.equal(typeof challenge.scheme, 'string');
          for (const value of Object.values(challenge.params)) assert.equal(typeof value, 'string');
        }
      }),
      runOptions(6750),
    );
  });

  test('claimsChallengeFrom: a base64 JSON claims parameter comes back as that JSON; anything else is typed', () => {
    const claims = fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value));
    fc.assert(
      fc.property(
        fc.oneof(
          claims.map((json) => ({ json, header: `Bearer error="insufficient_claims", claims="${Buffer.from(json).toString('base64')}"` })),
          fc.oneof(anyString, grammarSoup, nearValid).map((header) => ({ json: undefined, header: `Bearer claims="${header}"` })),
        ),
        ({ json, header }) => {
          const decoded = typedOrValue(() => claimsChallengeFrom(header), ['invalid_response']);
          if (json !== undefined) assert.equal(decoded, json);
        },
      ),
      runOptions(7519),
    );
  });
});
