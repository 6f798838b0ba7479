// What a hostile or broken backend can send on the HTTP path, through both transports (an
// http.Agent as `transport`, as the CLI does, and the default undici Agent): header names Node's
// writers refuse, too many 1xx answers, 1xx to an HTTP/1.0 client, 1xx that must not restart the
// head timer, a 101 to a plain request, and response heads up to `maxResponseHeaderSize`. Crashes
// and memory growth are covered with the proxy in a child process (backend-hostile-child.test.ts).
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { ProxyError, UpgradeAwareOptions } from '../../lib/index.js';
import { upgradeAware } from '../../lib/index.js';
import { createExchange } from '../../lib/http/exchange.js';
import { relayInformational } from '../../lib/http/informational.js';
import { resolveOptions } from '../../lib/options.js';
import { Agent as UndiciAgent } from 'undici';
import { guard } from '../helpers/child.js';
import {
  FAKE_STATUS,
  fakeResponder,
  listen,
  rawRequest,
  startExpress,
  startProxy,
} from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

/** A backend that writes raw bytes: `answer` gets each connection once its request head is in. */
interface RawBackend {
  url: string;
  /**
   * Connections that got a request and are still open. (After an abort undici may open a spare
   * connection, idle until its keep-alive timeout: that one sent nothing and is not counted.)
   */
  open(): number;
  close(): Promise<void>;
}

async function rawBackend(answer: (socket: net.Socket, head: string) => void): Promise<RawBackend> {
  const sockets = new Set<net.Socket>();
  const served = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => {
      sockets.delete(socket);
      served.delete(socket);
    });
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.removeListener('data', onData);
      served.add(socket);
      answer(socket, head);
    };
    socket.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    open: () => served.size,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const EARLY_HINTS = 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n';
const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

/** What the client saw: the 1xx codes, then the final status, headers and body. */
interface Seen {
  informational: number[];
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A GET that accepts response heads up to 2 MiB and records the 1xx answers it gets. */
function get(url: string): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const informational: number[] = [];
    const req = http.get(url, { agent: false, maxHeaderSize: 2 * 1024 * 1024 }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ informational, status: res.statusCode!, headers: res.headers, body }),
      );
      res.on('error', reject);
    });
    req.on('information', (info) => informational.push(info.statusCode));
    req.on('error', reject);
  });
}

type Kind = 'an http.Agent' | 'the default undici Agent';
const KINDS: Kind[] = ['an http.Agent', 'the default undici Agent'];

/** The proxy in front of `backend`, through the given kind of transport, its errors recorded. */
async function proxyTo(
  backend: RawBackend,
  kind: Kind,
  options: Partial<UpgradeAwareOptions> = {},
): Promise<Running & { errors: Error[]; agent?: http.Agent }> {
  const { responder, calls } = fakeResponder();
  const agent = kind === 'an http.Agent' ? new http.Agent({ keepAlive: true }) : undefined;
  const proxy = await startProxy({
    location: backend.url,
    responder,
    ...(agent ? { transport: agent } : {}),
    ...options,
  });
  return Object.assign(proxy, { errors: calls, agent });
}

let backend: RawBackend | undefined;
let proxy: (Running & { agent?: http.Agent }) | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy?.agent?.destroy();
  await backend?.close();
  proxy = undefined;
  backend = undefined;
});

