/**
 * Lets tests running in several editor windows (each in its own extension host) wait for one
 * another: `GET /barrier/<name>` answers once every party has asked for `<name>`, or 504 when
 * they have not all come within the bound. Only on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BarrierServer {
  url: string;
  close(): Promise<void>;
}

export async function startBarrierServer(parties: number, boundMs = 60_000): Promise<BarrierServer> {
  const waiting = new Map<string, (() => void)[]>();
  const server: Server = createServer((request, response) => {
    const name = /^\/barrier\/([\w-]+)$/.exec(request.url ?? '')?.[1];
    if (request.method !== 'GET' || !name) {
      response.writeHead(404).end();
      return;
    }
    const timer = setTimeout(() => {
      waiting.set(name, (waiting.get(name) ?? []).filter((wake) => wake !== release));
      response.writeHead(504).end(`not every party reached ${name}`);
    }, boundMs);
    const release = () => {
      clearTimeout(timer);
      response.writeHead(200).end('go');
    };
    const arrived = [...(waiting.get(name) ?? []), release];
    if (arrived.length < parties) {
      waiting.set(name, arrived);
      return;
    }
    waiting.delete(name);
    for (const wake of arrived) wake();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
