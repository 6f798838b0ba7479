import http from 'node:http';
import type { Socket } from 'node:net';
import { headerMap, type BackendResponse } from './backend-response.js';
import { unexpectedUpgrade } from './bad-response.js';
import { backendError } from './backend-error.js';
import { debug } from '../util/debug.js';
import { toPairs } from '../util/raw-headers.js';
import type { Exchange } from '../http/exchange.js';
import { validRaw } from '../util/header-check.js';
import { RequestWatch } from './request-watch.js';
import { connectTimeoutError, handshaking, hostPort } from '../util/connect-deadline.js';
import type { NodeAgent } from '../types/clients.js';
import type { Location } from '../util/location.js';
import { httpsModule } from '../util/tls-modules.js';

/** Errors of a kept-alive socket the backend closed just before we reused it. */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);
/** What may be sent again after such an error: Go's `isReplayable` (RFC 9110 section 9.2.2). */
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

function replayable(ex: Exchange, body: boolean): boolean {
  const { headers, method } = ex;
  return (
    !body &&
    (REPLAYABLE.has(method) || headers.has('idempotency-key') || headers.has('x-idempotency-key'))
  );
}

function noop(): void {}

/**
 * Streams the body to the backend with backpressure: the client's, then its trailers, or the one
 * `requestBody` supplied.
 */
function sendBody(ex: Exchange, request: http.ClientRequest): void {
  const { req, body } = ex;
  if (Buffer.isBuffer(body)) return void request.end(body);
  if (body !== req) {
    body!.once('error', (err) => request.destroy(err));
    return void body!.pipe(request);
  }
  req.pipe(request, { end: false });
  req.once('end', () => {
    if (req.rawTrailers.length > 0) request.addTrailers(toPairs(req.rawTrailers));
    request.end();
  });
}

function backendResponse(response: http.IncomingMessage): BackendResponse {
  response.on('error', noop); // the relay takes over; nothing may go unhandled meanwhile
  return {
    status: response.statusCode ?? 502,
    statusMessage: response.statusMessage ?? '',
    headers: headerMap(response.rawHeaders),
    body: response,
    trailers: () => validRaw(response.rawTrailers),
  };
}

/** A failed attempt, and whether it failed on a kept-alive socket (which allows one replay). */
class AttemptError {
  constructor(
    readonly cause: Error,
    readonly reusedSocket: boolean,
  ) {}
}

function backendRequest(ex: Exchange, agent: NodeAgent): http.ClientRequest {
  const { options, location } = ex;
  return (location.protocol === 'https:' ? httpsModule() : http).request({
    agent,
    protocol: location.protocol,
    hostname: location.hostname,
    port: location.port,
    method: ex.method,
    path: ex.target,
    headers: ex.headers.raw,
    // Applies whatever agent is given: Node's default (16 KiB) refuses heads common backends send.
    maxHeaderSize: options.maxResponseHeaderSize,
  });
}

/** The shared watch on the request: the clock starts once the request is fully written; 1xx are counted and relayed. */
function watch(ex: Exchange, request: http.ClientRequest): RequestWatch {
  const watched = new RequestWatch(ex, (err) => request.destroy(err));
  watched.connected();
  request.once('finish', () => watched.sent());
  request.on('information', (info) =>
    watched.informational(info.statusCode, info.statusMessage, info.rawHeaders),
  );
  return watched;
}

/**
 * `connectTimeout` (docs/options.md, "connectTimeout"): a new socket must be connected, and for
 * TLS through its handshake, within `ms` of its creation, or the request is destroyed with Go's
 * `dial tcp ...: i/o timeout`. A reused keep-alive socket is ready already.
 */
function timeConnect(request: http.ClientRequest, ms: number, location: Location): void {
  if (ms <= 0) return;
  request.once('socket', (socket: Socket) => {
    if (!socket.connecting && !handshaking(socket)) return;
    const event = handshaking(socket) ? 'secureConnect' : 'connect';
    // The address is written only for the error: `isIPv6` per request showed in profiles.
    const expire = (): void => {
      const address = hostPort(location.hostname, location.port);
      request.destroy(connectTimeoutError(socket, address));
    };
    const timer = setTimeout(expire, ms);
    const clear = (): void => {
      clearTimeout(timer);
      socket.removeListener(event, clear);
      socket.removeListener('close', clear);
    };
    socket.once(event, clear);
    socket.once('close', clear);
  });
}

/** One request to the backend; resolves with its response head. The client leaving aborts it. */
function attempt(ex: Exchange, agent: NodeAgent, body: boolean): Promise<http.IncomingMessage> {
  const request = backendRequest(ex, agent);
  timeConnect(request, ex.options.connectTimeout, ex.location);
  const watched = watch(ex, request);
  if (body) sendBody(ex, request);
  else request.end();
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      watched.done();
      watched.release();
      reject(new AttemptError(err, request.reusedSocket));
    };
    request.on('error', fail);
    // Without an 'upgrade' listener Node drops the connection and emits neither 'response' nor 'error'.
    request.once('upgrade', (_response: http.IncomingMessage, socket: Socket) => {
      socket.destroy();
      fail(unexpectedUpgrade());
    });
    request.once('response', (response) => {
      if (watched.refused) return; // the abort's error follows
      watched.done(); // the watch stays on the client: it leaving while the body streams aborts the request
      resolve(response);
    });
  });
}

/**
 * The round trip through Node's HTTP client: sends the exchange's request through `agent` (one
 * keep-alive pool for all requests) and resolves with the backend's response head. The client's
 * body streams through; the rules both transports share (the client leaving, the head timer,
 * 1xx answers) are the {@link RequestWatch}'s. A replayable request that failed on a stale
 * kept-alive socket is sent once more.
 */
export async function nodeRoundTrip(ex: Exchange, agent: NodeAgent): Promise<BackendResponse> {
  const { res } = ex;
  const body = ex.body !== null;
  try {
    return backendResponse(await attempt(ex, agent, body));
  } catch (failed) {
    // Anything else was thrown before the request was out (Node refusing an option, say): no replay.
    const { cause, reusedSocket } =
      failed instanceof AttemptError ? failed : new AttemptError(failed as Error, false);
    if (
      !reusedSocket ||
      res.destroyed ||
      !replayable(ex, body) ||
      !STALE_SOCKET.has((cause as NodeJS.ErrnoException).code ?? '')
    ) {
      throw backendError(cause);
    }
    debug('retrying %s %s on a fresh connection: %s', ex.method, ex.target, cause.message);
    try {
      return backendResponse(await attempt(ex, agent, body));
    } catch (again) {
      throw backendError((again as AttemptError).cause);
    }
  }
}
