import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { webLocksFor } from '../../../src/vscode/web-lock.js';

describe('webLocksFor', () => {
  test('without a lock manager there is no lock', () => {
    assert.equal(webLocksFor(undefined), undefined);
  });

  test("each provider's lock is a named Web Lock of its own, and work runs inside it", async () => {
    const requested: string[] = [];
    let held = 0;
    const lockFor = webLocksFor({
      request: async (name, work) => {
        requested.push(name);
        held++;
        try {
          return await work();
        } finally {
          held--;
        }
      },
    })!;
    assert.equal(await lockFor('entra').run(async () => held), 1);
    assert.equal(await lockFor('keycloak').run(async () => 'done'), 'done');
    assert.deepEqual(requested, ['msal-signin.cache.entra', 'msal-signin.cache.keycloak']);
  });
});
