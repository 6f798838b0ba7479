// The upgrade path end to end, over raw sockets: a non-WebSocket protocol, request bodies,
// throttling, teardown, lifecycle and descriptor leaks, errors in the listener, and the ways
// of wiring it into Express 5, Express 4 and Connect (mounts and routeUpgrades).
import http from 'node:http';
import net from 'node:net';
import { EventEmitter, once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import connect from 'connect';
import express from 'express';
import { routeUpgrades, upgradeAware } from '../../lib/index.js';
import type { UpgradeAwareMiddleware, UpgradeAwareOptions } from '../../lib/index.js';
import {
  closedPort,
  listen,
  request,
  startProxy,
  startRecorder,
  type Running,
} from '../helpers/servers.js';

// Express 4 is installed under the alias `express4` without types; what is used here is Express 5's API.
const express4 = createRequire(__filename)('express4') as typeof express;

/** A 101 head with odd spacing and casing, which must reach the client byte for byte. */
const ODD_101 =
  'HTTP/1.1 101 switching   Protocols\r\nupgrade:SPDY/3.1\r\nCONNECTION:   Upgrade  \r\nX-Stream-Protocol-Version:v4.channel.k8s.io\r\n\r\n';
const PLAIN_101 =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\n';

/** A kubectl-exec-like upgrade request that is not a WebSocket. */
function spdyRequest(path = '/exec?command=sh', extra: string[] = []): string {
  return [
    `POST ${path} HTTP/1.1`,
    'Host: proxy.test',
    'Connection: Upgrade',
    'Upgrade: SPDY/3.1',
    'X-Stream-Protocol-Version: v4.channel.k8s.io',
    ...extra,
    '',
    '',
  ].join('\r\n');
}

/** Polls `check` until it holds; the timeout is generous, the test does not depend on speed. */
async function eventually(check: () => boolean, what: string, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// --- a raw client ---------------------------------------------------------------------------

const clients = new Set<RawClient>();

/** A node:net client that keeps every byte it receives and knows when the connection closed. */
class RawClient {
  private readonly chunks: Buffer[] = [];
  private readonly waiters = new Set<() => void>();
  closedFlag = false;
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    clients.add(this);
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.notify();
    });
    socket.on('error', () => {}); // resets are part of several tests; they look at 'close'
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedFlag = true;
        clients.delete(this);
        this.notify();
        resolve();
      }),
    );
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves with the text received once `check` holds of it; rejects if the connection closes first. */
  until(check: (text: string) => boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      const test = (): void => {
        const text = this.text;
        if (check(text)) {
          this.waiters.delete(test);
          resolve(text);
        } else if (this.closedFlag) {
          this.waiters.delete(test);
          reject(
            new Error(`closed before the expected bytes arrived; got ${JSON.stringify(text)}`),
          );
        }
      };
      this.waiters.add(test);
      test();
    });
  }

  /** Everything received until the other side closed the connection. */
  async all(): Promise<string> {
    await this.closed;
    return this.text;
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

async function connectTo(port: number): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  const client = new RawClient(socket);
  await once(socket, 'connect');
  return client;
}

/** Opens a connection, sends `data` and returns the client. */
async function send(port: number, data: string | Buffer): Promise<RawClient> {
  const client = await connectTo(port);
  client.write(data);
  return client;
}

// --- a raw backend --------------------------------------------------------------------------

/** One connection to the raw backend, once its request head has arrived. */
class BackendConn extends EventEmitter {
  /** The request head, without the blank line. */
  head = '';
  /** Every byte that followed the head, in order. */
  readonly received: Buffer[] = [];
  isClosed = false;
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    super();
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  get body(): string {
    return Buffer.concat(this.received).toString('latin1');
  }

  /** A request header's values by lower-case name. */
  header(name: string): string[] {
    return this.head
      .split('\r\n')
      .slice(1)
      .filter((line) => line.slice(0, line.indexOf(':')).toLowerCase() === name)
      .map((line) => line.slice(line.indexOf(':') + 1).trim());
  }
}

type OnRequest = (conn: BackendConn) => void;

/** Answers `reply` (a 101 head by default) and echoes every byte after the request head. */
function echo(reply = ODD_101): OnRequest {
  return (conn) => {
    conn.socket.write(reply);
    conn.on('data', (chunk: Buffer) => conn.socket.write(chunk));
  };
}

