import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { AuthError } from '../../../src/core/errors.js';
import { readBodyText, type FetchLike } from '../../../src/core/http.js';
import { createNodeHttpClient, type NodeHttpClient } from '../../../src/node/http-client.js';
import { findClosedPort, makeSelfSignedCertificate, startForwardProxy, startServer, type RunningServer } from '../../support/servers.js';
import { rejectsWithCode } from '../core/fakes.js';

/** Proxy variables are cleared for this file so that a proxy in the test machine's environment cannot reroute 127.0.0.1. */
const PROXY_VARIABLES = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'];
const savedEnvironment = new Map<string, string | undefined>();
before(() => {
  for (const name of PROXY_VARIABLES) {
    savedEnvironment.set(name, process.env[name]);
    delete process.env[name];
  }
});
after(() => {
  for (const [name, value] of savedEnvironment) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Echoes the request back as JSON, with a custom header and status from the query. */
function echo(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
    res.writeHead(status, { 'content-type': 'application/json', 'x-echo': 'yes' });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
  });
}

/** Runs `fn` with a client, closing it afterwards whatever happens. */
async function withClient<T>(client: NodeHttpClient, fn: (client: NodeHttpClient) => Promise<T>): Promise<T> {
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}


describe('createNodeHttpClient', () => {
  describe('passing requests and responses through', () => {
    let server: RunningServer;
    before(async () => (server = await startServer(echo)));
    after(() => server.close());

    test('returns status, headers and body of a GET', () =>
      withClient(createNodeHttpClient(), async (http) => {
        const fetchLike: FetchLike = http; // the client fits the core's seam as it is
        const response = await fetchLike(`${server.origin}/path?status=404`, { method: 'GET', headers: { accept: 'application/json' } });
        assert.equal(response.status, 404);
        assert.equal(response.headers.get('x-echo'), 'yes');
        const echoed = JSON.parse(await response.text());
        assert.equal(echoed.method, 'GET');
        assert.equal(echoed.url, '/path?status=404');
        assert.equal(echoed.headers.accept, 'application/json');
      }));

    test('sends a form POST body and the user agent, and streams the body to the core reader', () =>
      withClient(createNodeHttpClient({ userAgent: 'msal-vscode-test/1' }), async (http) => {
        const response = await http(`${server.origin}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials&scope=a+b',
        });
        assert.equal(response.status, 200);
        assert.ok(response.body, 'the body is exposed as a stream');
        const echoed = JSON.parse(await readBodyText(response));
        assert.equal(echoed.method, 'POST');
        assert.equal(echoed.body, 'grant_type=client_credentials&scope=a+b');
        assert.equal(echoed.headers['content-type'], 'application/x-www-form-urlencoded');
        assert.equal(echoed.headers['user-agent'], 'msal-vscode-test/1');
      }));

    test("keeps the request's own user agent", () =>
      withClient(createNodeHttpClient({ userAgent: 'default/1' }), async (http) => {
        const response = await http(`${server.origin}/`, { method: 'GET', headers: { 'User-Agent': 'mine/2' } });
        assert.equal(JSON.parse(await response.text()).headers['user-agent'], 'mine/2');
      }));

    test('reuses connections across requests', () =>
      withClient(createNodeHttpClient(), async (http) => {
        const before = server.connections();
        for (let i = 0; i < 6; i++) await (await http(`${server.origin}/`, { method: 'GET', headers: {} })).text();
        // undici may open a second socket when a request follows the previous body's last byte
        // within the same tick, before the first socket is marked free; never one per request.
        assert.ok(server.connections() - before <= 2, `${server.connections() - before} connections for 6 requests`);
      }));
  });

  test('does not follow redirects', async () => {
    const server = await startServer((_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere' }).end());
    try {
      await withClient(createNodeHttpClient(), async (http) => {
        const response = await http(`${server.origin}/token`, { method: 'POST', headers: {}, body: 'client_secret=s' });
        assert.equal(response.status, 302);
        assert.equal(response.headers.get('location'), 'http://127.0.0.1:9/elsewhere');
      });
    } finally {
      await server.close();
    }
  });

  describe('failures', () => {
    test('a server that never answers ends in a bounded timeout', async () => {
      let arrived = 0;
      const server = await startServer(() => void arrived++); // never responds
      try {
        await withClient(createNodeHttpClient({ timeout: 200 }), async (http) => {
          const started = performance.now();
          const err = await rejectsWithCode(http(`${server.origin}/slow?code=secret`, { method: 'GET', headers: {} }), 'timeout');
          const elapsed = performance.now() - started;
          assert.ok(elapsed >= 150 && elapsed < 5000, `took ${elapsed} ms`);
          assert.equal(arrived, 1);
          assert.doesNotMatch(err.message, /secret/);
        });
      } finally {
        await server.close();
      }
    });

    test('the timeout also bounds reading the body', async () => {
      const server = await startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial'); // ...and the rest never comes
      });
      try {
        await withClient(createNodeHttpClient({ timeout: 200 }), async (http) => {
          const response = await http(`${server.origin}/`, { method: 'GET', headers: {} });
          assert.equal(response.status, 200);
          await rejectsWithCode(response.text(), 'timeout');
        });
      } finally {
        await server.close();
      }
    });

    test("the caller's abort ends in cancelled", async () => {
      const controller = new AbortController();
      const server = await startServer(() => controller.abort()); // abort once the request is in
      try {
        await withClient(createNodeHttpClient(), async (http) => {
          await rejectsWithCode(http(`${server.origin}/`, { method: 'GET', headers: {}, signal: controller.signal }), 'cancelled');
        });
      } finally {
        await server.close();
      }
    });

    test('an already aborted signal sends nothing', async () => {
      let arrived = 0;
      const server = await startServer((_req, res) => (arrived++, res.end()));
      try {
        await withClient(createNodeHttpClient(), async (http) => {
          await rejectsWithCode(http(`${server.origin}/`, { method: 'GET', headers: {}, signal: AbortSignal.abort() }), 'cancelled');
          assert.equal(arrived, 0);
        });
      } finally {
        await server.close();
      }
    });

    test('a refused connection ends in network_error with the cause and no query in the message', async () => {
      const port = await findClosedPort();
      await withClient(createNodeHttpClient(), async (http) => {
        const err = await rejectsWithCode(http(`http://127.0.0.1:${port}/token?code=s3cr3t`, { method: 'GET', headers: {} }), 'network_error');
        assert.ok(err.cause, 'the undici error is attached');
        assert.match(err.message, /ECONNREFUSED/);
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}/token`));
        assert.doesNotMatch(err.message, /s3cr3t|code=/);
      });
    });

    test('a URL that is not http(s) is an invalid argument', async () => {
      await withClient(createNodeHttpClient(), async (http) => {
        await rejectsWithCode(http('file:///etc/passwd', { method: 'GET', headers: {} }), 'invalid_argument');
        await rejectsWithCode(http('not a url', { method: 'GET', headers: {} }), 'invalid_argument');
      });
    });
  });

  describe('options', () => {
    test('bad options fail at creation with invalid_argument, without echoing proxy credentials', () => {
      const codeOf = (fn: () => unknown): string | undefined => {
        try {
          fn();
        } catch (err) {
          assert.ok(err instanceof AuthError);
          assert.doesNotMatch(err.message, /hunter2/);
          return err.code;
        }
        return undefined;
      };
      assert.equal(codeOf(() => createNodeHttpClient({ timeout: 0 })), 'invalid_argument');
      assert.equal(codeOf(() => createNodeHttpClient({ timeout: Number.NaN })), 'invalid_argument');
      assert.equal(codeOf(() => createNodeHttpClient({ verify: '/etc/ssl/ca.pem' })), 'invalid_argument');
      assert.equal(codeOf(() => createNodeHttpClient({ verify: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' })), 'invalid_argument');
      assert.equal(codeOf(() => createNodeHttpClient({ proxies: { http: 'http://user:hunter2@[bad' } })), 'invalid_argument');
      assert.equal(codeOf(() => createNodeHttpClient({ proxies: { https: 'ftp://user:hunter2@proxy' } })), 'invalid_argument');
    });
  });

  describe('proxies', () => {
    let origin: RunningServer;
    before(async () => (origin = await startServer(echo)));
    after(() => origin.close());

    test('proxies.http relays http requests in absolute-URI form, with its credentials', async () => {
      const proxy = await startForwardProxy();
      try {
        const proxyUrl = `http://alice:p%40ss@127.0.0.1:${proxy.port}`;
        await withClient(createNodeHttpClient({ proxies: { http: proxyUrl } }), async (http) => {
          const get = await http(`${origin.origin}/discovery?x=1`, { method: 'GET', headers: {} });
          assert.equal(JSON.parse(await get.text()).url, '/discovery?x=1');
          const post = await http(`${origin.origin}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
          assert.equal(JSON.parse(await post.text()).body, 'a=1');
        });
        assert.deepEqual(proxy.relayed, [`GET ${origin.origin}/discovery?x=1`, `POST ${origin.origin}/token`]);
        const basic = `Basic ${Buffer.from('alice:p@ss').toString('base64')}`;
        assert.deepEqual(proxy.authorizations, [basic, basic]);
      } finally {
        await proxy.close();
      }
    });

    test('a proxy that demands authentication ends in network_error naming the 407', async () => {
      const proxy = await startServer((_req, res) => res.writeHead(407, { 'proxy-authenticate': 'Basic' }).end());
      try {
        await withClient(createNodeHttpClient({ proxies: { http: `http://bob:hunter2@127.0.0.1:${proxy.port}` } }), async (http) => {
          const err = await rejectsWithCode(http(`${origin.origin}/x`, { method: 'GET', headers: {} }), 'network_error');
          assert.match(err.message, /407/);
          assert.doesNotMatch(err.message, /hunter2|bob/);
        });
      } finally {
        await proxy.close();
      }
    });

    test('noProxy hosts bypass the proxy', async () => {
      const proxy = await startForwardProxy();
      try {
        await withClient(createNodeHttpClient({ proxies: { http: proxy.origin, noProxy: 'example.org, 127.0.0.1' } }), async (http) => {
          const response = await http(`${origin.origin}/direct`, { method: 'GET', headers: {} });
          assert.equal(JSON.parse(await response.text()).url, '/direct');
        });
        assert.deepEqual(proxy.relayed, []);
        assert.deepEqual(proxy.tunnels, []);
      } finally {
        await proxy.close();
      }
    });

    test('without proxies, HTTP_PROXY and NO_PROXY from the environment are honoured', async () => {
      const proxy = await startForwardProxy();
      try {
        process.env.HTTP_PROXY = proxy.origin;
        await withClient(createNodeHttpClient(), async (http) => {
          await (await http(`${origin.origin}/via-env`, { method: 'GET', headers: {} })).text();
        });
        assert.deepEqual(proxy.relayed, [`GET ${origin.origin}/via-env`]);

        process.env.NO_PROXY = '127.0.0.1';
        await withClient(createNodeHttpClient(), async (http) => {
          await (await http(`${origin.origin}/bypass-env`, { method: 'GET', headers: {} })).text();
        });
        assert.equal(proxy.relayed.length, 1, 'NO_PROXY kept the second request direct');

        delete process.env.NO_PROXY;
        await withClient(createNodeHttpClient({ proxies: { http: '' } }), async (http) => {
          await (await http(`${origin.origin}/off`, { method: 'GET', headers: {} })).text();
        });
        assert.equal(proxy.relayed.length, 1, "proxies.http: '' overrides the environment");
      } finally {
        delete process.env.HTTP_PROXY;
        delete process.env.NO_PROXY;
        await proxy.close();
      }
    });
  });

  describe('TLS verification', () => {
    const { key, cert } = makeSelfSignedCertificate();
    let server: RunningServer;
    before(async () => (server = await startServer(echo, { key, cert })));
    after(() => server.close());

    test('a self-signed server is rejected by default', () =>
      withClient(createNodeHttpClient(), async (http) => {
        const err = await rejectsWithCode(http(`${server.origin}/`, { method: 'GET', headers: {} }), 'network_error');
        assert.match(err.message, /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
      }));

    test('it is accepted with verify set to its PEM, alone or in an array', async () => {
      for (const verify of [cert, [cert]]) {
        await withClient(createNodeHttpClient({ verify }), async (http) => {
          const response = await http(`${server.origin}/`, { method: 'GET', headers: {} });
          assert.equal(response.status, 200);
          await response.text();
        });
      }
    });

    test('another CA does not make it trusted', () =>
      withClient(createNodeHttpClient({ verify: makeSelfSignedCertificate().cert }), async (http) => {
        await rejectsWithCode(http(`${server.origin}/`, { method: 'GET', headers: {} }), 'network_error');
      }));

    test('a PEM bundle adds to NODE_EXTRA_CA_CERTS rather than replacing it (Node < 22.15 path)', { skip: 'getCACertificates' in tls ? 'this Node reads NODE_EXTRA_CA_CERTS only at startup' : false }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'extra-ca-'));
      const saved = process.env.NODE_EXTRA_CA_CERTS;
      try {
        writeFileSync(join(dir, 'extra.pem'), cert);
        process.env.NODE_EXTRA_CA_CERTS = join(dir, 'extra.pem');
        await withClient(createNodeHttpClient({ verify: makeSelfSignedCertificate().cert }), async (http) => {
          const response = await http(`${server.origin}/`, { method: 'GET', headers: {} });
          assert.equal(response.status, 200);
          await response.text();
        });
      } finally {
        if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
        else process.env.NODE_EXTRA_CA_CERTS = saved;
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('it is accepted with verify: false', () =>
      withClient(createNodeHttpClient({ verify: false }), async (http) => {
        const response = await http(`${server.origin}/`, { method: 'GET', headers: {} });
        assert.equal(response.status, 200);
        await response.text();
      }));

    test('proxies.https tunnels with CONNECT and verifies the origin with the custom CA', async () => {
      const proxy = await startForwardProxy();
      try {
        await withClient(createNodeHttpClient({ proxies: { https: proxy.origin }, verify: cert }), async (http) => {
          const response = await http(`${server.origin}/tunnelled`, { method: 'GET', headers: {} });
          assert.equal(JSON.parse(await response.text()).url, '/tunnelled');
        });
        await withClient(createNodeHttpClient({ proxies: { https: proxy.origin } }), async (http) => {
          await rejectsWithCode(http(`${server.origin}/tunnelled`, { method: 'GET', headers: {} }), 'network_error');
        });
        assert.deepEqual(proxy.tunnels, [`127.0.0.1:${server.port}`, `127.0.0.1:${server.port}`]);
        assert.deepEqual(proxy.relayed, []);
      } finally {
        await proxy.close();
      }
    });
  });
});
