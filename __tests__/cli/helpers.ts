// Shared helpers for the command-line proxy's in-process tests: the proxy built from a command line
// exactly as main.ts builds it (parseFlags → resolveBackend → createCliServer → listenTcp), a
// WebSocket backend that records its handshakes, temp directories, and raw exchanges.
import http from 'node:http';
import https from 'node:https';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { createAccessLog } from '../../lib/cli/access-log.js';
import { resolveBackend } from '../../lib/cli/backend.js';
import { parseFlags } from '../../lib/cli/flags.js';
import { listenTcp } from '../../lib/cli/listen.js';
import { createCliServer } from '../../lib/cli/server.js';
import type { CliServer } from '../../lib/cli/server.js';
import { makeTls } from '../fixtures/tls.js';
import type { TlsFixture } from '../fixtures/tls.js';
import { listen } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';

/** The command-line proxy running in this process on 127.0.0.1 at a free port. */
export interface RunningCli {
  cli: CliServer;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** What `listenTcp` returned, as main.ts prints it. */
  address: string;
  /** Access-log lines, newline included, in the order written. */
  lines: string[];
  /** Lines given to `logs.error`. */
  errors: string[];
  /** Closes the proxy (once; later calls do nothing). */
  close(): Promise<void>;
}

const running = new Set<RunningCli>();

/**
 * Starts the proxy for `argv` in this process as main.ts would, logging into arrays;
 * `afterEach(closeAll)` stops it. (`startCliProcess` in ./spawn.ts runs the built command instead.)
 *
 * @example const proxy = await startCli(['--target', backend.url]);
 */
export async function startCli(
  argv: string[],
  options: { quiet?: boolean } = {},
): Promise<RunningCli> {
  const flags = parseFlags(argv);
  const backend = await resolveBackend(flags);
  const lines: string[] = [];
  const errors: string[] = [];
  const access = options.quiet ? undefined : createAccessLog((line) => lines.push(line));
  const cli = createCliServer(flags, backend, { access, error: (line) => errors.push(line) });
  const address = await listenTcp(cli.server, 0, '127.0.0.1');
  const { port } = cli.server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const entry: RunningCli = {
    cli,
    port,
    url: `http://127.0.0.1:${port}`,
    address,
    lines,
    errors,
    close() {
      running.delete(entry);
      closing ??= cli.server.listening ? cli.close(0) : Promise.resolve(backend.agent.destroy());
      return closing;
    },
  };
  running.add(entry);
  return entry;
}

/** Closes every proxy {@link startCli} started and every backend {@link track}ed. */
export async function closeAll(): Promise<void> {
  for (const entry of [...running]) await entry.close();
  for (const item of tracked.splice(0)) await item.close();
}

const tracked: Array<{ close(): Promise<void> }> = [];

/** Registers something for {@link closeAll} to close, and returns it. */
export function track<T extends { close(): Promise<void> }>(item: T): T {
  tracked.push(item);
  return item;
}

/** A fresh temporary directory, removed by {@link closeAll}. */
export async function tempDir(prefix = 'cli-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  track({ close: () => rm(dir, { recursive: true, force: true }) });
  return dir;
}

/** What a backend saw of one WebSocket handshake. */
export interface Handshake {
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A backend that answers plain requests through `handler` and echoes WebSocket messages, recording each handshake. */
export interface WsBackend extends Running {
  handshakes: Handshake[];
}

/**
 * Makes the WebSocket echo backend on `server` (not yet listening): every upgrade is recorded and
 * accepted, every message sent back as `echo:<message>`.
 */
export function wsEcho(server: http.Server): { handshakes: Handshake[]; wss: WebSocketServer } {
  const wss = new WebSocketServer({ noServer: true });
  const handshakes: Handshake[] = [];
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    handshakes.push({ url: req.url ?? '', headers: req.headers });
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data: Buffer) => ws.send(`echo:${data.toString()}`));
    });
  });
  return { handshakes, wss };
}

/** A WebSocket echo backend on 127.0.0.1 whose plain requests get `handler` (default: 200 with the URL). */
export async function startWsBackend(
  handler: http.RequestListener = (req, res) => res.end(req.url),
): Promise<WsBackend> {
  return wsBackendOn(http.createServer(handler));
}

async function wsBackendOn(server: http.Server): Promise<WsBackend> {
  const { handshakes, wss } = wsEcho(server);
  const base = await listen(server);
  const closeServer = base.close;
  return track(
    Object.assign(base, {
      handshakes,
      async close() {
        for (const client of wss.clients) client.terminate();
        wss.close();
        await closeServer();
      },
    }),
  );
}

let tlsFixture: TlsFixture | undefined;

/** {@link startWsBackend} over TLS, with the flags that reach it: `--target https://...` and the test CA. */
export async function startTlsWsBackend(
  handler: http.RequestListener = (req, res) => res.end(req.url),
): Promise<WsBackend & { flags: string[] }> {
  const { ca, cert, key } = (tlsFixture ??= makeTls());
  const caFile = join(await tempDir(), 'ca.pem');
  await writeFile(caFile, ca);
  // An https.Server is a tls.Server, not an http.Server, but emits the same events.
  const backend = await wsBackendOn(
    https.createServer({ cert, key }, handler) as unknown as http.Server,
  );
  backend.url = backend.url.replace(/^http:/, 'https:');
  return Object.assign(backend, {
    flags: ['--target', backend.url, '--certificate-authority', caFile],
  });
}

/** Opens a WebSocket (origin http://127.0.0.1/), sends `text`, and resolves with the open socket and the reply. */
export async function wsRoundTrip(
  url: string,
  text: string,
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; reply: string }> {
  const ws = new WebSocket(url, { origin: 'http://127.0.0.1/', headers });
  ws.on('error', () => {});
  await once(ws, 'open');
  const message = once(ws, 'message') as Promise<[Buffer]>;
  ws.send(text);
  const [data] = await message;
  return { ws, reply: data.toString() };
}

/** Closes a WebSocket and waits until it is closed. */
export async function closeWs(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  const closed = once(ws, 'close');
  ws.close();
  await closed;
}

/** A WebSocket handshake request for `path` with the given Host, ready to write on a socket. */
export function upgradeRequest(path: string, host: string, extra = ''): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`
  );
}

/**
 * A connection to 127.0.0.1:`port` that writes requests one at a time and reads each response
 * whole (Content-Length bodies only), so that several exchanges share one connection.
 */
export class KeepAliveClient {
  private readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('error', () => {});
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
  }

  /** Writes `data` and resolves with the whole response as received (head and body). */
  async exchange(data: string): Promise<Buffer> {
    if (this.socket.connecting) await once(this.socket, 'connect');
    this.socket.write(data);
    for (;;) {
      const whole = this.complete();
      if (whole) return whole;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  /** The first complete response in the buffer, taken out of it. */
  private complete(): Buffer | undefined {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const total = end + 4 + length;
    if (this.buffer.length < total) return undefined;
    const whole = this.buffer.subarray(0, total);
    this.buffer = this.buffer.subarray(total);
    return whole;
  }

  /** The underlying socket, e.g. to upgrade on it. */
  get raw(): Socket {
    return this.socket;
  }

  /** Closes the connection. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** Resolves once `list` has at least `count` entries (a hang guard is jest's own timeout). */
export async function waitForLength(list: unknown[], count: number): Promise<void> {
  while (list.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
}