interface RawBackend {
  port: number;
  url: string;
  /** TCP connections accepted, whether or not a request head followed. */
  accepted: number;
  conns: BackendConn[];
  /** The `index`th connection, once its head has arrived. */
  conn(index: number): Promise<BackendConn>;
  close(): Promise<void>;
}

const backends: RawBackend[] = [];

/**
 * A backend on node:net that reads the request head itself (nothing of Node's HTTP parser in
 * between), hands the connection to `onRequest`, then emits every later byte as 'data'.
 */
async function startRawBackend(onRequest: OnRequest = echo()): Promise<RawBackend> {
  const sockets = new Set<net.Socket>();
  const conns: BackendConn[] = [];
  const arrived = new EventEmitter();
  const server = net.createServer((socket) => {
    backend.accepted++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const conn = new BackendConn(socket);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (conn.head !== '' || pending === null) {
        conn.received.push(chunk);
        conn.emit('data', chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      const end = pending.indexOf('\r\n\r\n');
      if (end === -1) return;
      conn.head = pending.subarray(0, end).toString('latin1');
      const rest = pending.subarray(end + 4);
      conns.push(conn);
      onRequest(conn);
      arrived.emit('conn');
      if (rest.length > 0) {
        conn.received.push(rest);
        conn.emit('data', rest);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const backend: RawBackend = {
    port,
    url: `http://127.0.0.1:${port}`,
    accepted: 0,
    conns,
    async conn(index) {
      while (conns.length <= index) await once(arrived, 'conn');
      return conns[index]!;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  backends.push(backend);
  return backend;
}

// --- proxies and cleanup --------------------------------------------------------------------

const running: Running[] = [];

async function proxyTo(
  options: UpgradeAwareOptions,
): Promise<Running & { proxy: UpgradeAwareMiddleware }> {
  const proxy = await startProxy(options);
  running.push(proxy);
  return proxy;
}

/** A server running `app`, closed with the proxies it uses after each test. */
async function serve(
  handler: http.RequestListener,
  proxies: UpgradeAwareMiddleware[],
  upgrade?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void,
): Promise<Running> {
  const server = http.createServer(handler);
  if (upgrade) server.on('upgrade', upgrade);
  const served = await listen(server);
  const closeServer = served.close;
  running.push(
    Object.assign(served, {
      async close() {
        for (const proxy of proxies) await proxy.close();
        await closeServer();
      },
    }),
  );
  return served;
}

afterEach(async () => {
  for (const client of [...clients]) client.socket.destroy();
  for (const r of running.splice(0)) await r.close();
  for (const backend of backends.splice(0)) await backend.close();
});

/** Opens a SPDY tunnel through the proxy on `port` and proves it carries bytes both ways. */
async function openTunnel(port: number, path?: string): Promise<RawClient> {
  const client = await send(port, spdyRequest(path) + 'ping');
  await client.until((text) => text.endsWith('\r\n\r\nping'));
  return client;
}

// --- the tests ------------------------------------------------------------------------------

describe('upgradeAware.upgrade with a protocol other than WebSocket', () => {
  it('tunnels `Upgrade: SPDY/3.1`: early bytes reach the backend, the 101 head reaches the client byte for byte', async () => {
    const backend = await startRawBackend((conn) => {
      conn.socket.write(ODD_101 + 'server speaks first');
      conn.on('data', (chunk: Buffer) => conn.socket.write(chunk));
    });
    const { port, proxy } = await proxyTo({
      location: `${backend.url}/exec?command=sh&stdin=true`,
    });
    // The early bytes travel in the same packet as the request head (the 'upgrade' event's `head`).
    const client = await send(port, spdyRequest('/some/path?x=1') + 'early bytes');
    await client.until(
      (text) => text.length >= ODD_101.length + 'server speaks first'.length + 'early bytes'.length,
    );
    expect(client.text).toBe(ODD_101 + 'server speaks first' + 'early bytes');

    const conn = await backend.conn(0);
    expect(conn.head.split('\r\n')[0]).toBe('POST /exec?command=sh&stdin=true HTTP/1.1');
    expect(conn.header('host')).toEqual(['proxy.test']);
    expect(conn.header('upgrade')).toEqual(['SPDY/3.1']);
    expect(conn.header('connection')).toEqual(['Upgrade']);
    expect(conn.header('x-stream-protocol-version')).toEqual(['v4.channel.k8s.io']);
    expect(conn.header('x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(conn.body.startsWith('early bytes')).toBe(true);

    client.write('and later ones');
    await client.until((text) => text.endsWith('early bytesand later ones'));
    expect(conn.body).toBe('early bytesand later ones');
    expect(proxy.tunnels).toBe(1);
  });

  it('passes binary bytes unchanged in both directions', async () => {
    const backend = await startRawBackend(echo(PLAIN_101));
    const { port } = await proxyTo({ location: backend.url });
    const client = await send(port, spdyRequest());
    await client.until((text) => text === PLAIN_101);
    const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    client.write(payload);
    const text = await client.until((t) => t.length >= PLAIN_101.length + payload.length);
    expect(Buffer.from(text.slice(PLAIN_101.length), 'latin1').equals(payload)).toBe(true);
  });
});

describe('upgradeAware with a request body on an upgrade that arrives as a plain request', () => {
  // Without an Upgrade header Node gives `Connection: Upgrade` to the request handler, body and all.
  it.each([
    ['Content-Length', ['Content-Length: 11'], 'hello world'],
    ['chunked', ['Transfer-Encoding: chunked'], '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'],
  ])(
    'forwards a %s body to the backend and relays its error answer',
    async (_name, framing, body) => {
      const backend = await startRecorder((_req, res) => {
        res.writeHead(400, { 'Content-Type': 'text/plain', 'Content-Length': 7 }).end('refused');
      });
      running.push(backend);
      const { port } = await proxyTo({ location: `${backend.url}/exec` });
      const client = await send(
        port,
        [
          'POST /some/path HTTP/1.1',
          'Host: proxy.test',
          'Connection: Upgrade',
          ...framing,
          '',
          '',
        ].join('\r\n') + body,
      );
      const text = await client.all();
      expect(text).toMatch(/^HTTP\/1\.1 400 /);
      expect(text.endsWith('\r\n\r\nrefused')).toBe(true);
      expect(backend.seen).toHaveLength(1);
      expect(backend.seen[0]!.url).toBe('/exec');
      expect(backend.seen[0]!.headers.connection).toBe('Upgrade');
      expect(backend.seen[0]!.body.toString()).toBe('hello world');
    },
  );
});

describe('upgradeAware option maxBytesPerSec', () => {
  interface Sample {
    t: number;
    n: number;
  }

  /**
   * What the receiving side measured: the rate after the first window (which passes at once),
   * and a check that by every arrival no more had come than one quota per 100 ms window elapsed
   * plus the first two. That bound holds however late the timers run; the rate shows accuracy.
   */
  function measure(samples: Sample[], quota: number): { rate: number; ahead: number } {
    const t0 = samples[0]!.t;
    let total = 0;
    let ahead = 0;
    for (const { t, n } of samples) {
      total += n;
      ahead = Math.max(ahead, total - (Math.floor((t - t0) / 100) + 2) * quota);
    }
    return { rate: (total - quota) / ((samples[samples.length - 1]!.t - t0) / 1000), ahead };
  }

  it('throttles each direction to the rate, within 5% over 256 KiB at 64 KiB/s', async () => {
    const RATE = 64 * 1024;
    const SIZE = 256 * 1024;
    const QUOTA = Math.round(RATE / 10);
    const atBackend: Sample[] = [];
    const atClient: Sample[] = [];
    let backendTotal = 0;
    let clientTotal = 0;
    const backend = await startRawBackend((conn) => {
      conn.socket.write(PLAIN_101);
      conn.on('data', (chunk: Buffer) => {
        atBackend.push({ t: performance.now(), n: chunk.length });
        // Sent once the tunnel carries bytes, so that none of it rides along with the 101 head.
        if (backendTotal === 0) conn.socket.write(Buffer.alloc(SIZE, 2));
        backendTotal += chunk.length;
      });
    });
    const { port } = await proxyTo({ location: backend.url, maxBytesPerSec: RATE });
    const socket = net.connect(port, '127.0.0.1');
    const client = new RawClient(socket);
    await once(socket, 'connect');
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      if (head.endsWith('\r\n\r\n')) {
        atClient.push({ t: performance.now(), n: chunk.length });
        clientTotal += chunk.length;
        return;
      }
      head += chunk.toString('latin1');
      expect(head.length).toBeLessThanOrEqual(PLAIN_101.length);
      if (head === PLAIN_101) socket.write(Buffer.alloc(SIZE, 1));
    });
    client.write(spdyRequest());
    await eventually(
      () => backendTotal === SIZE && clientTotal === SIZE,
      'both directions have carried 256 KiB',
      40_000,
    );
    for (const [direction, samples] of [
      ['client to backend', atBackend],
      ['backend to client', atClient],
    ] as const) {
      const { rate, ahead } = measure(samples, QUOTA);
      // `rate` is not matched, only shown when the check fails.
      expect({
        direction,
        ahead,
        withinFivePercent: Math.abs(rate - RATE) / RATE <= 0.05,
        rate: Math.round(rate),
      }).toMatchObject({ direction, ahead: 0, withinFivePercent: true });
    }
  }, 60_000);
});

describe('upgradeAware tunnel teardown', () => {
  it.each([0, 1024 * 1024])(
    'closes the backend when the client closes (maxBytesPerSec %i)',
    async (maxBytesPerSec) => {
      const backend = await startRawBackend();
      const { port, proxy } = await proxyTo({ location: backend.url, maxBytesPerSec });
      const client = await openTunnel(port);
      const conn = await backend.conn(0);
      client.socket.end();
      await conn.closed;
      await client.closed;
      await eventually(() => proxy.tunnels === 0, 'the tunnel is counted as closed');
    },
  );

  it('closes the client when the backend closes, after delivering its last bytes', async () => {
    const backend = await startRawBackend();
    const { port, proxy } = await proxyTo({ location: backend.url });
    const client = await openTunnel(port);
    const conn = await backend.conn(0);
    conn.socket.end('goodbye');
    const text = await client.all();
    expect(text.endsWith('pinggoodbye')).toBe(true);
    await eventually(() => proxy.tunnels === 0, 'the tunnel is counted as closed');
  });

  it('closes both when the backend resets the connection', async () => {
    const backend = await startRawBackend();
    const { port, proxy } = await proxyTo({ location: backend.url });
    const client = await openTunnel(port);
    const conn = await backend.conn(0);
    conn.socket.resetAndDestroy();
    await client.closed;
    await eventually(() => proxy.tunnels === 0, 'the tunnel is counted as closed');
  });

  it('closes the backend when the client resets the connection', async () => {
    const backend = await startRawBackend();
    const { port, proxy } = await proxyTo({ location: backend.url });
    const client = await openTunnel(port);
    const conn = await backend.conn(0);
    client.socket.resetAndDestroy();
    await conn.closed;
    await eventually(() => proxy.tunnels === 0, 'the tunnel is counted as closed');
  });
});

describe('upgradeAware lifecycle', () => {
  it('counts live tunnels in `tunnels`, and close() ends every tunnel and pending upgrade', async () => {
    const backend = await startRawBackend((conn) => {
      if (!conn.head.startsWith('POST /hold ')) echo()(conn);
    });
    const { port, proxy } = await proxyTo({ location: backend.url, useRequestLocation: true });
    expect(proxy.tunnels).toBe(0);
    const tunnels = [await openTunnel(port), await openTunnel(port), await openTunnel(port)];
    expect(proxy.tunnels).toBe(3);
    tunnels[0]!.socket.end();
    await eventually(() => proxy.tunnels === 2, 'one tunnel fewer');
    const pending = await send(port, spdyRequest('/hold'));
    const held = await backend.conn(3);
    expect(proxy.tunnels).toBe(2);

    await proxy.close();
    await Promise.all([tunnels[1]!.closed, tunnels[2]!.closed, pending.closed]);
    await Promise.all(backend.conns.map((conn) => conn.closed));
    expect(held.isClosed).toBe(true);
    expect(pending.text).toBe('');
    expect(proxy.tunnels).toBe(0);
  });

  it('leaks no file descriptors over 500 tunnels opened and closed', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const backend = await startRawBackend();
    const { port, proxy } = await proxyTo({ location: backend.url });
    const tunnel = async (i: number): Promise<void> => {
      const client = await openTunnel(port);
      if (i % 2 === 0) client.socket.end();
      else (await backend.conn(i)).socket.end();
      await client.closed;
    };
    await tunnel(0); // warm-up: lazily loaded code and the like are not leaks
    await eventually(
      () => proxy.tunnels === 0 && backend.conns.every((conn) => conn.isClosed),
      'the warm-up tunnel has closed',
    );
    const before = fds();
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => tunnel(1 + batch * 50 + i)));
    }
    expect(backend.conns).toHaveLength(501);
    await eventually(
      () => proxy.tunnels === 0 && backend.conns.every((conn) => conn.isClosed),
      'every tunnel has closed',
      30_000,
    );
    await eventually(
      () => fds() <= before,
      `the open descriptors are back to ${before} (now ${fds()})`,
      30_000,
    );
  }, 90_000);
});

describe('upgradeAware errors in the upgrade listener', () => {
  it('answers a refused dial with the default responder on the raw socket, then closes it', async () => {
    const port = await closedPort();
    const { port: proxyPort } = await proxyTo({ location: `http://127.0.0.1:${port}/` });
    const client = await send(proxyPort, spdyRequest());
    const text = await client.all();
    const body = `error dialing backend: connect ECONNREFUSED 127.0.0.1:${port}\n`;
    expect(text).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(text).toMatch(/\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
    expect(text).toContain(`\r\nContent-Length: ${body.length}\r\n`);
    expect(text.endsWith(`\r\n\r\n${body}`)).toBe(true);
  });

  it('gives a custom responder a ServerResponse bound to the raw socket; its status reaches the client', async () => {
    const port = await closedPort();
    const calls: { code: unknown; isResponse: boolean; boundToSocket: boolean }[] = [];
    const { port: proxyPort } = await proxyTo({
      location: `http://127.0.0.1:${port}/`,
      responder(err, req, res) {
        calls.push({
          code: (err as { code?: unknown }).code,
          isResponse: res instanceof http.ServerResponse,
          boundToSocket: res.socket === req.socket,
        });
        res.writeHead(418, { 'X-Responder': 'custom' });
        res.end('teapot'); // no length given: Node frames it chunked, a real HTTP response
      },
    });
    const client = await send(proxyPort, spdyRequest());
    const text = await client.all();
    expect(text).toMatch(/^HTTP\/1\.1 418 /);
    expect(text).toMatch(/\r\nX-Responder: custom\r\n/);
    expect(text).toMatch(/\r\nTransfer-Encoding: chunked\r\n/);
    expect(text.endsWith('\r\n\r\n6\r\nteapot\r\n0\r\n\r\n')).toBe(true);
    expect(calls).toEqual([{ code: 'ERR_PROXY_DIAL', isResponse: true, boundToSocket: true }]);
  });

  it('falls back to the default responder when the custom one throws', async () => {
    const port = await closedPort();
    const { port: proxyPort } = await proxyTo({
      location: `http://127.0.0.1:${port}/`,
      responder() {
        throw new Error('responder bug');
      },
    });
    const text = await (await send(proxyPort, spdyRequest())).all();
    expect(text).toMatch(/^HTTP\/1\.1 502 /);
    expect(text).toContain('error dialing backend: ');
  });

  it('hands a wrapRequest rejection to the responder without dialing', async () => {
    const backend = await startRawBackend();
    const codes: unknown[] = [];
    const { port } = await proxyTo({
      location: backend.url,
      upgradeTransport: { wrapRequest: () => Promise.reject(new Error('no token for you')) },
      responder(err, _req, res) {
        codes.push((err as { code?: unknown }).code);
        res.statusCode = 567;
        res.end(err.message);
      },
    });
    const text = await (await send(port, spdyRequest())).all();
    expect(text).toMatch(/^HTTP\/1\.1 567 /);
    expect(text.endsWith('no token for you')).toBe(true);
    expect(codes).toEqual(['ERR_PROXY_WRAP_REQUEST']);
    expect(backend.accepted).toBe(0);
  });

  it('refuses a header with CR/LF from wrapRequest: nothing is injected, nothing is dialled', async () => {
    const backend = await startRawBackend();
    const codes: unknown[] = [];
    const { port } = await proxyTo({
      location: backend.url,
      upgradeTransport: {
        wrapRequest: (init) => ({
          ...init,
          headers: { ...init.headers, authorization: 'Bearer x\r\n\r\nGET /injected HTTP/1.1' },
        }),
      },
      responder(err, _req, res) {
        codes.push((err as { code?: unknown }).code);
        res.statusCode = 567;
        res.end();
      },
    });
    const text = await (await send(port, spdyRequest())).all();
    expect(text).toMatch(/^HTTP\/1\.1 567 /);
    expect(codes).toEqual(['ERR_PROXY_WRAP_REQUEST']);
    expect(backend.accepted).toBe(0);
  });

  it('survives a client reset during the handshake, closes the backend and keeps serving', async () => {
    const backend = await startRawBackend((conn) => {
      if (!conn.head.startsWith('POST /slow ')) echo()(conn);
    });
    const { port, proxy } = await proxyTo({ location: backend.url, useRequestLocation: true });
    const client = await send(port, spdyRequest('/slow'));
    const held = await backend.conn(0);
    client.socket.resetAndDestroy();
    await client.closed;
    held.socket.write(PLAIN_101); // the proxy learns of the reset at the latest when it relays this
    await held.closed;
    await eventually(() => proxy.tunnels === 0, 'no tunnel is left');
    const next = await openTunnel(port, '/fine');
    expect(next.text.startsWith(ODD_101)).toBe(true);
  });

  it('closes the backend when the client resets during the handshake, though the backend stays silent', async () => {
    const backend = await startRawBackend(() => {});
    const { port } = await proxyTo({ location: backend.url, useRequestLocation: true });
    const client = await send(port, spdyRequest('/silent'));
    const held = await backend.conn(0);
    client.socket.resetAndDestroy();
    await held.closed;
    expect(held.head.startsWith('POST /silent ')).toBe(true);
  });

  it('forwards bytes the client sends while the backend is still deciding, right after the switch', async () => {
    let release: (() => void) | undefined;
    const backend = await startRawBackend((conn) => {
      release = () => echo(PLAIN_101)(conn);
    });
    const { port } = await proxyTo({ location: backend.url, useRequestLocation: true });
    const client = await send(port, spdyRequest('/wait'));
    await backend.conn(0);
    client.write('sent-before-the-switch;');
    await eventually(() => release !== undefined, 'the backend has the request');
    release!();
    await client.until((text) => text.includes('sent-before-the-switch;'));
  });

  it('survives an error emitted on the client socket while the backend is being asked', async () => {
    const backend = await startRawBackend(() => {});
    const proxied = await proxyTo({ location: backend.url });
    let clientSide: Duplex | undefined;
    proxied.server.prependListener('upgrade', (_req: http.IncomingMessage, socket: Duplex) => {
      clientSide = socket;
    });
    const client = await send(proxied.port, spdyRequest());
    const held = await backend.conn(0);
    clientSide!.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await client.closed;
    await held.closed;
    expect(proxied.proxy.tunnels).toBe(0);
  });
});

// --- frameworks ------------------------------------------------------------------------------

/** A backend taking plain requests and upgrades (101, then echo), recording the path of each. */
async function startDualBackend(): Promise<Running & { seen: string[] }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`plain ${req.url}`);
    res.end(`plain ${req.url}`);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    seen.push(`upgrade ${req.url}`);
    socket.on('error', () => socket.destroy());
    socket.write(PLAIN_101);
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
  });
  const served = await listen(server);
  running.push(served);
  return Object.assign(served, { seen });
}

