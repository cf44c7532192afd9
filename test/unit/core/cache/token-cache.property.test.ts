/**
 * Property tests of storing a token response: `client_info` (base64url JSON from Entra) and the
 * ID token's claims are decoded here, from outside input. A response that cannot be stored is
 * refused with a typed error before anything is written; one that is stored round-trips.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { SerializableTokenCache } from '../../../../src/core/cache/index.js';
import { anyString, b64, clientInfoValue, mutatedDocument, runOptions, typedOrValue } from '../property.js';
import { entraEvent, entraResponse, NOW } from './fixtures.js';

/** ID tokens the cache decodes without verifying (it is given claims when they were verified). */
const idToken = fc.oneof(
  anyString,
  fc.tuple(anyString, anyString, anyString).map((parts) => parts.map(b64).join('.')),
  mutatedDocument({ sub: 's', oid: 'o', tid: 't', preferred_username: 'a@b' }).map((claims) => `${b64({ alg: 'RS256' })}.${b64(claims)}.c2ln`),
);

const response = fc.oneof(
  fc.record({ client_info: clientInfoValue, id_token: idToken }).map((fields) => entraResponse(fields)),
  mutatedDocument(entraResponse()),
);

describe('TokenCache.add: properties', () => {
  test('a response is stored whole or refused typed with the cache unchanged', () => {
    const cache = new SerializableTokenCache();
    cache.add(entraEvent(), NOW);
    const snapshot = cache.serialize();
    fc.assert(
      fc.property(response, (body) => {
        cache.deserialize(snapshot);
        const stored = typedOrValue(() => cache.add(entraEvent({}, body), NOW + 1), ['invalid_response', 'invalid_id_token']);
        if (stored === undefined) {
          assert.equal(cache.serialize(), snapshot, 'a refused response writes nothing');
          return;
        }
        assert.equal(typeof stored.homeAccountId, 'string');
        const state = cache.serialize();
        const reloaded = new SerializableTokenCache();
        reloaded.deserialize(state);
        assert.equal(reloaded.serialize(), state);
      }),
      runOptions(2_0000),
    );
  });
});
