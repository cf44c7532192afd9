import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError } from '../../../src/core/errors.js';
import { HttpPipeline } from '../../../src/core/http.js';
import { BrowserFetchError, browserFetchErrorIn, createBrowserHttpClient } from '../../../src/vscode/browser-http.js';

const failing = (err: unknown) => async () => {
  throw err;
};

describe('createBrowserHttpClient', () => {
  test("a fetch TypeError becomes a BrowserFetchError naming the target's origin (not its query) and the editor's origin", async () => {
    const client = createBrowserHttpClient('https://vscode.dev', failing(new TypeError('Failed to fetch')));
    const err = await client('https://idp.example/oauth/token?code=secret', { method: 'POST', headers: {} }).then(
      () => assert.fail('resolved'),
      (caught: unknown) => caught,
    );
    assert.ok(err instanceof BrowserFetchError);
    assert.equal(err.target, 'https://idp.example');
    assert.equal(err.editorOrigin, 'https://vscode.dev');
    assert.ok(err.cause instanceof TypeError);
    assert.doesNotMatch(err.message, /secret/);
  });

  test('an abort and other errors pass through as they are', async () => {
    const aborted = new AbortController();
    aborted.abort();
    const typeError = new TypeError('aborted meanwhile');
    await assert.rejects(createBrowserHttpClient('https://e', failing(typeError))('https://idp.example/', { method: 'GET', headers: {}, signal: aborted.signal }), (err) => err === typeError);
    const other = new RangeError('x');
    await assert.rejects(createBrowserHttpClient('https://e', failing(other))('https://idp.example/', { method: 'GET', headers: {} }), (err) => err === other);
  });

  test("the core keeps it as the cause of its network_error, where browserFetchErrorIn finds it", async () => {
    const pipeline = new HttpPipeline(createBrowserHttpClient('https://vscode.dev', failing(new TypeError('Failed to fetch'))), new Map());
    const err = await pipeline.send('https://idp.example/token', { method: 'POST', headers: {} }).then(
      () => assert.fail('resolved'),
      (caught: unknown) => caught,
    );
    assert.ok(err instanceof AuthError && err.code === 'network_error');
    assert.equal(browserFetchErrorIn(err)?.editorOrigin, 'https://vscode.dev');
    assert.equal(browserFetchErrorIn(new AuthError('network_error', 'ECONNREFUSED')), undefined);
  });
});