/** A SPDY/3.1 upgrade request head for `path`, with `extra` header lines. */
function upgradeHead(path: string, extra: string[]): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    'Host: proxy.test',
    'Connection: Upgrade',
    'Upgrade: SPDY/3.1',
  ];
  return [...lines, ...extra, '', ''].join('\r\n');
}

/** Sends an upgrade for `path` (with `extra` header lines) and waits for the echo of `ping` through the tunnel. */
async function tunnelThrough(port: number, path: string, extra: string[] = []): Promise<RawClient> {
  const client = await send(port, upgradeHead(path, extra) + 'ping');
  await client.until((text) => text === PLAIN_101 + 'ping');
  return client;
}

/** Sends an upgrade for `path` and returns everything received until the server closed the connection. */
async function refusedUpgrade(port: number, path: string, extra: string[] = []): Promise<string> {
  const client = await send(port, upgradeHead(path, extra));
  return client.all();
}

type Framework = [
  name: string,
  make: () => { use(path: string, fn: unknown): unknown } & http.RequestListener,
];

const frameworks: Framework[] = [
  ['Express 5', () => express() as unknown as ReturnType<Framework[1]>],
  ['Express 4', () => express4() as unknown as ReturnType<Framework[1]>],
  ['Connect', () => connect() as unknown as ReturnType<Framework[1]>],
];

