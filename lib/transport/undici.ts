import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher as UndiciDispatcher } from 'undici';
import type { BackendResponse } from './backend-response.js';
import { headersTooLarge, unexpectedUpgrade } from './bad-response.js';
import { ProxyError, messageOf } from '../errors/proxy-error.js';
import type { Exchange } from '../http/exchange.js';
import { addHeader, validRaw } from '../util/header-check.js';
import { ResponseHead } from '../http/informational.js';
import { bodyOf } from './request-body.js';
import type { Dispatcher } from '../types.js';

/**
 * The outgoing headers for undici, which frames the body itself. The request-headers stage has
 * already dropped the hop-by-hop headers; it puts back only a chunked request's
 * `Transfer-Encoding`, which undici refuses, so only such a request needs its list filtered.
 */
function undiciHeaders(ex: Exchange): string[] {
  if (ex.req.headers['transfer-encoding'] === undefined) return ex.headers;
  const out: string[] = [];
  for (let i = 0; i < ex.headers.length; i += 2) {
    if (ex.headers[i] !== 'Transfer-Encoding') out.push(ex.headers[i]!, ex.headers[i + 1]!);
  }
  return out;
}

/**
 * undici's raw `[name, value, ...]` buffers as a map by lower-case name, as the node:http transport
 * builds it. undici's parser passes names Node's writers refuse (`X-T `, an empty name): dropped.
 */
function headerMap(raw: readonly Buffer[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i += 2) addHeader(headers, raw[i]!.toString('latin1'), raw[i + 1]!.toString('latin1'));
  return headers;
}

/** undici's raw buffers (1xx heads, trailers) as Node's `rawHeaders` strings. */
function strings(raw: unknown): string[] {
  return (raw as Buffer[]).map((b) => b.toString('latin1'));
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

function toProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  const code = String((err as { code?: unknown }).code);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'timeout awaiting response headers', { cause: err });
  }
  if (code === 'UND_ERR_HEADERS_OVERFLOW') return headersTooLarge(err);
  // undici's answer to a 101 for a request that asked for no upgrade (dispatcher/client-h1.js).
  if (code === 'UND_ERR_SOCKET' && messageOf(err) === 'bad upgrade') return unexpectedUpgrade();
  // undici wraps the socket's error; its cause carries Node's text (`connect ECONNREFUSED ...`).
  const cause = (err as { cause?: unknown }).cause;
  const message = cause instanceof Error ? cause.message : messageOf(err);
  return new ProxyError(TIMEOUT_CODES.has(code) ? 'ERR_PROXY_BACKEND_TIMEOUT' : 'ERR_PROXY_BACKEND_UNREACHABLE', message, { cause: err });
}

/**
 * Whether a request needs Node's HTTP client: undici sends no `Expect` (the backend must see it,
 * as Go forwards it), no request trailers, and no transfer coding but `chunked`.
 */
export function needsNodeClient(req: IncomingMessage): boolean {
  const { headers } = req;
  const te = headers['transfer-encoding'];
  return headers.expect !== undefined || headers.trailer !== undefined || (te !== undefined && !/^\s*chunked\s*$/i.test(te));
}

/**
 * The request body as undici should send it. A chunked request goes as an async iterable, so that
 * undici keeps it chunked: given the stream itself, undici sends `Content-Length` for a body that
 * has fully arrived, and the backend would see another framing than the client sent (T8).
 */
function undiciBody(req: IncomingMessage, body: IncomingMessage | null): IncomingMessage | AsyncIterable<Buffer> | null {
  return body !== null && req.headers['content-length'] === undefined ? body[Symbol.asyncIterator]() as AsyncIterable<Buffer> : body;
}

/**
 * The shared transport of the HTTP path over an undici `Dispatcher` (`Agent`, `Pool`, `Client`):
 * the same contract as the node:http transport (`transport.ts`), through undici's dispatch API,
 * which is markedly cheaper per request than Node's HTTP client. The body streams both ways with
 * backpressure (undici pauses the socket while the response body's buffer is full), 1xx answers
 * are relayed, trailers kept. `responseHeaderTimeout` counts from the end of the upload, and 1xx
 * answers are bounded, as in the node:http transport (the shared {@link ResponseHead}). Requests
 * {@link needsNodeClient} says undici cannot send are the caller's to route to the node:http
 * transport.
 */
export function undiciRoundTrip(ex: Exchange, dispatcher: Dispatcher): Promise<BackendResponse> {
  const { options, req, res } = ex;
  const body = bodyOf(ex);
  return new Promise((resolve, reject) => {
    let stream: Readable | undefined;
    let resume: (() => void) | undefined;
    let abort: ((err?: Error) => void) | undefined;
    let trailers: string[] = [];
    const head = new ResponseHead(ex, (err) => abort?.(err));
    const onClose = (): void => {
      if (!res.writableFinished) abort?.(new ProxyError('ERR_PROXY_BACKEND_ABORTED', 'the client went away'));
    };
    res.once('close', onClose);
    // `onRequestSent` is undici's (core/request.js), missing from its 6.x types.
    const handler: UndiciDispatcher.DispatchHandlers & { onRequestSent(): void } = {
      onConnect(abortRequest) {
        abort = abortRequest;
        if (res.destroyed) onClose();
      },
      onRequestSent() {
        head.sent();
      },
      onHeaders(status, raw, resumeBody, statusText) {
        if (status < 200) {
          head.informational(status, statusText, strings(raw));
          return true;
        }
        head.done();
        resume = resumeBody;
        stream = new Readable({ read: () => resume?.() });
        resolve({
          status,
          statusMessage: statusText,
          headers: headerMap(raw as unknown as Buffer[]),
          body: stream,
          trailers: () => trailers,
        });
        return true;
      },
      onData(chunk) {
        return stream!.push(chunk);
      },
      onComplete(raw) {
        if (raw) trailers = validRaw(strings(raw));
        res.removeListener('close', onClose);
        // Marked as Node marks a whole IncomingMessage, so that the relay can send it in one write.
        if (stream) Object.assign(stream, { complete: true }).push(null);
      },
      onError(err) {
        head.done();
        res.removeListener('close', onClose);
        if (stream) stream.destroy(err);
        else reject(toProxyError(err));
      },
    };
    (dispatcher as unknown as UndiciDispatcher).dispatch(
      {
        origin: `${options.location.protocol}//${options.location.host}`,
        path: ex.target,
        method: (req.method ?? 'GET') as UndiciDispatcher.HttpMethod,
        headers: undiciHeaders(ex),
        // undici takes async iterables as bodies (core/request.js), which its 6.x types do not name.
        body: undiciBody(req, body) as Readable | null,
        // The head timeout is ours: undici's restarts on every 1xx, and would count while the backend reads the upload.
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      handler,
    );
  });
}
