// The diagnostics channels (docs/observability.md): what each message carries, exactly, on the
// HTTP path (bodies of each framing, a backend that is down, a client that leaves mid-body) and
// on the upgrade path (a WebSocket tunnel's bytes each way, who closed it, an upgrade refused).
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { Counter, Histogram, Registry } from 'prom-client';
import { observe } from '../../lib/hooks/channels.js';
import { closedPort, listen, startProxy, startUpstream, type Running } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { closeWebSockets, openWebSocket } from '../helpers/websockets.js';

const NAMES = {
  start: 'upgrade-aware-proxy:request:start',
  response: 'upgrade-aware-proxy:request:response',
  end: 'upgrade-aware-proxy:request:end',
  error: 'upgrade-aware-proxy:request:error',
  open: 'upgrade-aware-proxy:tunnel:open',
  close: 'upgrade-aware-proxy:tunnel:close',
} as const;
type Kind = keyof typeof NAMES;

/** The field names each message has, and nothing more. */
const FIELDS: Record<Kind, string[]> = {
  start: ['req'],
  response: ['ms', 'req', 'status'],
  end: ['aborted', 'bytesIn', 'bytesOut', 'ms', 'req', 'status'],
  error: ['error', 'req'],
  open: ['ms', 'req', 'status'],
  close: ['bytesIn', 'bytesOut', 'closedBy', 'ms', 'req'],
};

type Message = Record<string, unknown> & { req: http.IncomingMessage };
interface Event {
  kind: Kind;
  message: Message;
}

/** Every message of the six channels about a request `server` received, in order. */
function record(server: http.Server): { events: Event[]; stop(): void } {
  const mine = new WeakSet<object>();
  const remember = (req: object): void => void mine.add(req);
  server.prependListener('request', remember);
  server.prependListener('upgrade', remember);
  const events: Event[] = [];
  const subscribers = (Object.keys(NAMES) as Kind[]).map((kind) => {
    const fn = (message: unknown): void => {
      if (mine.has((message as Message).req)) events.push({ kind, message: message as Message });
    };
    dc.subscribe(NAMES[kind], fn);
    return () => dc.unsubscribe(NAMES[kind], fn);
  });
  return { events, stop: () => subscribers.forEach((unsubscribe) => unsubscribe()) };
}

const closing: Array<() => unknown> = [];
afterEach(async () => {
  closeWebSockets();
  for (const close of closing.splice(0).reverse()) await close();
});

/** A proxy to `backend`, recording the channels; both closed after the test. */
async function proxyTo(location: string) {
  const proxy = await startProxy({ location, useRequestLocation: true });
  const recorded = record(proxy.server);
  closing.push(() => proxy.close(), recorded.stop);
  return { proxy, events: recorded.events };
}

function later<T extends { close(): Promise<void> }>(running: T): T {
  closing.push(() => running.close());
  return running;
}

/** Waits for a message of `kind`, checks its exact field set, and returns it. */
async function message(events: Event[], kind: Kind): Promise<Message> {
  await waitFor(() => events.some((e) => e.kind === kind), `a ${kind} message`);
  const found = events.find((e) => e.kind === kind)!.message;
  expect(Object.keys(found).sort()).toEqual(FIELDS[kind]);
  expect(found.req).toBeInstanceOf(http.IncomingMessage);
  if ('ms' in found) expect(found.ms).toEqual(expect.any(Number));
  return found;
}

const kinds = (events: Event[]): Kind[] => events.map((e) => e.kind);

/** A raw client: everything it receives, counted. */
async function rawClient(port: number): Promise<{ socket: Socket; received: () => Buffer }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  closing.push(() => socket.destroy());
  await once(socket, 'connect');
  return { socket, received: () => Buffer.concat(chunks) };
}

/** A backend that answers every request with its body's length once it has all arrived. */
async function lengthBackend(): Promise<Running> {
  const backend = await startUpstream((req, res) => {
    let length = 0;
    req.on('data', (chunk: Buffer) => (length += chunk.length));
    req.on('end', () => res.end(String(length).padStart(4, '0')));
  });
  return later(backend);
}

