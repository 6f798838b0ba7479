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
 * Copies the client's body into the backend request with backpressure, then its valid
 * trailers. Three listeners instead of `pipe`, which adds listeners and state of its own to both
 * streams on every request (a cost V8's collector pays per request, docs/benchmarks.md,
 * "Transport kinds"). Once the backend request is destroyed its `write` returns false, and the
 * client's body stays paused, as `pipe` leaves it.
 */
function forwardClientBody(req: http.IncomingMessage, request: http.ClientRequest): void {
  req.on('data', (chunk: Buffer) => {
    if (!request.write(chunk)) req.pause();
  });
  request.on('drain', () => req.resume());
  req.on('end', () => {
    // Lines Node's writer refuses are dropped: a server with `insecureHTTPParser` lets through
    // trailers that `addTrailers` would throw on, out of this listener.
    if (req.rawTrailers.length > 0) request.addTrailers(toPairs(validRaw(req.rawTrailers)));
    request.end();
  });
  req.resume();
}

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
  forwardClientBody(req, request);
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

function backendRequest(ex: Exchange, agent: NodeAgent): http.ClientRequest {
  const { options, location } = ex;
  // No `protocol`: the module chosen by the location's scheme implies it, and with it Node's
  // client allocated about 1.3 KB more per request (docs/benchmarks.md, "Transport kinds").
  return (location.protocol === 'https:' ? httpsModule() : http).request({
    agent,
    hostname: location.hostname,
    port: location.port,
    method: ex.method,
    path: ex.target,
    headers: ex.headers.raw,
    // Applies whatever agent is given: Node's default (16 KiB) refuses heads common backends send.
    maxHeaderSize: options.maxResponseHeaderSize,
  });
}

/**
 * `connectTimeout` (docs/options.md, "connectTimeout"): a new socket must be connected, and for
 * TLS through its handshake, within `ms` of its creation, or the request is destroyed with Go's
 * `dial tcp ...: i/o timeout`. A reused keep-alive socket is ready already.
 */
function timeConnect(
  request: http.ClientRequest,
  socket: Socket,
  ms: number,
  location: Location,
): void {
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
}

/**
 * Whether a request that failed with `err` is sent once more, on a fresh connection: only a
 * replayable one, whose kept-alive socket the backend had closed, and whose client still waits.
 */
function replays(ex: Exchange, body: boolean, request: http.ClientRequest, err: Error): boolean {
  return (
    request.reusedSocket &&
    !ex.res.destroyed &&
    replayable(ex, body) &&
    STALE_SOCKET.has((err as NodeJS.ErrnoException).code ?? '')
  );
}

/** Where a backend request's listeners find the {@link Attempt} it belongs to. */
const ATTEMPT = Symbol('attempt');
type AttemptRequest = http.ClientRequest & { [ATTEMPT]: Attempt };

/*
 * The request's listeners, shared by all requests: `this` is the request, and its attempt is found
 * on it. Closures would be made for every request and held while it waits for its answer
 * (docs/benchmarks.md, "Transport kinds").
 */
function onError(this: AttemptRequest, err: Error): void {
  this[ATTEMPT].fail(err);
}

// Without an 'upgrade' listener Node drops the connection and emits neither 'response' nor 'error'.
function onUpgrade(this: AttemptRequest, _response: http.IncomingMessage, socket: Socket): void {
  socket.destroy();
  this[ATTEMPT].fail(unexpectedUpgrade());
}

function onResponse(this: AttemptRequest, response: http.IncomingMessage): void {
  this[ATTEMPT].answer(response);
}

function onFinish(this: AttemptRequest): void {
  this[ATTEMPT].watch.sent();
}

function onInformation(this: AttemptRequest, info: http.InformationEvent): void {
  this[ATTEMPT].watch.informational(info.statusCode, info.statusMessage, info.rawHeaders);
}

function onSocket(this: AttemptRequest, socket: Socket): void {
  const { ex } = this[ATTEMPT];
  timeConnect(this, socket, ex.options.connectTimeout, ex.location);
}

/**
 * One request to the backend, sent at once; settles its round trip's promise with the response
 * head or the error. The rules both transports share (the client leaving, the head timer, 1xx
 * answers) are the {@link RequestWatch}'s: the clock starts once the request is fully written. A
 * first attempt that {@link replays} resolves with the second's outcome: one promise a request,
 * however it ends.
 */
class Attempt {
  readonly request: AttemptRequest;
  readonly watch: RequestWatch;
  /** The head arrived: an error now ends the streaming body, too late to replay. */
  #answered = false;

  constructor(
    readonly ex: Exchange,
    readonly agent: NodeAgent,
    readonly body: boolean,
    readonly first: boolean,
    readonly resolve: (response: BackendResponse | Promise<BackendResponse>) => void,
    readonly reject: (err: Error) => void,
  ) {
    const request = backendRequest(ex, agent) as AttemptRequest;
    request[ATTEMPT] = this;
    this.request = request;
    // `on`, not `once`, for the events a request emits once: `once` wraps each listener anew.
    request.on('error', onError);
    request.on('upgrade', onUpgrade);
    request.on('response', onResponse);
    request.on('finish', onFinish);
    request.on('information', onInformation);
    if (ex.options.connectTimeout > 0) request.on('socket', onSocket);
    this.watch = new RequestWatch(ex, request);
    this.watch.connected();
    if (body) sendBody(ex, request);
    else request.end();
  }

  fail(err: Error): void {
    const { ex, body, request } = this;
    this.watch.done();
    this.watch.release();
    // After the head, an error ends the streaming body (Node 22 and later emit the socket's
    // reset on the request too): too late to replay, and the promise is settled already.
    if (this.#answered || !this.first || !replays(ex, body, request, err))
      return this.reject(backendError(err));
    debug('retrying %s %s on a fresh connection: %s', ex.method, ex.target, err.message);
    this.resolve(roundTrip(ex, this.agent, body, false));
  }

  answer(response: http.IncomingMessage): void {
    if (this.watch.refused) return; // the abort's error follows
    this.watch.done(); // the watch stays on the client: it leaving while the body streams aborts the request
    this.#answered = true;
    this.resolve(backendResponse(response));
  }
}

/** An {@link Attempt}; what is thrown before the request is out (Node refusing an option, say) rejects it, with no replay. */
function roundTrip(
  ex: Exchange,
  agent: NodeAgent,
  body: boolean,
  first: boolean,
): Promise<BackendResponse> {
  return new Promise((resolve, reject) => {
    try {
      void new Attempt(ex, agent, body, first, resolve, reject);
    } catch (err) {
      reject(backendError(err as Error));
    }
  });
}

/**
 * The round trip through Node's HTTP client: sends the exchange's request through `agent` (one
 * keep-alive pool for all requests) and resolves with the backend's response head. The client's
 * body streams through; the rules both transports share (the client leaving, the head timer,
 * 1xx answers) are the {@link RequestWatch}'s. A replayable request that failed on a stale
 * kept-alive socket is sent once more. Not an async function: its frame and promises would be
 * allocated on every request.
 */
export function nodeRoundTrip(ex: Exchange, agent: NodeAgent): Promise<BackendResponse> {
  return roundTrip(ex, agent, ex.body !== null, true);
}
