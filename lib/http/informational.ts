import { debug } from '../util/debug.js';
import type { Exchange } from './exchange.js';
import { validHeader, validText } from '../util/header-check.js';

/** Whether the client speaks HTTP/1.1: RFC 9110 section 15.2 forbids sending a 1xx to an HTTP/1.0 client. */
function http11(ex: Exchange): boolean {
  const { req } = ex;
  return req.httpVersionMajor === 1 && req.httpVersionMinor >= 1;
}

/** A 1xx head as raw lines; lines Node would refuse, which could split the head, are dropped. */
function headOf(status: number, statusMessage: string, raw: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${validText(statusMessage) ? statusMessage : ''}\r\n`;
  for (let i = 0; i < raw.length; i += 2)
    if (validHeader(raw[i]!, raw[i + 1]!)) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return head + '\r\n';
}

/**
 * Relays a backend 1xx answer (100 Continue, 102, 103 Early Hints, ...) to the client before the
 * final response, as Go's ReverseProxy does. Node's server answers `Expect: 100-continue` itself
 * unless the application listens for 'checkContinue', so a 100 is only relayed when the client
 * has not had one yet. A 1xx is advisory: one that finds the client's socket still holding
 * earlier output is dropped, so a client that does not read cannot make them pile up. How many
 * may come is the transports' rule (`transport/request-watch.ts`).
 */
export function relayInformational(
  ex: Exchange,
  status: number,
  statusMessage: string,
  raw: readonly string[],
): void {
  const { res } = ex;
  const socket = res.socket;
  if (res.headersSent || socket === null || socket.destroyed || status === 101 || !http11(ex))
    return;
  if (socket.writableLength > 0) {
    debug('dropped a %d: the client is not reading', status);
    return;
  }
  if (status === 100) {
    // Node marks the response once it has written a 100 (http_server: writeContinue).
    if (
      !(res as { _sent100?: boolean })._sent100 &&
      /100-continue/i.test(ex.req.headers.expect ?? '')
    )
      res.writeContinue();
    return;
  }
  socket.write(headOf(status, statusMessage, raw), 'latin1');
}
