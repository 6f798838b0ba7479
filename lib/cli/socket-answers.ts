/**
 * The command-line server's answers written straight on a socket, where there is no response
 * object: to an upgrade request it does not proxy, and, as Go's server does, to a request head it
 * cannot read. Each is a whole HTTP/1.1 answer with `Connection: close`, and the socket is ended.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Route } from './routes.js';

/** The headers of a text answer, as Go's `http.Error` sets them. */
export const PLAIN_TEXT: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'text/plain; charset=utf-8',
});

/** Go's answers to a request head it cannot read: too large, or not HTTP. */
const HEAD_TOO_LARGE = goError(431, '431 Request Header Fields Too Large');
const NOT_HTTP = goError(400, '400 Bad Request');

function goError(status: number, body: string): string {
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * Writes a whole HTTP/1.1 answer on an upgrade's socket and closes it; returns the status.
 *
 * @example answerOnSocket(socket, 403, PLAIN_TEXT, 'Forbidden\n') // 403
 */
export function answerOnSocket(
  socket: Duplex,
  status: number,
  headers: Readonly<Record<string, string>>,
  body = '',
): number {
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`];
  for (const [name, value] of Object.entries({
    ...headers,
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  })) {
    lines.push(`${name}: ${value}`);
  }
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  return status;
}

/**
 * Answers an upgrade whose route is not the proxy's (a redirect, an error, or the file server's
 * prefix) on its socket, as the router answers a plain request; returns the status.
 *
 * @example answerRouteOnSocket(socket, { kind: 'redirect', location: '/api/' }) // 301
 */
export function answerRouteOnSocket(socket: Duplex, route: Route): number {
  if (route.kind === 'redirect') return answerOnSocket(socket, 301, { Location: route.location });
  if (route.kind === 'error') return answerOnSocket(socket, route.status, PLAIN_TEXT, route.body);
  // The file server does not speak upgrades.
  return answerOnSocket(socket, 404, PLAIN_TEXT, '404 page not found\n');
}

/**
 * The server's `clientError` listener: a head over the limit gets Go's 431, other garbage Go's
 * 400; neither reaches the handlers or the log.
 *
 * @example server.on('clientError', answerUnreadableHead)
 */
export function answerUnreadableHead(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (socket.writable) socket.end(err.code === 'HPE_HEADER_OVERFLOW' ? HEAD_TOO_LARGE : NOT_HTTP);
  else socket.destroy();
}
