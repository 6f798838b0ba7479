// Runs the built command (`node dist/cli/main.js ...`) as a child process, as `npx upgrade-aware-proxy`
// does, plus what the end-to-end tests put around it: a backend (HTTP recorder and WebSocket echo,
// over TCP, TLS or a unix socket). `npm test` builds before jest runs; run `npm run build` first
// when running these files alone.
//
// Every child started here is killed (SIGKILL) after each test whatever happened in it, and every
// WebSocket openWebSocket (../helpers/websockets.ts) left open is terminated: importing this file
// registers the `afterEach` hooks that do it.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import WebSocket, { WebSocketServer } from 'ws';
import { ROOT, guard, spawnNode, untilStdout, whenWritten } from '../helpers/child.js';
import { closeWebSockets } from '../helpers/websockets.js';
import type { ChildRun, Exit } from '../helpers/child.js';

export { ROOT, guard };
export type { Exit };

/** The built command, as package.json's `bin` names it. */
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

/** The built command running as a child process, which printed `Starting to serve on ADDRESS`. */
export interface RunningCliProcess {
  child: ChildProcess;
  /** ADDRESS from the first line: `127.0.0.1:PORT`, or the socket path. */
  address: string;
  /** The port, for a TCP address. */
  port: number;
  /** `http://ADDRESS` for a TCP address. */
  url: string;
  /** What the command wrote so far. */
  output(): Exit;
  /** Resolves with stderr once `test` holds for it (hang-guarded). */
  waitForStderr(test: (stderr: string) => boolean, what: string): Promise<string>;
  /** Sends `signal` and waits for the exit (hang guard `guardMs`, 10 s by default). */
  stop(signal?: NodeJS.Signals, guardMs?: number): Promise<Exit>;
}

const children = new Set<ChildRun>();

async function killAll(): Promise<void> {
  const running = [...children];
  children.clear();
  await Promise.all(running.map((run) => run.kill()));
}

afterEach(killAll);

/** Options for the child process. */
export interface SpawnOptions {
  /** The whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** Starts `node dist/cli/main.js ...args` in the project root and collects what it writes. */
export function spawnCli(args: readonly string[], options: SpawnOptions = {}): ChildRun {
  const run = spawnNode(CLI, args, options.env);
  children.add(run);
  return run;
}

/** Runs the command to its end (hang-guarded) and returns how it ended. */
export async function runCli(args: readonly string[], options: SpawnOptions = {}): Promise<Exit> {
  const { exited, output } = spawnCli(args, options);
  return guard(
    exited,
    () => `${JSON.stringify(args)} did not exit; it wrote ${JSON.stringify(output())}`,
  );
}

/**
 * Starts the built command as a child process and waits for `Starting to serve on ADDRESS`; fails
 * with its output if it exits or hangs first. (`startCli` in ./helpers.ts builds the same server in
 * this process instead.)
 */
export async function startCliProcess(
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<RunningCliProcess> {
  const run = spawnCli(args, options);
  const { child, exited, output } = run;
  const stdout = await untilStdout(run, (text) => /^Starting to serve on .+\n/.test(text), {
    exited: (exit) =>
      `${JSON.stringify(args)} exited (${exit.code ?? exit.signal}) before serving: ${exit.stderr}`,
    hung: () => `${JSON.stringify(args)} did not start; it wrote ${JSON.stringify(output())}`,
  });
  const address = /^Starting to serve on (.+)\n/.exec(stdout)![1];
  const port = Number(/^[\d.]+:(\d+)$/.exec(address)?.[1] ?? NaN);
  return {
    child,
    address,
    port,
    url: `http://${address}`,
    output,
    waitForStderr: (test, what) =>
      guard(
        whenWritten(child.stderr!, () => output().stderr, test),
        () => `stderr never showed ${what}: ${JSON.stringify(output().stderr)}`,
      ),
    stop(signal = 'SIGTERM', guardMs = 10_000) {
      child.kill(signal);
      return guard(
        exited,
        () =>
          `the command did not exit ${guardMs} ms after ${signal}; it wrote ${JSON.stringify(output())}`,
        guardMs,
      );
    },
  };
}

/** What the backend saw of one request or upgrade. */
export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The subject CN of the client certificate, over TLS with `requestCert`. */
  clientCN?: string;
}

/** The backend behind the command: a recorder for plain requests and a WebSocket echo. */
export interface Backend {
  /** `http(s)://127.0.0.1:PORT`, or the socket path. */
  url: string;
  port: number;
  requests: Seen[];
  upgrades: Seen[];
  close(): Promise<void>;
}

function peerCN(socket: Socket): string | undefined {
  const tls = socket as TLSSocket;
  if (typeof tls.getPeerCertificate !== 'function') return undefined;
  const cn = tls.getPeerCertificate()?.subject?.CN;
  return Array.isArray(cn) ? cn.join(',') : cn;
}

function seen(req: http.IncomingMessage, body: string): Seen {
  const entry: Seen = { method: req.method!, url: req.url!, headers: req.headers, body };
  const cn = peerCN(req.socket);
  if (cn !== undefined) entry.clientCN = cn;
  return entry;
}

/** Answers a plain request: the body echoed, or `backend: METHOD URL\n` when there is none. */
function answer(req: http.IncomingMessage, res: http.ServerResponse, requests: Seen[]): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    requests.push(seen(req, body));
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(body || `backend: ${req.method} ${req.url}\n`);
  });
}

/**
 * Starts a backend on 127.0.0.1 port 0 (over TLS when `tls` is given) or on the unix socket
 * `socketPath`: plain requests are recorded and answered by {@link answer}, WebSockets echo.
 */
export async function startBackend(
  options: { tls?: https.ServerOptions; socketPath?: string } = {},
): Promise<Backend> {
  const requests: Seen[] = [];
  const upgrades: Seen[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void =>
    answer(req, res, requests);
  const server: http.Server = options.tls
    ? https.createServer(options.tls, handler)
    : http.createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    upgrades.push(seen(req, ''));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  if (options.socketPath) server.listen(options.socketPath);
  else server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = options.socketPath ? 0 : (server.address() as AddressInfo).port;
  return {
    url: options.socketPath ?? `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    upgrades,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// A WebSocket a test left open is terminated after it.
afterEach(closeWebSockets);

/** Sends `text` and resolves with the next message, as text. */
export async function echo(ws: WebSocket, text: string): Promise<string> {
  const reply = once(ws, 'message') as Promise<[Buffer, boolean]>;
  ws.send(text);
  const [data] = await reply;
  return data.toString('utf8');
}

/** Tries a WebSocket handshake that should be refused; resolves with the status and body of the answer. */
export function refusedHandshake(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`the handshake to ${url} succeeded`));
    });
    ws.on('error', reject);
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, body });
      });
      res.on('error', reject);
    });
  });
}

/**
 * Before each test, a fresh {@link startBackend} and an empty temporary folder named from
 * `prefix`, handed to `use`; after it, both closed and removed.
 *
 * @example useBackendAndDir('upgrade-aware-signals-', (b, d) => ([backend, dir] = [b, d]));
 */
export function useBackendAndDir(
  prefix: string,
  use: (backend: Backend, dir: string) => void,
): void {
  let backend: Backend | undefined;
  let dir: string | undefined;
  beforeEach(async () => {
    const made = await startBackend();
    const folder = mkdtempSync(path.join(tmpdir(), prefix));
    [backend, dir] = [made, folder];
    use(made, folder);
  });
  afterEach(async () => {
    await backend?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
}
