import { debug } from '../util/debug.js';
import { ProxyError } from '../errors/proxy-error.js';
import type { Exchange } from './exchange.js';
import { validHeader, validText } from '../util/header-check.js';

/** How many 1xx answers may precede the final one: Go's transport allows 5 (net/http `max1xxResponses`). */
export const MAX_INFORMATIONAL = 5;

/** Whether the client speaks HTTP/1.1: RFC 9110 section 15.2 forbids sending a 1xx to an HTTP/1.0 client. */
function http11(ex: Exchange): boolean {
  const { req } = ex;
  return req.httpVersionMajor === 1 && req.httpVersionMinor >= 1;
}

/** A 1xx head as raw lines; lines Node would refuse, which could split the head, are dropped. */
function headOf(status: number, statusMessage: string, raw: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${validText(statusMessage) ? statusMessage : ''}\r\n`;
  for (let i = 0; i < raw.length; i += 2) if (validHeader(raw[i]!, raw[i + 1]!)) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return head + '\r\n';
}

/**
 * Relays a backend 1xx answer (100 Continue, 102, 103 Early Hints, ...) to the client before the
 * final response, as Go's ReverseProxy does. Node's server answers `Expect: 100-continue` itself
 * unless the application listens for 'checkContinue', so a 100 is only relayed when the client
 * has not had one yet. A 1xx is advisory: one that finds the client's socket still holding
 * earlier output is dropped, so a client that does not read cannot make them pile up.
 */
export function relayInformational(ex: Exchange, status: number, statusMessage: string, raw: readonly string[]): void {
  const { res } = ex;
  const socket = res.socket;
  if (res.headersSent || socket === null || socket.destroyed || status === 101 || !http11(ex)) return;
  if (socket.writableLength > 0) {
    debug('dropped a %d: the client is not reading', status);
    return;
  }
  if (status === 100) {
    // Node marks the response once it has written a 100 (http_server: writeContinue).
    if (!(res as { _sent100?: boolean })._sent100 && /100-continue/i.test(ex.req.headers.expect ?? '')) res.writeContinue();
    return;
  }
  socket.write(headOf(status, statusMessage, raw), 'latin1');
}

/**
 * The wait for the backend's final response head, the same for both transports: the
 * `responseHeaderTimeout` clock, which 1xx answers do not restart (undici's own header timer
 * does), and the count of 1xx answers, of which more than {@link MAX_INFORMATIONAL} fail the
 * request with `ERR_PROXY_BAD_RESPONSE`. `abort` tears the backend request down with the error.
 */
export class ResponseHead {
  #timer: NodeJS.Timeout | undefined;
  #count = 0;
  #answered = false;
  #refused = false;

  constructor(private readonly ex: Exchange, private readonly abort: (err: ProxyError) => void) {}

  /** The request is fully written: the clock starts, unless the head came before the upload ended. */
  sent(): void {
    const ms = this.ex.options.responseHeaderTimeout;
    if (this.#answered || ms === 0 || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.abort(new ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'timeout awaiting response headers')), ms);
  }

  /** A 1xx arrived: relayed, or past the limit the request fails. */
  informational(status: number, statusMessage: string, raw: readonly string[]): void {
    if (this.#answered) return;
    if (++this.#count <= MAX_INFORMATIONAL) {
      relayInformational(this.ex, status, statusMessage, raw);
      return;
    }
    this.done();
    this.#refused = true;
    this.abort(new ProxyError('ERR_PROXY_BAD_RESPONSE', `too many 1xx informational responses (more than ${MAX_INFORMATIONAL})`));
  }

  /**
   * Whether too many 1xx failed the request. Node's parser may still deliver a final head that came
   * in the same packet, before the abort's error: it must not be taken.
   */
  get refused(): boolean {
    return this.#refused;
  }

  /** The final head arrived, or the request failed: the clock stops for good. */
  done(): void {
    this.#answered = true;
    clearTimeout(this.#timer);
  }
}
