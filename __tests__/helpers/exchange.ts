import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { createExchange } from '../../lib/http/exchange.js';
import type { Exchange } from '../../lib/http/exchange.js';
import { resolveOptions } from '../../lib/options.js';
import type { ResolvedOptions } from '../../lib/options.js';
import type { UpgradeAwareOptions } from '../../lib/types.js';
import type { BackendResponse } from '../../lib/transport/backend-response.js';

/** One request as a real node:http server received it, with the client socket that sent it. */
export interface Received {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** The client's end of the connection. */
  client: net.Socket;
  /** Everything the client has received once the connection closes (send `Connection: close`). */
  response(): Promise<string>;
}

/**
 * A real node:http server on 127.0.0.1 port 0 that hands over each request it receives, so that
 * units can be tested on genuine `IncomingMessage`/`ServerResponse` objects (as HPM's test-utils
 * do). Requests are written as raw bytes, which keeps header case, order and repetition exact.
 */
export class RequestSource {
  private readonly waiting = new Map<
    number,
    (pair: { req: http.IncomingMessage; res: http.ServerResponse }) => void
  >();
  private readonly clients = new Set<net.Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.waiting.get(req.socket.remotePort!)?.({ req, res });
    });
  }

  /** Starts the server; `host` may be `::ffff:127.0.0.1` to see IPv4-mapped client addresses. */
  static async start(host = '127.0.0.1'): Promise<RequestSource> {
    const server = http.createServer();
    server.listen(0, host);
    await once(server, 'listening');
    return new RequestSource(server, (server.address() as AddressInfo).port);
  }

  /** Writes `raw` (request head, and body if any) on a new connection; resolves when the server has parsed the head. */
  async send(raw: string | Buffer): Promise<Received> {
    const client = net.connect(this.port, '127.0.0.1');
    this.clients.add(client);
    client.once('close', () => this.clients.delete(client));
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    client.on('error', () => {}); // a destroyed response shows up as a reset; tests look at the bytes
    const closed = new Promise((resolve) => client.once('close', resolve));
    await once(client, 'connect');
    const pair = new Promise<{ req: http.IncomingMessage; res: http.ServerResponse }>((resolve) => {
      this.waiting.set(client.localPort!, resolve);
    });
    client.write(raw);
    const { req, res } = await pair;
    this.waiting.delete(client.localPort!);
    return {
      req,
      res,
      client,
      async response() {
        await closed;
        return Buffer.concat(chunks).toString('latin1');
      },
    };
  }

  /** Destroys every connection and closes the server. */
  async close(): Promise<void> {
    for (const client of this.clients) client.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A raw request head: `head('GET / HTTP/1.1', 'Host: a')` -> `GET / HTTP/1.1\r\nHost: a\r\n\r\n`. */
export function head(requestLine: string, ...headerLines: string[]): string {
  return [requestLine, ...headerLines, '', ''].join('\r\n');
}

/** Does what Express/Connect do for `app.use(mount, ...)`: `originalUrl` keeps the full target, `url` loses the mount. */
export function mountAt(req: http.IncomingMessage, mount: string): void {
  const full = req.url!;
  if (!full.startsWith(mount)) throw new Error(`${full} is not under ${mount}`);
  const rest = full.slice(mount.length);
  Object.assign(req, { originalUrl: full });
  req.url = rest.startsWith('/') ? rest : '/' + rest;
}

/** resolveOptions for a unit test. It builds no backend client (the transport does), so nothing needs releasing. */
export function options(input: UpgradeAwareOptions): ResolvedOptions {
  return resolveOptions(input);
}

/** Receives `raw` from `source` and wraps it in an Exchange with `input` resolved. */
export async function exchangeFor(
  source: RequestSource,
  raw: string,
  input: UpgradeAwareOptions,
  mount?: string,
): Promise<Exchange> {
  const { req, res } = await source.send(raw);
  if (mount !== undefined) mountAt(req, mount);
  return createExchange(req, res, options(input));
}

/**
 * A {@link RequestSource} for the whole test file: started before the first test, closed after
 * the last. Returns a getter, valid inside tests.
 */
export function useRequestSource(): () => RequestSource {
  let source: RequestSource | undefined;
  beforeAll(async () => {
    source = await RequestSource.start();
  });
  afterAll(async () => {
    await source?.close();
  });
  return () => source!;
}

/** A backend's 200 answer with these headers (lower-case names) and an empty body, for the response stages. */
export function backendWith(headers: Record<string, string[]>): BackendResponse {
  return {
    status: 200,
    statusMessage: 'OK',
    headers: new Map(Object.entries(headers)),
    body: Readable.from([]),
    trailers: () => [],
  };
}
