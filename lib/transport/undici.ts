import type { Readable } from 'node:stream';
import type * as undici from 'undici';
import {
  headerMap,
  type BackendBody,
  type BackendResponse,
  type BodySource,
} from './backend-response.js';
import { backendError } from './backend-error.js';
import type { ProxyError } from '../errors/proxy-error.js';
import type { Exchange } from '../http/exchange.js';
import { validRaw } from '../util/header-check.js';
import { RequestWatch, type Abortable } from './request-watch.js';
import { UndiciBody } from './undici-body.js';
import type { UndiciDispatcher } from '../types/clients.js';

/**
 * The outgoing headers for undici, which frames the body itself. The request-headers stage has
 * already dropped the hop-by-hop headers; it puts back only a chunked body's
 * `Transfer-Encoding`, which undici refuses, so only such a request needs its list filtered.
 */
function undiciHeaders(ex: Exchange): string[] {
  const raw = ex.headers.raw;
  if (!chunked(ex)) return raw;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i] !== 'Transfer-Encoding') out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** A body that goes chunked: the client's without Content-Length, or a stream `requestBody` supplied. */
function chunked(ex: Exchange): boolean {
  const { body, req } = ex;
  if (body === null || Buffer.isBuffer(body)) return false;
  return body !== req || req.headers['content-length'] === undefined;
}

/** undici's raw buffers (1xx heads, trailers) as Node's `rawHeaders` strings. */
function strings(raw: unknown): string[] {
  return (raw as Buffer[]).map((b) => b.toString('latin1'));
}

/**
 * The request body as undici should send it. A chunked request goes as an async iterable, so that
 * undici keeps it chunked: given the stream itself, undici sends `Content-Length` for a body that
 * has fully arrived, and the backend would see another framing than the client sent.
 */
function undiciBody(ex: Exchange): Exchange['body'] | AsyncIterable<Buffer> {
  const { body } = ex;
  return chunked(ex) ? ((body as Readable)[Symbol.asyncIterator]() as AsyncIterable<Buffer>) : body;
}

/**
 * undici's answer: its body is a stream only once someone reads `body` (a response stage, the HTML
 * rewriter); until then, and unless it was replaced, the relay takes it as a {@link BodySource}.
 */
class UndiciResponse implements BackendResponse {
  #body: BackendBody | undefined;

  constructor(
    public status: number,
    public statusMessage: string,
    public headers: Map<string, string[]>,
    private readonly undiciBody: UndiciBody,
    readonly trailers: () => string[],
  ) {}

  get body(): BackendBody {
    return (this.#body ??= this.undiciBody.stream());
  }

  set body(body: BackendBody) {
    this.#body = body;
  }

  source(): BodySource | undefined {
    return this.#body === undefined ? this.undiciBody : undefined;
  }
}

/**
 * One request through undici's dispatch API, written as undici's own handlers are: undici calls
 * these methods in order (connected, request sent, 1xx and final head, body chunks, then
 * trailers or an error). The rules both transports share are the {@link RequestWatch}'s.
 */
class UndiciHandler implements undici.Dispatcher.DispatchHandlers, Abortable {
  readonly #resolve: (response: BackendResponse) => void;
  readonly #reject: (err: ProxyError) => void;
  readonly #watch: RequestWatch;
  #abort: ((err?: Error) => void) | undefined;
  #body: UndiciBody | undefined;
  #trailers: string[] = [];

  constructor(
    ex: Exchange,
    resolve: (response: BackendResponse) => void,
    reject: (err: ProxyError) => void,
  ) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#watch = new RequestWatch(ex, this);
  }

  /** Aborts the request, as the watch does when the client leaves or the head is late. */
  destroy(err: ProxyError): void {
    this.#abort?.(err);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    this.#watch.connected();
  }

  /** undici's (core/request.js), missing from its 6.x types: the request is fully written. */
  onRequestSent(): void {
    this.#watch.sent();
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (status < 200) {
      this.#watch.informational(status, statusText, strings(raw));
      return true;
    }
    this.#watch.done();
    this.#body = new UndiciBody(resume, (err) => this.#abort?.(err));
    this.#resolve(
      new UndiciResponse(status, statusText, headerMap(raw), this.#body, () => this.#trailers),
    );
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.#body!.deliver(chunk);
  }

  onComplete(raw: string[] | null): void {
    if (raw) this.#trailers = validRaw(strings(raw));
    this.#watch.release();
    this.#body?.completed();
  }

  onError(err: Error): void {
    this.#watch.done();
    this.#watch.release();
    if (this.#body) this.#body.failed(err);
    else this.#reject(backendError(err));
  }
}

/** What undici is asked to send: the exchange's target and headers, the client's body as it came. */
function dispatchOptions(ex: Exchange): undici.Dispatcher.DispatchOptions {
  const { location } = ex;
  return {
    origin: `${location.protocol}//${location.host}`,
    path: ex.target,
    method: ex.method as undici.Dispatcher.HttpMethod,
    headers: undiciHeaders(ex),
    // undici takes async iterables as bodies (core/request.js), which its 6.x types do not name.
    body: undiciBody(ex) as Readable | null,
    // The head timeout is ours: undici's restarts on every 1xx, and would count while the backend reads the upload.
    headersTimeout: 0,
    bodyTimeout: 0,
  };
}

/**
 * The round trip through an undici `Dispatcher` (`Agent`, `Pool`, `Client`): the same contract
 * as Node's client (`node.ts`), through undici's dispatch API, which is markedly cheaper per
 * request. The body streams both ways with backpressure, 1xx answers are relayed, trailers kept.
 * Which requests undici cannot send is `transport.ts`'s to decide.
 */
export function undiciRoundTrip(
  ex: Exchange,
  dispatcher: UndiciDispatcher,
): Promise<BackendResponse> {
  return new Promise((resolve, reject) => {
    dispatcher.dispatch(dispatchOptions(ex), new UndiciHandler(ex, resolve, reject));
  });
}
