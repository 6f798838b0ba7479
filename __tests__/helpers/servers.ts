import http from 'node:http';
import https from 'node:https';
import express from 'express';
import { connect, createServer } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
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

/** How many connections `server` holds now. */
export function connections(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((err, count) => (err ? reject(err) : resolve(count))),
  );
}

/** A backend from a plain request handler. */
export function startUpstream(handler: http.RequestListener): Promise<Running> {
  return listen(http.createServer(handler));
}

/**
 * The lowest port the system hands out to `listen(0)` and to outgoing connections: Linux's
 * `ip_local_port_range`, elsewhere 32768 (macOS and Windows start theirs at 49152).
 */
function ephemeralFloor(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
  } catch {
    return 32768;
  }
}

/** Listens on `port` of 127.0.0.1 and closes again: false when the port is taken. */
async function free(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch {
    return false;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return true;
}

/**
 * A port on 127.0.0.1 that nothing listens on, so connecting to it is refused, and that no test's
 * server is given meanwhile. It is taken from below the ports the system hands out: a port freed
 * from that range can go to the next server a test opens on port 0 in another worker, and a test
 * that expected a refusal then gets that server's answer (seen once: a complete response where
 * the connection should have been refused). The port is checked free by listening on it once.
 *
 * @example const proxy = await startProxy({ location: `http://127.0.0.1:${await closedPort()}/` });
 */
export async function closedPort(): Promise<number> {
  const floor = Math.max(ephemeralFloor(), 2048);
  for (;;) {
    const port = 1024 + Math.floor(Math.random() * (floor - 1024));
    if (await free(port)) return port;
  }
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
  reply: (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen) => void = (_req, res) =>
    res.end('ok'),
): Promise<Running & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const running = await startUpstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry: Seen = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
      };
      seen.push(entry);
      reply(req, res, entry);
    });
  });
  return Object.assign(running, { seen });
}

/** The proxy in a plain node:http server, its upgrade listener wired. */
export async function startProxy(
  options: UpgradeAwareOptions,
): Promise<Running & { proxy: UpgradeAwareMiddleware }> {
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
    const req = http.request(
      url,
      { method: init.method ?? 'GET', headers: init.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A response read off a raw socket: the head as sent, and every byte after it until the server closed. */
export interface RawResponse {
  status: number;
  /** Header values by lower-case name, in the order received. */
  headers: Record<string, string[]>;
  head: string;
  body: Buffer;
}

/** Writes `data` on `socket` once connected and reads every byte until the server closes it. */
async function readUntilClose(
  socket: Socket,
  connected: string,
  data: string | Buffer,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  try {
    await once(socket, connected);
    socket.write(data);
    await once(socket, 'end');
  } finally {
    socket.destroy();
  }
  return Buffer.concat(chunks);
}

/** Splits a response read off the wire into status, headers, head text and the bytes after the head. */
function parseRaw(all: Buffer): RawResponse {
  const split = all.indexOf('\r\n\r\n');
  if (split === -1)
    throw new Error(`no complete response head in ${JSON.stringify(all.toString('latin1'))}`);
  const head = all.subarray(0, split).toString('latin1');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    (headers[line.slice(0, colon).trim().toLowerCase()] ??= []).push(line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine.split(' ')[1]), headers, head, body: all.subarray(split + 4) };
}

/**
 * Writes `data` as is to 127.0.0.1:`port` over node:net and reads until the server closes the
 * connection, so the body is what the wire carried, not what a Content-Length announced. Send
 * `Connection: close` in `data`.
 */
export async function rawRequest(port: number, data: string | Buffer): Promise<RawResponse> {
  return parseRaw(await readUntilClose(connect(port, '127.0.0.1'), 'connect', data));
}

/** The status Kubernetes' tests' fake responder answers with. */
export const FAKE_STATUS = 567;

/**
 * Kubernetes' `fakeResponder`: answers 567 with the error's message as the body and records every
 * call, so a test can insist on exactly one call (upstream fails the test on a second call).
 */
export function fakeResponder(): {
  responder: (err: Error, req: http.IncomingMessage, res: http.ServerResponse) => void;
  calls: Error[];
} {
  const calls: Error[] = [];
  return {
    calls,
    responder(err, _req, res) {
      calls.push(err);
      res.statusCode = FAKE_STATUS;
      res.end(err.message);
    },
  };
}

/** The payload of a chunked body as read off the wire (extensions and trailers dropped). */
export function dechunk(wire: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = wire.indexOf('\r\n', at);
    if (eol === -1) throw new Error('truncated chunked body');
    const size = parseInt(wire.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size at byte ${at}`);
    if (size === 0) return Buffer.concat(parts);
    parts.push(wire.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/**
 * Like {@link rawRequest}, over TLS when `ca` is given (the server's certificate checked against
 * it), with a chunked body decoded. The request is written as is, so absolute-form request lines
 * (`GET http://foo.com/a HTTP/1.1`) and requests without Host can be sent. Send `Connection: close`.
 */
export async function rawExchange(
  port: number,
  data: string | Buffer,
  options: { ca?: string } = {},
): Promise<RawResponse> {
  const socket =
    options.ca === undefined
      ? connect(port, '127.0.0.1')
      : connectTls({ port, host: '127.0.0.1', ca: options.ca });
  const response = parseRaw(
    await readUntilClose(socket, options.ca === undefined ? 'connect' : 'secureConnect', data),
  );
  const chunked = /(?:^|,)\s*chunked\s*$/i.test(
    response.headers['transfer-encoding']?.join(', ') ?? '',
  );
  return chunked ? { ...response, body: dechunk(response.body) } : response;
}

/**
 * An Express 5 app with each proxy mounted at its path (`app.use(mount, proxy)`, in the order
 * given), served over TLS when `tls` is given; `close()` closes the proxies too.
 */
export async function startExpress(
  mounts: [mount: string, proxy: UpgradeAwareMiddleware][],
  tls?: { cert: string; key: string },
): Promise<Running> {
  const app = express();
  for (const [mount, proxy] of mounts) app.use(mount, proxy);
  const server = tls ? https.createServer(tls, app) : http.createServer(app);
  const running = await listen(server as http.Server);
  const closeServer = running.close;
  return Object.assign(running, {
    async close() {
      for (const proxy of new Set(mounts.map(([, proxy]) => proxy))) await proxy.close();
      await closeServer();
    },
  });
}