describe('upgradeAware with a backend sending header names Node refuses', () => {
  const head =
    'HTTP/1.1 200 OK\r\nX-A : spaced\r\n: empty\r\nX-Good: yes\r\nContent-Length: 2\r\n\r\nok';

  it('drops them from the response head and relays the rest through undici', async () => {
    backend = await rawBackend((socket) => socket.write(head));
    const running = await proxyTo(backend, 'the default undici Agent');
    proxy = running;
    const seen = await get(running.url);
    expect([seen.status, seen.body, seen.headers['x-good']]).toEqual([200, 'ok', 'yes']);
    expect(
      Object.keys(seen.headers).filter((name) => name.startsWith('x-a') || name === ''),
    ).toEqual([]);
    expect(running.errors).toEqual([]);
  });

  it('drops them behind Express too, where the headers go through setHeader', async () => {
    backend = await rawBackend((socket) => socket.write(head));
    const { responder, calls } = fakeResponder();
    proxy = await startExpress([['/', upgradeAware({ location: backend.url, responder })]]);
    const seen = await get(proxy.url);
    expect([seen.status, seen.body, seen.headers['x-good'], seen.headers['x-powered-by']]).toEqual([
      200,
      'ok',
      'yes',
      'Express',
    ]);
    expect(calls).toEqual([]);
  });

  it('drops them from a relayed 103, so the client can still read it', async () => {
    backend = await rawBackend((socket) =>
      socket.write('HTTP/1.1 103 Early Hints\r\nX-T : v\r\nLink: </a>\r\n\r\n' + OK),
    );
    proxy = await proxyTo(backend, 'the default undici Agent');
    const hints: http.IncomingHttpHeaders[] = [];
    const req = http.get(proxy.url, { agent: false });
    req.on('information', (info) => hints.push(info.headers));
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    res.resume();
    expect(res.statusCode).toBe(200);
    expect(hints).toEqual([{ link: '</a>' }]);
  });
});

describe.each(KINDS)('upgradeAware with 1xx answers through %s', (kind) => {
  it('relays five 1xx before the final response', async () => {
    backend = await rawBackend((socket) => socket.write(EARLY_HINTS.repeat(5) + OK));
    proxy = await proxyTo(backend, kind);
    const seen = await get(proxy.url);
    expect(seen).toMatchObject({
      informational: [103, 103, 103, 103, 103],
      status: 200,
      body: 'ok',
    });
  });

  it('fails with ERR_PROXY_BAD_RESPONSE on the sixth and closes the backend connection', async () => {
    backend = await rawBackend((socket) => socket.write(EARLY_HINTS.repeat(6) + OK));
    const running = await proxyTo(backend, kind);
    proxy = running;
    const seen = await get(running.url);
    expect(seen.status).toBe(FAKE_STATUS);
    expect(seen.informational).toEqual([103, 103, 103, 103, 103]);
    expect((running.errors[0] as ProxyError).code).toBe('ERR_PROXY_BAD_RESPONSE');
    expect(running.errors[0]!.message).toMatch(/too many 1xx informational responses/);
    await waitFor(() => backend!.open() === 0, 'the backend connection to close');
  });

  it('relays no 1xx to an HTTP/1.0 client (RFC 9110 section 15.2)', async () => {
    backend = await rawBackend((socket) => socket.write(EARLY_HINTS + OK));
    proxy = await proxyTo(backend, kind);
    const raw = await rawRequest(proxy.port, 'GET / HTTP/1.0\r\nHost: x\r\n\r\n');
    expect(raw.status).toBe(200);
    expect(raw.head + raw.body.toString('latin1')).not.toContain(' 103 ');
    expect(raw.body.toString('latin1')).toBe('ok');
  });

  it('times the response head across 1xx answers: they do not restart responseHeaderTimeout', async () => {
    // A 103 every 300 ms keeps restarting a 400 ms timer that 1xx reset; the final answer comes after 1.8 s.
    const timers: NodeJS.Timeout[] = [];
    backend = await rawBackend((socket) => {
      for (let i = 0; i < 5; i++) timers.push(setTimeout(() => socket.write(EARLY_HINTS), i * 300));
      timers.push(setTimeout(() => socket.write(OK), 1800));
    });
    const running = await proxyTo(backend, kind, { responseHeaderTimeout: 400 });
    proxy = running;
    try {
      const seen = await get(running.url);
      expect(seen.status).toBe(FAKE_STATUS);
      expect((running.errors[0] as ProxyError).code).toBe('ERR_PROXY_BACKEND_TIMEOUT');
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }
  });
});

