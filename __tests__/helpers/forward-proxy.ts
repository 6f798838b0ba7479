// A forward proxy for the proxyFromEnvironment tests: a node:http server that answers CONNECT by
// tunnelling to 127.0.0.1 at the requested port (whatever the host name, so that a name such as
// backend.example reaches a test backend), and records what it saw. Plus the environment set for
// the moment a middleware is made.
import http from 'node:http';
import net from 'node:net';
import { listen, type Running } from './servers.js';

/** One CONNECT the proxy received. */
export interface SeenConnect {
  /** The request target, `host:port`. */
  authority: string;
  host: string | undefined;
  proxyAuthorization: string | undefined;
}

export interface ForwardProxy extends Running {
  connects: SeenConnect[];
  /** Targets of the plain (absolute-form) requests it received; it answers them 502. */
  requests: string[];
}

export interface ForwardProxyOptions {
  /** Bytes to answer CONNECT with instead of tunnelling (the connection is then ended). */
  answer?: string;
  /** Never answer CONNECT. */
  stall?: boolean;
}

function tunnel(socket: net.Socket, head: Buffer, authority: string): void {
  const port = Number(/:(\d+)$/.exec(authority)?.[1]);
  const upstream = net.connect(port, '127.0.0.1', () => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', () => socket.destroy());
  socket.on('close', () => upstream.destroy());
}

/** Starts the proxy on 127.0.0.1 port 0. */
export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const connects: SeenConnect[] = [];
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(502).end();
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    socket.on('error', () => {});
    connects.push({
      authority: req.url ?? '',
      host: req.headers.host,
      proxyAuthorization: req.headers['proxy-authorization'],
    });
    if (options.stall) return;
    if (options.answer !== undefined) return void socket.end(options.answer);
    tunnel(socket, head, req.url ?? '');
  });
  return Object.assign(await listen(server), { connects, requests });
}

const PROXY_VARIABLES = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'NO_PROXY',
  'no_proxy',
  'REQUEST_METHOD',
];

/**
 * Runs `make` with exactly `vars` among the proxy variables, then restores the environment: the
 * middleware reads it once, when made, so the environment is back to normal before any request.
 */
export function withProxyEnv<T>(vars: Record<string, string>, make: () => T): T {
  const saved = PROXY_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const name of PROXY_VARIABLES) delete process.env[name];
  Object.assign(process.env, vars);
  try {
    return make();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
