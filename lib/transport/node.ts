import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { BackendResponse } from './backend-response.js';
import { headersTooLarge, unexpectedUpgrade } from './bad-response.js';
import { debug } from '../util/debug.js';
import { toPairs } from '../util/raw-headers.js';
import { ProxyError, messageOf } from '../errors/proxy-error.js';
import type { Exchange } from '../http/exchange.js';
import { addHeader, validRaw } from '../util/header-check.js';
import { ResponseHead } from '../http/informational.js';
import { bodyOf } from './request-body.js';
import type { Agent } from '../types.js';

/** Errors of a kept-alive socket the backend closed just before we reused it. */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);
/** What may be sent again after such an error: Go's `isReplayable` (RFC 9110 section 9.2.2). */
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

function replayable(ex: Exchange, body: boolean): boolean {
  const { headers, method } = ex.req;
  return !body && (REPLAYABLE.has(method ?? '') || headers['idempotency-key'] !== undefined || headers['x-idempotency-key'] !== undefined);
}

function noop(): void {}

/** Streams the client's body to the backend with backpressure, then its trailers. */
function sendBody(ex: Exchange, request: http.ClientRequest): void {
  const { req } = ex;
  req.pipe(request, { end: false });
  req.once('end', () => {
    if (req.rawTrailers.length > 0) request.addTrailers(toPairs(req.rawTrailers));
    request.end();
  });
}

/** Raw headers by lower-case name, every value of a repeated header kept, lines Node would refuse dropped. */
function headerMap(raw: readonly string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i += 2) addHeader(headers, raw[i]!, raw[i + 1]!);
  return headers;
}

function toProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  if ((err as { code?: unknown }).code === 'HPE_HEADER_OVERFLOW') return headersTooLarge(err);
  const code = (err as { code?: unknown }).code === 'ETIMEDOUT' ? 'ERR_PROXY_BACKEND_TIMEOUT' : 'ERR_PROXY_BACKEND_UNREACHABLE';
  return new ProxyError(code, messageOf(err), { cause: err });
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
  constructor(readonly cause: Error, readonly reusedSocket: boolean) {}
}

function backendRequest(ex: Exchange, agent: Agent): http.ClientRequest {
  const { options, req } = ex;
  const { location } = options;
  return (location.protocol === 'https:' ? https : http).request({
    agent,
    protocol: location.protocol,
    hostname: location.hostname,
    port: location.port,
    method: req.method,
    path: ex.target,
    headers: ex.headers,
    // Applies whatever agent is given: Node's default (16 KiB) refuses heads common backends send.
    maxHeaderSize: options.maxResponseHeaderSize,
  });
}

/** The wait for the final head: the clock starts once the request is fully written (Go's ResponseHeaderTimeout); 1xx are counted and relayed. */
function watchHead(ex: Exchange, request: http.ClientRequest): ResponseHead {
  const head = new ResponseHead(ex, (err) => request.destroy(err));
  request.once('finish', () => head.sent());
  request.on('information', (info) => head.informational(info.statusCode, info.statusMessage, info.rawHeaders));
  return head;
}

/** One request to the backend; resolves with its response head. The client leaving aborts it. */
function attempt(ex: Exchange, agent: Agent, body: boolean): Promise<http.IncomingMessage> {
  const { res } = ex;
  const request = backendRequest(ex, agent);
  const abort = (): void => {
    if (!res.writableFinished) request.destroy();
  };
  res.once('close', abort);
  const head = watchHead(ex, request);
  if (body) sendBody(ex, request);
  else request.end();
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      head.done();
      res.removeListener('close', abort);
      reject(new AttemptError(err, request.reusedSocket));
    };
    request.on('error', fail);
    // Without an 'upgrade' listener Node drops the connection and emits neither 'response' nor 'error'.
    request.once('upgrade', (_response: http.IncomingMessage, socket: Socket) => {
      socket.destroy();
      fail(unexpectedUpgrade());
    });
    request.once('response', (response) => {
      if (head.refused) return; // the abort's error follows
      head.done();
      resolve(response);
    });
  });
}

/**
 * The shared transport of the HTTP path: sends the exchange's request through the configured
 * agent (one keep-alive pool for all requests) and resolves with the backend's response head.
 * The client's body streams through; 1xx answers are relayed as they come. A backend that stays
 * silent past `responseHeaderTimeout` after the request was written gets a 504; a client that
 * goes away aborts the backend request, whether it is still uploading or already downloading.
 * A replayable request that failed on a stale kept-alive socket is sent once more.
 */
export async function nodeRoundTrip(ex: Exchange, agent: Agent): Promise<BackendResponse> {
  const { req, res } = ex;
  const body = bodyOf(ex) !== null;
  try {
    return backendResponse(await attempt(ex, agent, body));
  } catch (failed) {
    const { cause, reusedSocket } = failed as AttemptError;
    if (!reusedSocket || res.destroyed || !replayable(ex, body) || !STALE_SOCKET.has((cause as NodeJS.ErrnoException).code ?? '')) {
      throw toProxyError(cause);
    }
    debug('retrying %s %s on a fresh connection: %s', req.method, ex.target, cause.message);
    try {
      return backendResponse(await attempt(ex, agent, body));
    } catch (again) {
      throw toProxyError((again as AttemptError).cause);
    }
  }
}