describe.each(KINDS)('upgradeAware with a 101 to a plain request through %s', (kind) => {
  it('answers ERR_PROXY_BAD_RESPONSE promptly and closes the backend connection', async () => {
    backend = await rawBackend((socket) =>
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: evil\r\n\r\nhello',
      ),
    );
    const running = await proxyTo(backend, kind);
    proxy = running;
    const seen = await guard(get(running.url), () => 'the client got no answer to a 101', 10_000);
    expect(seen.status).toBe(FAKE_STATUS);
    expect(seen.body).toMatch(/backend tried to switch protocols/);
    expect((running.errors[0] as ProxyError).code).toBe('ERR_PROXY_BAD_RESPONSE');
    await waitFor(() => backend!.open() === 0, 'the backend connection to close');
  });
});

describe.each(KINDS)('upgradeAware with large response heads through %s', (kind) => {
  /** A 200 with one `X-Big` header of `size` bytes. */
  const big = (size: number): string =>
    `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(size)}\r\nContent-Length: 2\r\n\r\nok`;

  it.each([20 * 1024, 900 * 1024])('relays a %d-byte header', async (size) => {
    backend = await rawBackend((socket) => socket.write(big(size)));
    proxy = await proxyTo(backend, kind);
    const seen = await get(proxy.url);
    expect([seen.status, seen.headers['x-big']?.length, seen.body]).toEqual([200, size, 'ok']);
  });

  it('answers ERR_PROXY_BAD_RESPONSE for a head over 1 MiB', async () => {
    backend = await rawBackend((socket) => socket.write(big(1024 * 1024 + 1)));
    const running = await proxyTo(backend, kind);
    proxy = running;
    const seen = await get(running.url);
    expect(seen.status).toBe(FAKE_STATUS);
    expect((running.errors[0] as ProxyError).code).toBe('ERR_PROXY_BAD_RESPONSE');
  });

  it('takes its limit from maxResponseHeaderSize', async () => {
    backend = await rawBackend((socket) => socket.write(big(40 * 1024)));
    const running = await proxyTo(backend, kind, { maxResponseHeaderSize: 32 * 1024 });
    proxy = running;
    const seen = await get(running.url);
    expect(seen.status).toBe(FAKE_STATUS);
    expect((running.errors[0] as ProxyError).code).toBe('ERR_PROXY_BAD_RESPONSE');
  });
});

describe('upgradeAware with large response heads through an undici Dispatcher of the application', () => {
  it("keeps the dispatcher's own limit (undici's default: 16 KiB)", async () => {
    backend = await rawBackend((socket) =>
      socket.write(
        `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\nContent-Length: 2\r\n\r\nok`,
      ),
    );
    const dispatcher = new UndiciAgent();
    const { responder, calls } = fakeResponder();
    proxy = await startProxy({ location: backend.url, transport: dispatcher, responder });
    try {
      const seen = await get(proxy.url);
      expect(seen.status).toBe(FAKE_STATUS);
      expect((calls[0] as ProxyError).code).toBe('ERR_PROXY_BAD_RESPONSE');
    } finally {
      await dispatcher.destroy();
    }
  });
});

describe('relayInformational', () => {
  it("drops a 1xx while the client's socket still holds earlier output, so 1xx cannot pile up", async () => {
    const options = resolveOptions({ location: 'http://127.0.0.1:1' });
    const server = await listen(
      http.createServer((req, res) => {
        const ex = createExchange(req, res, options);
        // Corked, the first head stays in the socket's buffer, as it does for a client that does not read.
        res.socket!.cork();
        relayInformational(ex, 103, 'Early Hints', ['Link', '</first>']);
        relayInformational(ex, 103, 'Early Hints', ['Link', '</second>']);
        res.socket!.uncork();
        res.end('ok');
      }),
    );
    try {
      const hints: unknown[] = [];
      const req = http.get(server.url, { agent: false });
      req.on('information', (info) => hints.push(info.headers.link));
      const [res] = (await once(req, 'response')) as [http.IncomingMessage];
      res.resume();
      expect(res.statusCode).toBe(200);
      expect(hints).toEqual(['</first>']);
    } finally {
      await server.close(); // resolving options builds no backend client: nothing else to release
    }
  });
});