describe('request channels', () => {
  it('publishes start, response and end for a GET: bytesOut is every byte the client received', async () => {
    const backend = later(await startUpstream((_req, res) => res.end('hello')));
    const { proxy, events } = await proxyTo(backend.url);
    const client = await rawClient(proxy.port);
    client.socket.write('GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await once(client.socket, 'close');
    const end = await message(events, 'end');
    expect(await message(events, 'start')).toEqual({ req: end.req });
    expect(await message(events, 'response')).toMatchObject({ status: 200 });
    expect(end).toMatchObject({ status: 200, bytesIn: 0, aborted: false });
    expect(end.bytesOut).toBe(client.received().length);
    expect(kinds(events)).toEqual(['start', 'response', 'end']);
  });

  it('counts a Content-Length body as its length (bytesIn), whichever reads it came in', async () => {
    const backend = await lengthBackend();
    const { proxy, events } = await proxyTo(backend.url);
    const client = await rawClient(proxy.port);
    const body = 'x'.repeat(3000);
    client.socket.write(
      `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 3000\r\nConnection: close\r\n\r\n${body}`,
    );
    await once(client.socket, 'close');
    expect(client.received().toString('latin1')).toMatch(/\r\n\r\n3000$/);
    const end = await message(events, 'end');
    expect(end).toMatchObject({ status: 200, bytesIn: 3000, aborted: false });
    expect(end.bytesOut).toBe(client.received().length);
  });

  it('counts a chunked body as its bytes, chunk framing excluded', async () => {
    const backend = await lengthBackend();
    const { proxy, events } = await proxyTo(backend.url);
    const client = await rawClient(proxy.port);
    client.socket.write(
      'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
    );
    await waitFor(() => events.some((e) => e.kind === 'start'), 'the request to start');
    client.socket.write('5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    await once(client.socket, 'close');
    expect(client.received().toString('latin1')).toMatch(/\r\n\r\n0011$/);
    const end = await message(events, 'end');
    expect(end).toMatchObject({ status: 200, bytesIn: 11, aborted: false });
    expect(end.bytesOut).toBe(client.received().length);
  });

  it('counts the chunks that came in the same read as the head', async () => {
    const backend = await lengthBackend();
    const { proxy, events } = await proxyTo(backend.url);
    const client = await rawClient(proxy.port);
    // One write: the proxy reads head and body together, the body parsed after the request starts.
    client.socket.write(
      'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    );
    await once(client.socket, 'close');
    expect(client.received().toString('latin1')).toMatch(/\r\n\r\n0011$/);
    const end = await message(events, 'end');
    expect(end).toMatchObject({ status: 200, bytesIn: 11, aborted: false });
  });

  it('does not count a pipelined request as the body of a GET before it', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const backend = later(
      await startUpstream((req, res) => {
        if (req.url === '/a') void released.then(() => res.end('ok'));
        else res.end('ok');
      }),
    );
    const { proxy, events } = await proxyTo(backend.url);
    const client = await rawClient(proxy.port);
    const starts = (): number => events.filter((e) => e.kind === 'start').length;
    client.socket.write('GET /a HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor(() => starts() === 1, 'the first request');
    // Read by the proxy while the first is in flight: bytes of the connection, not of /a's body.
    client.socket.write('GET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor(() => starts() === 2, 'the second request');
    release();
    await once(client.socket, 'close');
    await waitFor(() => events.filter((e) => e.kind === 'end').length === 2, 'two ends');
    const ends = events.filter((e) => e.kind === 'end').map((e) => e.message);
    expect(ends.map((m) => [m.req.url, m.bytesIn])).toEqual([
      ['/a', 0],
      ['/b', 0],
    ]);
  });

  it("publishes error then end with the responder's status when the backend is down", async () => {
    const { proxy, events } = await proxyTo(`http://127.0.0.1:${await closedPort()}/`);
    const client = await rawClient(proxy.port);
    client.socket.write('GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await once(client.socket, 'close');
    const status = Number(client.received().toString('latin1').split(' ')[1]);
    expect(status).toBe(503);
    const error = await message(events, 'error');
    expect((error.error as { code?: string }).code).toMatch(/^ERR_PROXY_/);
    const end = await message(events, 'end');
    expect(end).toMatchObject({ status, bytesIn: 0, aborted: false });
    expect(end.bytesOut).toBe(client.received().length);
    expect(kinds(events)).toEqual(['start', 'error', 'end']);
  });

  it('publishes end with aborted true, status 0 and the bytes read, when the client leaves mid-body', async () => {
    let got!: () => void;
    const gotSome = new Promise<void>((resolve) => (got = resolve));
    const backend = later(await startUpstream((req) => req.once('data', () => got())));
    const { proxy, events } = await proxyTo(backend.url);
    const client = await rawClient(proxy.port);
    client.socket.write('POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n');
    await waitFor(() => events.some((e) => e.kind === 'start'), 'the request to start');
    client.socket.write('0123456789');
    await gotSome;
    client.socket.destroy();
    const end = await message(events, 'end');
    expect(end).toMatchObject({ status: 0, bytesIn: 10, bytesOut: 0, aborted: true });
  });
});

/** A WebSocket backend answering each message with one three times its length; `plain` to requests. */
async function wsBackend(): Promise<Running & { sockets: WebSocket[] }> {
  const server = http.createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server });
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (data: Buffer) => ws.send('y'.repeat(data.length * 3)));
  });
  const running = later(await listen(server));
  closing.push(() => wss.close());
  return Object.assign(running, { sockets });
}

// Frame sizes (RFC 6455, section 5.2): a client's frame is masked (2 + 4 bytes of header up to 125
// bytes of payload), a server's is not; 126 to 65535 bytes of payload take 2 bytes more.
const CLIENT_FRAME_100 = 2 + 4 + 100;
const SERVER_FRAME_300 = 2 + 2 + 300;

/** A tunnel with one 100-byte message in and its 300-byte answer out. */
async function exchanged() {
  const backend = await wsBackend();
  const { proxy, events } = await proxyTo(backend.url);
  const ws = await openWebSocket(`ws://127.0.0.1:${proxy.port}/ws`);
  ws.send('x'.repeat(100));
  const [answer] = (await once(ws, 'message')) as [Buffer];
  expect(answer.length).toBe(300);
  return { backend, proxy, events, ws };
}

