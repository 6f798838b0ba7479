// With the rewriting transport on, X-Forwarded-Uri, -Host and -Proto are the proxy's own on every
// path: a client's values never reach the backend. Upgrades never go through the rewriting
// transport, so the upgrade path sets them itself, with the HTTP path's values: for a real
// WebSocket upgrade, and for a plain request whose Connection header asks for an upgrade (it
// takes the upgrade path too). With the transport off, the client's pass through on both paths.
import http from 'node:http';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import type { UpgradeAwareOptions } from '../../lib/index.js';
import { listen, rawRequest, startProxy } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';

const SPOOFED = [
  'X-Forwarded-Host: evil.example',
  'x-forwarded-proto: https',
  'X-Forwarded-Uri: /evil',
  'X-FORWARDED-URI: /evil2',
];

/** The lines named `name` (any case) in a raw header list, in order. */
function linesOf(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

/** The three headers as the backend saw them, each as its list of lines. */
function forwarded(raw: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(
    ['x-forwarded-uri', 'x-forwarded-host', 'x-forwarded-proto'].map((name) => [
      name,
      linesOf(raw, name),
    ]),
  );
}

/** A backend that records the raw headers of each request: WebSockets echo, plain requests get 404. */
async function startBackend(): Promise<Running & { seen: string[][] }> {
  const seen: string[][] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.rawHeaders);
    res.statusCode = 404;
    res.end('no such route');
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    seen.push(req.rawHeaders);
    ws.on('message', (data) => ws.send(data));
  });
  const running = await listen(server);
  const closeServer = running.close;
  return Object.assign(running, {
    seen,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await closeServer();
    },
  });
}

let backend: Awaited<ReturnType<typeof startBackend>>;
beforeAll(async () => {
  backend = await startBackend();
});
afterAll(() => backend.close());

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of opened.splice(0)) await item.close();
  backend.seen.length = 0;
});

async function proxyFor(options: Partial<UpgradeAwareOptions> = {}): Promise<Running> {
  const proxy = await startProxy({ location: backend.url, useRequestLocation: true, ...options });
  opened.push(proxy);
  return proxy;
}

/** Opens a WebSocket through `proxy` at /ws/a?x=1 with the spoofed headers, exchanges one message, and returns what the backend saw. */
async function webSocketThrough(proxy: Running): Promise<string[]> {
  const headers = Object.fromEntries(
    SPOOFED.slice(0, 3).map((line) => line.split(': ') as [string, string]),
  );
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws/a?x=1`, { headers });
  opened.push({ close: async () => ws.terminate() });
  await once(ws, 'open');
  ws.send('ping');
  const [reply] = (await once(ws, 'message')) as [Buffer];
  expect(reply.toString()).toBe('ping');
  expect(backend.seen).toHaveLength(1);
  return backend.seen[0]!;
}

/** A plain POST that carries `Connection: Upgrade` (no Upgrade header): it takes the upgrade path. */
async function upgradeLikePost(proxy: Running): Promise<string[]> {
  const response = await rawRequest(
    proxy.port,
    [
      'POST /exec/a?x=1 HTTP/1.1',
      `Host: 127.0.0.1:${proxy.port}`,
      'Connection: Upgrade',
      'Content-Length: 0',
      ...SPOOFED,
      '',
      '',
    ].join('\r\n'),
  );
  expect(response.status).toBe(404); // the backend's answer, relayed: the request did reach it
  expect(backend.seen).toHaveLength(1);
  return backend.seen[0]!;
}

describe('upgradeAware X-Forwarded-* on the upgrade path, rewriting transport on', () => {
  it("replaces the client's with its own on a WebSocket upgrade", async () => {
    const proxy = await proxyFor();
    const seen = await webSocketThrough(proxy);
    expect(forwarded(seen)).toEqual({
      'x-forwarded-uri': ['/ws/a'],
      'x-forwarded-host': [`127.0.0.1:${proxy.port}`],
      'x-forwarded-proto': ['http'],
    });
  });

  it("replaces the client's with its own on a plain POST carrying Connection: Upgrade", async () => {
    const proxy = await proxyFor();
    const seen = await upgradeLikePost(proxy);
    expect(forwarded(seen)).toEqual({
      'x-forwarded-uri': ['/exec/a'],
      'x-forwarded-host': [`127.0.0.1:${proxy.port}`],
      'x-forwarded-proto': ['http'],
    });
    expect(seen.join('\n')).not.toMatch(/evil/);
  });
});

describe('upgradeAware X-Forwarded-* on the upgrade path, rewriting transport off', () => {
  it("passes the client's through, as on the HTTP path", async () => {
    const agent = new http.Agent();
    opened.push({ close: async () => agent.destroy() });
    const proxy = await proxyFor({ transport: agent });
    const seen = await upgradeLikePost(proxy);
    expect(forwarded(seen)).toEqual({
      'x-forwarded-uri': ['/evil', '/evil2'],
      'x-forwarded-host': ['evil.example'],
      'x-forwarded-proto': ['https'],
    });
  });
});
