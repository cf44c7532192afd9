/**
 * A consumer's challenge request as the workbench hands it to a provider (challenges it split
 * itself, VS Code 1.139): read with the core's parser into scopes and a claims challenge.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError } from '../../../src/core/errors.js';
import { readChallenges } from '../../../src/vscode/challenges.js';

const ACRS = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
const base64 = (text: string) => Buffer.from(text).toString('base64');
const base64url = (text: string) => Buffer.from(text).toString('base64url');

describe('readChallenges', () => {
  test("Entra's insufficient_claims challenge: base64 claims, the fallback scopes", () => {
    const read = readChallenges({
      challenges: [{ scheme: 'Bearer', params: { realm: '', authorization_uri: 'https://login.microsoftonline.com/common/oauth2/authorize', error: 'insufficient_claims', claims: base64(ACRS) } }],
      fallbackScopes: ['api://demo/read'],
    });
    assert.deepEqual(read, { scopes: ['api://demo/read'], claimsChallenge: ACRS });
  });

  test('base64url, unpadded, and plain JSON claims are read alike, as VS Code reads them', () => {
    for (const claims of [base64url(ACRS), base64(ACRS).replace(/=+$/, ''), ACRS]) {
      assert.equal(readChallenges({ challenges: [{ scheme: 'Bearer', params: { claims } }] }).claimsChallenge, ACRS, claims);
    }
  });

  test('a `scope` parameter is the scopes; the fallback stands in only without one', () => {
    assert.deepEqual(readChallenges({ challenges: [{ scheme: 'Bearer', params: { scope: 'api://demo/read  api://demo/write' } }], fallbackScopes: ['other'] }), {
      scopes: ['api://demo/read', 'api://demo/write'],
      claimsChallenge: undefined,
    });
    assert.deepEqual(readChallenges({ challenges: [{ scheme: 'Bearer', params: { realm: 'api' } }], fallbackScopes: ['api://demo/read'] }), { scopes: ['api://demo/read'], claimsChallenge: undefined });
    assert.deepEqual(readChallenges({ challenges: [], fallbackScopes: undefined }), { scopes: [], claimsChallenge: undefined });
  });

  test('scheme and parameter names in any case; other schemes are ignored; quotes in values survive', () => {
    const read = readChallenges({
      challenges: [
        { scheme: 'Negotiate', params: {} },
        { scheme: 'Basic', params: { realm: 'say "hi" \\ bye', claims: 'not ours' } },
        { scheme: 'bearer', params: { Claims: base64(ACRS), SCOPE: 'a' } },
      ],
    });
    assert.deepEqual(read, { scopes: ['a'], claimsChallenge: ACRS });
  });

  test('claims that are neither base64 JSON nor JSON, or a parameter name no header could carry, are a typed error', () => {
    const malformed: Record<string, string>[] = [{ claims: base64('not json') }, { claims: '%%%' }, { 'bad name': 'x' }];
    for (const params of malformed) {
      assert.throws(() => readChallenges({ challenges: [{ scheme: 'Bearer', params }] }), (err: unknown) => err instanceof AuthError && err.code === 'invalid_response', JSON.stringify(params));
    }
  });
});
