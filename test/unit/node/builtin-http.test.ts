/**
 * The extension's HTTP client over Node's http/https modules: requests as the core sends them,
 * and failures as the core's AuthError codes, against real servers on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readBodyText } from '../../../src/core/http.js';
import { createBuiltinHttpClient } from '../../../src/node/builtin-http.js';
import { findClosedPort, startServer, type RunningServer } from '../../support/servers.js';
import { rejectsWithCode } from '../core/fakes.js';

describe('createBuiltinHttpClient', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/slow') return; // never answers: the timeout ends the request
      if (url.pathname === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(Buffer.alloc(1024 * 1024 + 10, 'a'));
        return;
      }
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        res.writeHead(Number(url.searchParams.get('status') ?? 200), { 'content-type': 'application/json', 'x-multi': ['a', 'b'] });
        res.end(JSON.stringify({ method: req.method, body, contentType: req.headers['content-type'] }));
      });
    });
  });
  after(() => server.close());

  test('sends a form POST and reads status, headers and body', async () => {
    const client = createBuiltinHttpClient({ timeout: 5000 });
    const response = await client(`${server.origin}/token?status=400`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&x=%C3%A9',
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('Content-Type'), 'application/json');
    assert.equal(response.headers.get('x-multi'), 'a, b');
    assert.equal(response.headers.get('absent'), null);
    assert.deepEqual(JSON.parse(await readBodyText(response)), {
      method: 'POST',
      body: 'grant_type=refresh_token&x=%C3%A9',
      contentType: 'application/x-www-form-urlencoded',
    });
  });

  test('names failures with the core codes and never the query', async () => {
    const client = createBuiltinHttpClient({ timeout: 300 });
    const closed = await findClosedPort();
    const refused = await rejectsWithCode(client(`http://127.0.0.1:${closed}/x?code=secret`, { method: 'GET', headers: {} }), 'network_error');
    assert.doesNotMatch(refused.message, /secret/);
    assert.match(refused.message, /ECONNREFUSED/);
    await rejectsWithCode(client(`${server.origin}/slow`, { method: 'GET', headers: {} }), 'timeout');
    const controller = new AbortController();
    const pending = client(`${server.origin}/slow`, { method: 'GET', headers: {}, signal: controller.signal });
    controller.abort();
    await rejectsWithCode(pending, 'cancelled');
    await rejectsWithCode(client('ftp://127.0.0.1/', { method: 'GET', headers: {} }), 'invalid_argument');
  });

  test('stops reading a body past the core limit', async () => {
    const client = createBuiltinHttpClient({ timeout: 5000 });
    const response = await client(`${server.origin}/big`, { method: 'GET', headers: {} });
    await rejectsWithCode(readBodyText(response), 'response_too_large');
  });
});
