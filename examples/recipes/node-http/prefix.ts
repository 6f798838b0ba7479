/* Recipe: a plain node:http server that proxies the paths under one prefix, plain requests and
 * upgrades alike, and answers 404 for the rest (docs/recipes.md, "Plain node:http with a path
 * prefix"). */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { upgradeAware } from 'upgrade-aware-proxy';
import type { UpgradeAwareOptions } from 'upgrade-aware-proxy';

/**
 * Removes `prefix` from `req.url` when the path is under it (at a segment boundary, as Connect
 * matches a mount) and keeps the whole URL in `req.originalUrl`, as Connect does, so that the
 * rewriting transport writes links under the prefix. Returns false when the path is elsewhere.
 *
 * @example stripPrefix(req, '/api') // '/api/x?y' -> req.url '/x?y'
 */
export function stripPrefix(req: http.IncomingMessage, prefix: string): boolean {
  const url = req.url ?? '';
  const rest = url.slice(prefix.length);
  if (!url.startsWith(prefix) || !/^(?:[/?]|$)/.test(rest)) return false;
  (req as { originalUrl?: string }).originalUrl = url;
  req.url = rest.startsWith('/') ? rest : '/' + rest;
  return true;
}

/** Answers an upgrade no one takes, and closes the connection. */
function notFound(socket: Duplex): void {
  // A client that resets now must not crash the server (no 'error' listener means a throw).
  socket.on('error', () => socket.destroy());
  socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}

/**
 * A server that proxies `prefix` and everything under it to `options.location`, with the prefix
 * removed, for plain requests and upgrades. Closing the server closes the proxy.
 *
 * @example createPrefixServer('/api', { location: 'http://127.0.0.1:8080/', useRequestLocation: true }).listen(8001);
 */
export function createPrefixServer(prefix: string, options: UpgradeAwareOptions): http.Server {
  const proxy = upgradeAware(options);
  const server = http.createServer((req, res) => {
    if (stripPrefix(req, prefix)) return proxy(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (stripPrefix(req, prefix)) return proxy.upgrade(req, socket, head);
    notFound(socket);
  });
  server.on('close', () => void proxy.close());
  return server;
}