describe("upgradeAware mounted with app.use('/proxy', proxy) and server.on('upgrade', proxy.upgrade)", () => {
  describe.each(frameworks)('in %s', (_name, make) => {
    it('sends an upgrade and a plain request for /proxy/x to the same backend path, the upgrade first', async () => {
      const backend = await startDualBackend();
      const proxy = upgradeAware({ location: `${backend.url}/`, useRequestLocation: true });
      const app = make();
      app.use('/proxy', proxy);
      const { port } = await serve(app, [proxy], proxy.upgrade);
      await tunnelThrough(port, '/proxy/x/y?watch=1');
      const plain = await request(`http://127.0.0.1:${port}/proxy/x/y?watch=1`);
      expect(plain.body.toString()).toBe('plain /x/y?watch=1');
      expect(backend.seen).toEqual(['upgrade /x/y?watch=1', 'plain /x/y?watch=1']);
    });

    it('answers an upgrade outside the mount 404 and closes it when no other listener exists', async () => {
      const backend = await startDualBackend();
      const proxy = upgradeAware({ location: `${backend.url}/`, useRequestLocation: true });
      const app = make();
      app.use('/proxy', proxy);
      const { port } = await serve(app, [proxy], proxy.upgrade);
      const text = await refusedUpgrade(port, '/elsewhere/x');
      expect(text).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
      expect(text.endsWith('\r\n\r\nNot Found\n')).toBe(true);
      expect(backend.seen).toEqual([]);
    });
  });

  it.each(['before', 'after'])(
    'leaves an upgrade outside the mount to another listener registered %s it',
    async (order) => {
      const backend = await startDualBackend();
      const proxy = upgradeAware({ location: `${backend.url}/`, useRequestLocation: true });
      const app = express();
      app.use('/proxy', proxy);
      const other = (req: http.IncomingMessage, socket: Duplex): void => {
        if (req.url!.startsWith('/proxy')) return;
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\nConnection: close\r\n\r\nother');
      };
      const served = await serve(app, [proxy]);
      if (order === 'before') served.server.on('upgrade', other).on('upgrade', proxy.upgrade);
      else served.server.on('upgrade', proxy.upgrade).on('upgrade', other);
      const text = await refusedUpgrade(served.port, '/elsewhere');
      expect(text).toBe(
        'HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\nConnection: close\r\n\r\nother',
      );
      await tunnelThrough(served.port, '/proxy/in');
      expect(backend.seen).toEqual(['upgrade /in']);
    },
  );

  it('lets two proxies at /a and /b on one server each take their own upgrades, and answers the rest once', async () => {
    const [backendA, backendB] = [await startDualBackend(), await startDualBackend()];
    const a = upgradeAware({ location: `${backendA.url}/`, useRequestLocation: true });
    const b = upgradeAware({ location: `${backendB.url}/`, useRequestLocation: true });
    const app = express();
    app.use('/a', a);
    app.use('/b', b);
    const served = await serve(app, [a, b]);
    served.server.on('upgrade', a.upgrade).on('upgrade', b.upgrade);
    await tunnelThrough(served.port, '/a/one');
    await tunnelThrough(served.port, '/b/two');
    const text = await refusedUpgrade(served.port, '/c/three');
    expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(text).toMatch(/^HTTP\/1\.1 404 /);
    expect(backendA.seen).toEqual(['upgrade /one']);
    expect(backendB.seen).toEqual(['upgrade /two']);
  });
});

