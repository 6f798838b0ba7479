import type { InformationEvent } from 'node:http';
import type { Exchange } from './exchange.js';

/**
 * Relays a backend 1xx answer (100 Continue, 102, 103 Early Hints, ...) to the client before the
 * final response, as Go's ReverseProxy does. Node's server answers `Expect: 100-continue` itself
 * unless the application listens for 'checkContinue', so a 100 is only relayed when the client
 * has not had one yet.
 */
export function relayInformational(ex: Exchange, info: InformationEvent): void {
  const { res } = ex;
  const socket = res.socket;
  if (res.headersSent || socket === null || socket.destroyed || info.statusCode === 101) return;
  if (info.statusCode === 100) {
    // Node marks the response once it has written a 100 (http_server: writeContinue).
    if (!(res as { _sent100?: boolean })._sent100 && /100-continue/i.test(ex.req.headers.expect ?? '')) res.writeContinue();
    return;
  }
  let head = `HTTP/1.1 ${info.statusCode} ${info.statusMessage}\r\n`;
  const raw = info.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  socket.write(head + '\r\n', 'latin1');
}
