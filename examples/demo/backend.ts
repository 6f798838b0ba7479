/* The demo's embedded backend: a web page (with its script and stylesheet), a JSON echo of any
 * other request, a server-sent events stream at /events, and a WebSocket echo at /ws. */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { APP_JS, STYLE_CSS, renderPage } from './page.js';

/** The backend's server and what it takes to close it with every stream and socket it holds. */
export interface DemoBackend {
  server: http.Server;
  /** Ends the event streams and WebSockets, stops listening and closes every connection. */
  close(): Promise<void>;
}

/** How long between two server-sent events (ms). */
export const EVENT_INTERVAL = 1000;

/** The path of a request target, without its query. */
function pathOf(url: string | undefined): string {
  return new URL(url ?? '/', 'http://backend').pathname;
}

/** Answers with `body` as `type`. */
function send(res: http.ServerResponse, type: string, body: string): void {
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache' });
  res.end(body);
}

/** The JSON echo: method, target, headers and body of the request, as received. */
function echo(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    send(
      res,
      'application/json',
      JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }, null, 2) +
        '\n',
    );
  });
}

/** One event a second (`id:` counting on from the client's `Last-Event-ID`) until the client leaves or `streams` is ended. */
function serveEvents(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  streams: Set<() => void>,
): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  let id = Number.parseInt(String(req.headers['last-event-id'] ?? '0'), 10) || 0;
  const emit = (): void => {
    res.write(`id: ${++id}\ndata: ${new Date().toISOString()}\n\n`);
  };
  const timer = setInterval(emit, EVENT_INTERVAL);
  const stop = (): void => {
    clearInterval(timer);
    streams.delete(stop);
    res.end();
  };
  streams.add(stop);
  res.on('close', stop);
  emit();
}

/** The backend's request handler. */
function handler(streams: Set<() => void>): http.RequestListener {
  return (req, res) => {
    const path = pathOf(req.url);
    if (req.method !== 'GET' || !['/', '/app.js', '/style.css', '/events'].includes(path))
      return echo(req, res);
    if (path === '/app.js') return send(res, 'text/javascript; charset=utf-8', APP_JS);
    if (path === '/style.css') return send(res, 'text/css; charset=utf-8', STYLE_CSS);
    if (path === '/events') return serveEvents(req, res, streams);
    const forwardedUri = req.headers['x-forwarded-uri'];
    const backend = `${req.socket.localAddress}:${req.socket.localPort}`;
    send(
      res,
      'text/html; charset=utf-8',
      renderPage({
        backend,
        url: req.url ?? '/',
        forwardedUri: typeof forwardedUri === 'string' ? forwardedUri : undefined,
      }),
    );
  };
}

/** The WebSocket echo at /ws; any other upgrade gets a 404. */
function upgrades(
  wss: WebSocketServer,
): (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (pathOf(req.url) !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  };
}

/** The demo backend, not yet listening. */
export function createBackend(): DemoBackend {
  const streams = new Set<() => void>();
  const wss = new WebSocketServer({ noServer: true });
  const server = http.createServer(handler(streams));
  server.on('upgrade', upgrades(wss));
  return {
    server,
    async close() {
      for (const stop of [...streams]) stop();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