describe('tunnel channels', () => {
  it('publishes start and tunnel:open (101); bytes each way exactly; closedBy client', async () => {
    const { events, ws } = await exchanged();
    const open = await message(events, 'open');
    expect(open.status).toBe(101);
    ws.terminate();
    const close = await message(events, 'close');
    expect(close).toMatchObject({
      req: open.req,
      bytesIn: CLIENT_FRAME_100,
      bytesOut: SERVER_FRAME_300,
      closedBy: 'client',
    });
    expect(close.ms as number).toBeGreaterThanOrEqual(open.ms as number);
    expect(kinds(events)).toEqual(['start', 'open', 'close']);
  });

  it('says closedBy backend when the backend ends the tunnel', async () => {
    const { backend, events } = await exchanged();
    await waitFor(() => backend.sockets.length === 1, 'the backend socket');
    backend.sockets[0]!.terminate();
    expect(await message(events, 'close')).toMatchObject({
      bytesIn: CLIENT_FRAME_100,
      bytesOut: SERVER_FRAME_300,
      closedBy: 'backend',
    });
  });

  it('says closedBy proxy after proxy.close()', async () => {
    const { proxy, events } = await exchanged();
    await message(events, 'open');
    await proxy.proxy.close();
    expect(await message(events, 'close')).toMatchObject({ closedBy: 'proxy' });
  });

  it("publishes request:end with the backend's status for an upgrade refused with 403", async () => {
    const refusing = later(await listen(http.createServer()));
    const refusal = 'HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\nConnection: close\r\n\r\nnope!';
    refusing.server.on('upgrade', (_req, socket: Duplex) => socket.end(refusal));
    const { proxy, events } = await proxyTo(refusing.url);
    const client = await rawClient(proxy.port);
    client.socket.write(
      'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    );
    await once(client.socket, 'close');
    expect(client.received().toString('latin1')).toMatch(/^HTTP\/1\.1 403 /);
    const end = await message(events, 'end');
    expect(end).toMatchObject({ status: 403, bytesIn: 0, aborted: false });
    expect(end.bytesOut).toBe(client.received().length);
    expect(kinds(events)).toEqual(['start', 'end']);
  });
});

/**
 * The docs/observability.md example ("With prom-client"), with its subscribers returned so that
 * the test can remove them.
 */
function promClientExample(registry: Registry): Array<[string, (message: never) => void]> {
  const requests = new Counter({
    name: 'proxy_requests_total',
    help: 'Requests answered, by status.',
    labelNames: ['status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'proxy_request_duration_seconds',
    help: 'Time to the end of the answer.',
    registers: [registry],
  });
  const tunnelBytes = new Counter({
    name: 'proxy_tunnel_bytes_total',
    help: 'Bytes through closed tunnels.',
    labelNames: ['direction'],
    registers: [registry],
  });
  return [
    [
      'upgrade-aware-proxy:request:end',
      ({ status, ms }: { status: number; ms: number }) => {
        requests.inc({ status: String(status) });
        duration.observe(ms / 1000);
      },
    ],
    [
      'upgrade-aware-proxy:tunnel:close',
      ({ bytesIn, bytesOut }: { bytesIn: number; bytesOut: number }) => {
        tunnelBytes.inc({ direction: 'in' }, bytesIn);
        tunnelBytes.inc({ direction: 'out' }, bytesOut);
      },
    ],
  ];
}

describe('with prom-client', () => {
  it('counts requests, durations and tunnel bytes as the docs example does', async () => {
    const registry = new Registry();
    const subscribers = promClientExample(registry);
    for (const [name, fn] of subscribers) dc.subscribe(name, fn as (message: unknown) => void);
    closing.push(() => {
      for (const [name, fn] of subscribers) dc.unsubscribe(name, fn as (message: unknown) => void);
    });
    const { proxy, events, ws } = await exchanged();
    const client = await rawClient(proxy.port);
    client.socket.write('GET /plain HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await once(client.socket, 'close');
    ws.terminate();
    await message(events, 'close');
    await message(events, 'end');
    const text = await registry.metrics();
    expect(text).toContain(`proxy_tunnel_bytes_total{direction="in"} ${CLIENT_FRAME_100}`);
    expect(text).toContain(`proxy_tunnel_bytes_total{direction="out"} ${SERVER_FRAME_300}`);
    expect(text).toContain('proxy_requests_total{status="200"} 1');
    expect(text).toContain('proxy_request_duration_seconds_count 1');
  });
});

describe('observe', () => {
  it('makes no observation while no channel has a subscriber', () => {
    const req = new http.IncomingMessage(null as never);
    expect(observe(req)).toBeUndefined();
    const fn = (): void => undefined;
    dc.subscribe(NAMES.close, fn);
    try {
      expect(observe(req)).toBeDefined();
    } finally {
      dc.unsubscribe(NAMES.close, fn);
    }
    expect(observe(req)).toBeUndefined();
  });
});
