import assert from 'node:assert/strict';
import * as net from 'node:net';
import { describe, test } from 'node:test';
import { escapeHtml, renderErrorPage } from '../../../src/node/loopback-pages.js';
import { LoopbackPortInUseError, startLoopbackListener, type LoopbackListener, type LoopbackListenerOptions } from '../../../src/node/loopback-listener.js';
import { assertCannotConnect, findClosedPort, listen, sendRequest as send } from '../../support/servers.js';
import { rejectsWithCode } from '../core/fakes.js';

/** Runs `fn` with a listener, always closing it afterwards. */
async function withListener(options: LoopbackListenerOptions, fn: (listener: LoopbackListener, port: number) => Promise<void>): Promise<void> {
  const listener = await startLoopbackListener(options);
  try {
    await fn(listener, Number(new URL(listener.redirectUri).port));
  } finally {
    await listener.close();
  }
}

describe('startLoopbackListener', () => {
  test('receives the authorization response and shows the success page', () =>
    withListener({}, async (listener, port) => {
      assert.match(listener.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.ok(port > 0);
      const answer = await send(`${listener.redirectUri}?code=the-code&state=s1&session_state=x%20y`);
      assert.equal(answer.status, 200);
      assert.match(answer.headers['content-type'] ?? '', /^text\/html/);
      assert.equal(answer.headers['cache-control'], 'no-store');
      assert.equal(answer.headers['referrer-policy'], 'no-referrer');
      assert.match(String(answer.headers['content-security-policy']), /default-src 'none'/);
      assert.match(answer.body, /Authentication complete/);
      assert.deepEqual(await listener.waitForResponse(), { code: 'the-code', state: 's1', session_state: 'x y' });
    }));

  test('uses the configured path and a custom success page', () =>
    withListener({ path: '/callback', successPage: '<p>done</p>' }, async (listener) => {
      assert.match(listener.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      const answer = await send(`${listener.redirectUri}?code=c`);
      assert.equal(answer.body, '<p>done</p>');
      assert.deepEqual(await listener.waitForResponse(), { code: 'c' });
    }));

  test('binds the requested port', async () => {
    const port = await findClosedPort();
    await withListener({ port }, async (listener) => {
      assert.equal(listener.redirectUri, `http://127.0.0.1:${port}/`);
    });
  });

  test('a port in use fails with network_error, typed as LoopbackPortInUseError with the port and address', async () => {
    const blocker = net.createServer();
    const port = await listen(blocker);
    try {
      await rejectsWithCode(startLoopbackListener({ port }), 'network_error');
      const err = await startLoopbackListener({ port, host: 'localhost' }).then(
        () => assert.fail('expected a failure'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof LoopbackPortInUseError);
      assert.equal(err.port, port);
      assert.equal(err.address, '127.0.0.1');
      assert.equal(err.message, `port ${port} on 127.0.0.1 is in use`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('host localhost: the redirect URI says localhost, the listener is still on 127.0.0.1 only', async () => {
    const port = await findClosedPort();
    await withListener({ port, host: 'localhost', path: '/cb' }, async (listener) => {
      assert.equal(listener.redirectUri, `http://localhost:${port}/cb`);
      await assertCannotConnect(port, '127.0.0.2');
      await assertCannotConnect(port, '::1');
      const answer = await send(`http://127.0.0.1:${port}/cb?code=c`, { host: `localhost:${port}` });
      assert.equal(answer.status, 200);
      assert.deepEqual(await listener.waitForResponse(), { code: 'c' });
    });
  });

  test('an empty path: a redirect URI without one, and the browser asks for /', async () => {
    const port = await findClosedPort();
    await withListener({ port, path: '' }, async (listener) => {
      assert.equal(listener.redirectUri, `http://127.0.0.1:${port}`);
      assert.equal((await send(`http://127.0.0.1:${port}/other?code=c`)).status, 404);
      assert.equal((await send(`http://127.0.0.1:${port}/?code=c`)).status, 200);
      assert.deepEqual(await listener.waitForResponse(), { code: 'c' });
    });
  });

  test('host [::1]: listened for on ::1 only, with the Host header [::1]:PORT', async (t) => {
    const probe = net.createServer();
    const ipv6 = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen({ host: '::1', port: 0 }, () => probe.close(() => resolve(true)));
    });
    if (!ipv6) return t.skip('this machine has no ::1');
    await withListener({ host: '[::1]' }, async (listener, port) => {
      assert.equal(listener.redirectUri, `http://[::1]:${port}/`);
      await assertCannotConnect(port, '127.0.0.1');
      assert.equal((await send(`http://[::1]:${port}/?code=c`, { host: `127.0.0.1:${port}` })).status, 400, 'another Host is refused');
      assert.equal((await send(`http://[::1]:${port}/?code=c`)).status, 200);
      assert.deepEqual(await listener.waitForResponse(), { code: 'c' });
    });
  });

  test('binds 127.0.0.1 only', () =>
    withListener({}, async (_listener, port) => {
      // On Linux all of 127/8 reaches the loopback interface: a wildcard bind would accept here.
      await assertCannotConnect(port, '127.0.0.2');
      await assertCannotConnect(port, '::1');
    }));

  describe('requests that do not end the wait', () => {
    test('a wrong state, or none, is refused and the real response still wins', () =>
      withListener({ expectedState: 'good-state' }, async (listener) => {
        const forged = await send(`${listener.redirectUri}?code=attacker&state=bad-state`);
        assert.equal(forged.status, 400);
        const stateless = await send(`${listener.redirectUri}?code=attacker`);
        assert.equal(stateless.status, 400);
        const real = await send(`${listener.redirectUri}?code=real&state=good-state`);
        assert.equal(real.status, 200);
        assert.deepEqual(await listener.waitForResponse(), { code: 'real', state: 'good-state' });
      }));

    test('another path gets 404, another method 405', () =>
      withListener({ path: '/cb' }, async (listener, port) => {
        assert.equal((await send(`http://127.0.0.1:${port}/favicon.ico`)).status, 404);
        assert.equal((await send(`http://127.0.0.1:${port}/cb/extra?code=c`)).status, 404);
        assert.equal((await send(`http://127.0.0.1:${port}/?code=c`)).status, 404);
        const post = await send(`${listener.redirectUri}?code=c`, { method: 'POST', headers: { 'content-type': 'text/plain' } });
        assert.equal(post.status, 405);
        assert.equal(post.headers.allow, 'GET');
        assert.equal((await send(`${listener.redirectUri}?code=c`, { method: 'PUT' })).status, 405);
        const real = await send(`${listener.redirectUri}?code=c`);
        assert.equal(real.status, 200);
        assert.deepEqual(await listener.waitForResponse(), { code: 'c' });
      }));

    test('a Host header other than 127.0.0.1:PORT or localhost:PORT gets 400 (DNS rebinding)', () =>
      withListener({}, async (listener, port) => {
        for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, `127.0.0.1`]) {
          assert.equal((await send(`${listener.redirectUri}?code=c`, { host })).status, 400, host);
        }
        assert.equal((await send(`${listener.redirectUri}?code=from-localhost`, { host: `LocalHost:${port}` })).status, 200);
        assert.deepEqual(await listener.waitForResponse(), { code: 'from-localhost' });
      }));

    test('a query with neither code nor error, or with a repeated parameter, gets 400', () =>
      withListener({}, async (listener) => {
        const empty = await send(listener.redirectUri);
        assert.equal(empty.status, 400);
        assert.match(empty.body, /Not an authorization response/);
        assert.equal((await send(`${listener.redirectUri}?foo=bar`)).status, 400);
        assert.equal((await send(`${listener.redirectUri}?code=a&code=b`)).status, 400);
        assert.equal((await send(`${listener.redirectUri}?code=ok&__proto__=x`)).status, 200);
        const params = await listener.waitForResponse();
        assert.deepEqual(params, { code: 'ok', ['__proto__']: 'x' });
        assert.equal(Object.getPrototypeOf(params), Object.prototype, 'a "__proto__" parameter stays plain data');
      }));

    test('oversized headers are refused by Node and the wait goes on', () =>
      withListener({}, async (listener) => {
        const big = await send(`${listener.redirectUri}?code=x`, { headers: { 'x-padding': 'a'.repeat(20 * 1024) } });
        assert.equal(big.status, 431);
        assert.equal((await send(`${listener.redirectUri}?code=ok`)).status, 200);
        assert.deepEqual(await listener.waitForResponse(), { code: 'ok' });
      }));
  });

  describe('error responses', () => {
    test('resolve with the error and show an escaped error page', () =>
      withListener({}, async (listener) => {
        const description = '<script>alert(1)</script> & "quotes"';
        const answer = await send(`${listener.redirectUri}?error=access_denied&error_description=${encodeURIComponent(description)}&state=s`);
        assert.equal(answer.status, 200);
        assert.match(answer.body, /Authentication failed/);
        assert.match(answer.body, /access_denied/);
        assert.ok(answer.body.includes('&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;quotes&#34;'));
        assert.ok(!answer.body.includes('<script>'));
        assert.deepEqual(await listener.waitForResponse(), { error: 'access_denied', error_description: description, state: 's' });
      }));

    test('a custom error page template or function gets escaped values', async () => {
      await withListener({ errorPage: '<p>{error}: {error_description}</p>' }, async (listener) => {
        const answer = await send(`${listener.redirectUri}?error=%3Cb%3E&error_description=%7Berror%7D`);
        // "{error}" in the description is shown as text, not expanded a second time.
        assert.equal(answer.body, '<p>&#60;b&#62;: {error}</p>');
        await listener.waitForResponse();
      });
      await withListener({ errorPage: (error, description) => `<i>${error}|${description ?? '-'}</i>` }, async (listener) => {
        const answer = await send(`${listener.redirectUri}?error=a%26b`);
        assert.equal(answer.body, '<i>a&#38;b|-</i>');
        await listener.waitForResponse();
      });
    });

    test('renderErrorPage and escapeHtml', () => {
      assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
      assert.equal(renderErrorPage('{error}/{error_description}', 'e', undefined), 'e/');
    });
  });

  describe('one use', () => {
    test('after the response the port is closed and later callbacks get nothing', () =>
      withListener({}, async (listener, port) => {
        // A connection opened before the redirect and left idle, like a browser's preconnect.
        const held = net.connect(port, '127.0.0.1');
        await new Promise((resolve) => held.once('connect', resolve));
        const heldClosed = new Promise<string>((resolve) => {
          let received = '';
          held.on('data', (chunk: Buffer) => (received += chunk.toString()));
          held.once('close', () => resolve(received));
        });

        assert.equal((await send(`${listener.redirectUri}?code=first`)).status, 200);
        assert.deepEqual(await listener.waitForResponse(), { code: 'first' });

        assert.equal(await heldClosed, '', 'the held connection was closed without an answer');
        await rejectsWithNetworkCode(send(`${listener.redirectUri}?code=second`), 'ECONNREFUSED');
        await assertCannotConnect(port);
      }));

    test('a slow client that never finishes its request does not hold the port open', () =>
      withListener({ timeoutMs: 60_000 }, async (listener, port) => {
        const slow = net.connect(port, '127.0.0.1');
        await new Promise((resolve) => slow.once('connect', resolve));
        slow.write(`GET /?code=slow HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`); // no blank line: headers never end
        const slowClosed = new Promise((resolve) => slow.once('close', resolve));
        slow.on('error', () => undefined);
        assert.equal((await send(`${listener.redirectUri}?code=fast`)).status, 200);
        assert.deepEqual(await listener.waitForResponse(), { code: 'fast' });
        await slowClosed;
        await assertCannotConnect(port);
      }));

    test('waitForResponse returns the same promise every time', () =>
      withListener({}, async (listener) => {
        assert.equal(listener.waitForResponse(), listener.waitForResponse());
        await send(`${listener.redirectUri}?code=c`);
        await listener.waitForResponse();
      }));
  });

  describe('ending without a response', () => {
    test('timeoutMs rejects with timeout and closes the port', async () => {
      const listener = await startLoopbackListener({ timeoutMs: 100 });
      const port = Number(new URL(listener.redirectUri).port);
      const started = performance.now();
      await rejectsWithCode(listener.waitForResponse(), 'timeout');
      assert.ok(performance.now() - started < 5000);
      await assertCannotConnect(port);
      await listener.close();
    });

    test('an abort rejects with cancelled and closes the port, even with a slow client connected', async () => {
      const controller = new AbortController();
      const listener = await startLoopbackListener({ signal: controller.signal });
      const port = Number(new URL(listener.redirectUri).port);
      const slow = net.connect(port, '127.0.0.1');
      slow.on('error', () => undefined);
      await new Promise((resolve) => slow.once('connect', resolve));
      slow.write('GET / HTTP/1.1\r\n');
      const slowClosed = new Promise((resolve) => slow.once('close', resolve));
      controller.abort();
      await rejectsWithCode(listener.waitForResponse(), 'cancelled');
      await slowClosed;
      await assertCannotConnect(port);
      await listener.close();
    });

    test('an already aborted signal fails at start', async () => {
      await rejectsWithCode(startLoopbackListener({ signal: AbortSignal.abort() }), 'cancelled');
    });

    test('close() rejects a pending wait with cancelled, frees the port, and can be repeated', async () => {
      const listener = await startLoopbackListener({});
      const port = Number(new URL(listener.redirectUri).port);
      const waiting = listener.waitForResponse();
      await listener.close();
      await rejectsWithCode(waiting, 'cancelled');
      await assertCannotConnect(port);
      await listener.close();
    });
  });

  test('bad options fail with invalid_argument', async () => {
    for (const options of [{ port: -1 }, { port: 70000 }, { port: 1.5 }, { path: 'cb' }, { path: '/cb?x=1' }, { path: '/cb#f' }, { timeoutMs: 0 }, { host: '0.0.0.0' }, { host: '::' }, { host: 'example.com' }] as LoopbackListenerOptions[]) {
      await rejectsWithCode(startLoopbackListener(options), 'invalid_argument');
    }
  });
});

/** Asserts that a request fails at the socket level with `code`. */
async function rejectsWithNetworkCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: NodeJS.ErrnoException) => e,
  );
  assert.equal(err.code, code);
}
