import type { ServerResponse } from 'node:http';
import type { BackendResponse, BodySink, BodySource } from '../transport/backend-response.js';
import { debug } from '../util/debug.js';
import { toPairs } from '../util/raw-headers.js';
import type { Exchange } from './exchange.js';
import { validText } from '../util/header-check.js';

type Flushable = ServerResponse & { flush?: () => void };

/**
 * Sends the head now if no body chunk has carried it out (headers reach the client even
 * if the body stalls). `headersSent` cannot tell: it turns true at `writeHead`, while the head
 * still waits in Node's buffer for the first write.
 */
function flushHeadersIfIdle(res: ServerResponse, carried: () => boolean): void {
  if (!carried() && !res.writableEnded && !res.destroyed) res.flushHeaders();
}

interface Flusher {
  wrote(): void;
  stop(): void;
}

function noop(): void {}

/** Nothing to flush: one object for every response, not two new functions each. */
const NO_FLUSH: Flusher = { wrote: noop, stop: noop };

/**
 * Flushes a buffering layer in front of the socket (for example compression's `res.flush()`)
 * per `flushInterval`: after every chunk for -1 and for `text/event-stream`, else at most
 * `flushInterval` ms after a write. Node's own response does not buffer, so without such a
 * layer this does nothing.
 */
function flusher(ex: Exchange, contentType: string | undefined): Flusher {
  const res = ex.res as Flushable;
  const interval = ex.options.flushInterval;
  if (typeof res.flush !== 'function') return NO_FLUSH;
  const flush = res.flush.bind(res);
  if (interval < 0 || /^\s*text\/event-stream\s*(?:;|$)/i.test(contentType ?? ''))
    return { wrote: flush, stop: noop };
  if (interval === 0) return NO_FLUSH;
  let timer: NodeJS.Timeout | undefined;
  return {
    wrote() {
      timer ??= setTimeout(() => {
        timer = undefined;
        flush();
      }, interval);
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

/**
 * The headers as one flat `[name, value, ...]` list for `writeHead` on a response without headers
 * of its own: cheaper than a `setHeader` per name; repeated values stay separate lines.
 */
function flatHeaders(headers: Map<string, string[]>): string[] {
  const flat: string[] = [];
  for (const [name, values] of headers) for (const value of values) flat.push(name, value);
  return flat;
}

/**
 * A body that had fully arrived before the relay began (the common small answer: `complete`, see
 * `BackendBody` in transport/backend-response.ts) goes out with the head in one write, without
 * stream events. False when the body is still coming.
 */
function relayWhole(res: ServerResponse, response: BackendResponse, source?: BodySource): boolean {
  let whole: Buffer | null | undefined;
  if (source !== undefined) {
    if (!source.complete) return false;
    whole = source.takeWhole();
  } else {
    const { body } = response;
    if (body.complete !== true || body.readableFlowing === true || body.destroyed) return false;
    whole = body.read() as Buffer | null;
  }
  if (whole === undefined) return false;
  finish(res, response, whole ?? undefined);
  return true;
}

/**
 * Ends the response with the backend's trailers. The transports have dropped trailers Node would
 * refuse; should `addTrailers` throw all the same, the client sees a truncated response, and
 * nothing is thrown out of the body's event listener, where it would crash the process.
 */
function finish(res: ServerResponse, response: BackendResponse, data?: Buffer): void {
  try {
    const trailers = response.trailers();
    if (trailers.length > 0) res.addTrailers(toPairs(trailers));
    res.end(data);
  } catch (err) {
    debug('the backend trailers could not be relayed: %s', (err as Error).message);
    res.destroy();
  }
}

/**
 * Writes a body chunk. A body a response stage replaced is held to its Content-Length
 * (`strictContentLength`), and Node throws on a longer one: that must not escape the body's
 * event listener, so the response fails instead.
 */
function write(res: ServerResponse, chunk: Buffer, fail: (err: Error) => void): boolean {
  try {
    return res.write(chunk);
  } catch (err) {
    fail(err as Error);
    return false;
  }
}

/** The backend's reason phrase, unless empty or one Node would refuse to write (a control character). */
function reasonOf(response: BackendResponse): string | undefined {
  return response.statusMessage !== '' && validText(response.statusMessage)
    ? response.statusMessage
    : undefined;
}

/**
 * Writes the backend's answer to the client: status, headers, then the body with backpressure
 * and the flush policy, then trailers. A body that fails after the head went out destroys the
 * client connection, so the client sees a truncated response, never one that looks complete.
 * A body the transport offers as a source (undici's, untouched) is taken without a stream: whole,
 * or each chunk written as it comes.
 */
export function relay(ex: Exchange, response: BackendResponse): void {
  const { res } = ex;
  if (res.getHeaderNames().length === 0) {
    res.writeHead(response.status, reasonOf(response), flatHeaders(response.headers));
  } else {
    // Node applies a list given to writeHead through setHeader when a header is already set (Express's
    // X-Powered-By), which would merge repeated lines: each name is set once, with all its values.
    for (const [name, values] of response.headers)
      res.setHeader(name, values.length === 1 ? values[0]! : values);
    res.writeHead(response.status, reasonOf(response));
  }
  const source = response.source?.();
  if (relayWhole(res, response, source)) return;
  const flush = flusher(ex, response.headers.get('content-type')?.[0]);
  let ended = false;
  let wrote = false;
  const fail = (err?: Error): void => {
    flush.stop();
    if (ended) return;
    debug('response body from the backend failed: %s', err?.message ?? 'closed early');
    res.destroy();
    (source ?? response.body).destroy();
  };
  const sink: BodySink = {
    write(chunk) {
      wrote = true;
      const open = write(res, chunk, fail);
      flush.wrote();
      return open;
    },
    end() {
      ended = true;
      flush.stop();
      finish(res, response);
    },
    fail,
  };
  if (source?.sinkTo(sink) === true) {
    res.on('drain', () => source.resume());
  } else {
    const { body } = response;
    body.on('error', fail);
    body.on('close', () => fail());
    res.on('drain', () => body.resume());
    body.on('data', (chunk: Buffer) => {
      if (!sink.write(chunk)) body.pause();
    });
    // `on`, not `once`: it comes once, and `once` would wrap the listener on every response.
    body.on('end', sink.end);
  }
  // A backend answer that arrived whole goes out with its body; only a pending one needs the head sent first.
  if ((source ?? response.body).complete !== true)
    setImmediate(flushHeadersIfIdle, res, () => wrote);
}
