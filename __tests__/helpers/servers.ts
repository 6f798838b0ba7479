import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { upgradeAware } from '../../lib/index.js';
import type { UpgradeAwareMiddleware, UpgradeAwareOptions } from '../../lib/index.js';

/** A server listening on 127.0.0.1 at a free port, closed with every connection it holds. */
export interface Running {
  server: http.Server;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 port 0 and tracks sockets so `close()` never waits on a kept-alive connection. */
export async function listen(server: http.Server): Promise<Running> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A backend from a plain request handler. */
export function startUpstream(handler: http.RequestListener): Promise<Running> {
  return listen(http.createServer(handler));
}

/** What a recording backend saw of one request. */
export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** A backend that records each request and answers with `reply` (default: 200 `ok`). */
export async function startRecorder(
  reply: (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen) => void = (_req, res) => res.end('ok'),
): Promise<Running & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const running = await startUpstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry: Seen = { method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) };
      seen.push(entry);
      reply(req, res, entry);
    });
  });
  return Object.assign(running, { seen });
}

/** The proxy in a plain node:http server, its upgrade listener wired. */
export async function startProxy(options: UpgradeAwareOptions): Promise<Running & { proxy: UpgradeAwareMiddleware }> {
  const proxy = upgradeAware(options);
  const server = http.createServer(proxy);
  server.on('upgrade', proxy.upgrade);
  const running = await listen(server);
  const closeServer = running.close;
  return Object.assign(running, {
    proxy,
    async close() {
      await proxy.close();
      await closeServer();
    },
  });
}

/** A plain GET/POST through node:http without keep-alive; resolves with status, headers and body. */
export function request(
  url: string,
  init: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