describe('upgradeAware.upgrade with mounts it cannot take twice', () => {
  it('follows a mount inside a mounted Express application (/v1 + /proxy)', async () => {
    const backend = await startDualBackend();
    const proxy = upgradeAware({ location: `${backend.url}/`, useRequestLocation: true });
    const inner = express();
    inner.use('/proxy', proxy);
    const outer = express();
    outer.use('/v1', inner);
    const { port } = await serve(outer, [proxy], proxy.upgrade);
    await tunnelThrough(port, '/v1/proxy/x');
    expect(await refusedUpgrade(port, '/proxy/x')).toMatch(/^HTTP\/1\.1 404 /);
    expect(backend.seen).toEqual(['upgrade /x']);
  });

  it('lets only one of overlapping proxies (/a and /a/b) take an upgrade', async () => {
    const [backendA, backendB] = [await startDualBackend(), await startDualBackend()];
    const a = upgradeAware({ location: `${backendA.url}/`, useRequestLocation: true });
    const b = upgradeAware({ location: `${backendB.url}/`, useRequestLocation: true });
    const app = express();
    app.use('/a', a);
    app.use('/a/b', b);
    const served = await serve(app, [a, b]);
    served.server.on('upgrade', a.upgrade).on('upgrade', b.upgrade);
    const client = await tunnelThrough(served.port, '/a/b/c');
    expect(client.text.match(/HTTP\/1\.1 101/g)).toHaveLength(1);
    expect([...backendA.seen, ...backendB.seen]).toHaveLength(1);
  });

  it.each(['before', 'after'])(
    'takes an upgrade once when routeUpgrades(app) is registered %s proxy.upgrade',
    async (order) => {
      const backend = await startDualBackend();
      const proxy = upgradeAware({ location: `${backend.url}/`, useRequestLocation: true });
      const app = express();
      app.use('/proxy', proxy);
      const served = await serve(app, [proxy]);
      const route = routeUpgrades(app);
      if (order === 'before') served.server.on('upgrade', route).on('upgrade', proxy.upgrade);
      else served.server.on('upgrade', proxy.upgrade).on('upgrade', route);
      const client = await tunnelThrough(served.port, '/proxy/x');
      expect(client.text.match(/HTTP\/1\.1 101/g)).toHaveLength(1);
      expect(backend.seen).toEqual(['upgrade /x']);
    },
  );
});

describe('routeUpgrades', () => {
  it('rejects an app that is not a function', () => {
    expect(() => routeUpgrades(undefined as unknown as http.RequestListener)).toThrow(TypeError);
  });

  it('applies the middleware in front of the proxy to upgrades and strips the mount (Express 5)', async () => {
    const backend = await startDualBackend();
    const proxy = upgradeAware({ location: `${backend.url}/`, useRequestLocation: true });
    const app = express();
    app.use((req, res, next) => {
      if (req.headers.authorization === 'Bearer ok') next();
      else res.status(401).type('text/plain').send('who are you?');
    });
    app.use('/proxy', proxy);
    const { port } = await serve(app, [proxy], routeUpgrades(app));

    const refused = await refusedUpgrade(port, '/proxy/x');
    expect(refused).toMatch(/^HTTP\/1\.1 401 /);
    expect(refused.endsWith('who are you?')).toBe(true);
    expect(backend.seen).toEqual([]);

    await tunnelThrough(port, '/proxy/x?y=1', ['Authorization: Bearer ok']);
    const plain = await request(`http://127.0.0.1:${port}/proxy/x?y=1`, {
      headers: { Authorization: 'Bearer ok' },
    });
    expect(plain.status).toBe(200);
    expect(backend.seen).toEqual(['upgrade /x?y=1', 'plain /x?y=1']);

    const unrouted = await refusedUpgrade(port, '/nowhere', ['Authorization: Bearer ok']);
    expect(unrouted).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(unrouted.endsWith('Not Found\n')).toBe(true);
    expect(backend.seen).toHaveLength(2);
  });

  it.each(frameworks)(
    'routes upgrades through %s: the mount is stripped, an unrouted one gets 404',
    async (_name, make) => {
      const backend = await startDualBackend();
      const proxy = upgradeAware({ location: `${backend.url}/`, useRequestLocation: true });
      const app = make();
      app.use('/proxy', proxy);
      const { port } = await serve(app, [proxy], routeUpgrades(app));
      await tunnelThrough(port, '/proxy/deep/path');
      const text = await refusedUpgrade(port, '/other');
      expect(text).toMatch(/^HTTP\/1\.1 404 /);
      expect(backend.seen).toEqual(['upgrade /deep/path']);
    },
  );

  it('answers 500 and closes when the application fails the upgrade with an error', async () => {
    const backend = await startDualBackend();
    const app = connect();
    app.use(() => {
      throw new Error('middleware bug');
    });
    const { port } = await serve(
      app as unknown as http.RequestListener,
      [],
      routeUpgrades(app as unknown as http.RequestListener),
    );
    const text = await refusedUpgrade(port, '/proxy/x');
    expect(text).toMatch(/^HTTP\/1\.1 500 /);
    expect(backend.seen).toEqual([]);
  });
});
