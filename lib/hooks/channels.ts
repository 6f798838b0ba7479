import dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * The package's `node:diagnostics_channel` channels (docs/observability.md). Each message carries
 * `req`; nothing is measured or published while a channel has no subscriber.
 */
export const channels = {
  start: dc.channel('upgrade-aware-proxy:request:start'),
  response: dc.channel('upgrade-aware-proxy:request:response'),
  end: dc.channel('upgrade-aware-proxy:request:end'),
  error: dc.channel('upgrade-aware-proxy:request:error'),
  tunnelOpen: dc.channel('upgrade-aware-proxy:tunnel:open'),
  tunnelClose: dc.channel('upgrade-aware-proxy:tunnel:close'),
} as const;

/** What an observation holds once its tunnel no longer needs the request (see `tunnelOpen`). */
const RELEASED = Object.freeze({}) as IncomingMessage;

/** Who ended a tunnel. */
export type ClosedBy = 'client' | 'backend' | 'proxy';

/** Bytes written on the client's connection, for a delta over one request. */
function written(socket: Duplex | null): number {
  return (socket as Partial<Socket> | null)?.bytesWritten ?? 0;
}

/**
 * Counts the body bytes Node's parser hands to `req` from now on, plus those it holds already:
 * the parser gives a request its body with `push`, so the count sees bytes that came in the same
 * read as the head (parsed after the `'request'` event) and excludes chunk framing, which the
 * connection's byte counter cannot do. Only made while someone observes.
 */
function bodyCounter(req: IncomingMessage): () => number {
  let bytes = req.readableLength;
  const push = req.push;
  req.push = function (chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
    return push.call(this, chunk, encoding);
  };
  return () => bytes;
}

/**
 * The request body's length: its Content-Length once it has all arrived (0 without one: bytes
 * after it are a pipelined request's), else (a chunked body, or one cut short) the body bytes that
 * arrived, chunk framing excluded.
 */
function bodyBytes(req: IncomingMessage, counted: number): number {
  if (!req.complete || req.headers['transfer-encoding'] !== undefined) return counted;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isSafeInteger(length) ? length : counted;
}

/**
 * One request's observation, made only when some channel has a subscriber ({@link observe}):
 * the clock, the bytes written on the connection before it, and the count of the body's bytes.
 */
export class Observation {
  #req: IncomingMessage;
  #closeWanted = false;
  /** Kept: Node sets `req.socket` to null once a request's body has been read to its end. */
  readonly #socket: Duplex | null;
  readonly #start = performance.now();
  readonly #written: number;
  readonly #bodyRead: () => number;
  #ended = false;

  constructor(req: IncomingMessage) {
    this.#req = req;
    this.#socket = req.socket;
    this.#written = written(req.socket);
    this.#bodyRead = bodyCounter(req);
    if (channels.start.hasSubscribers) channels.start.publish({ req });
  }

  /** Milliseconds since the start. */
  get ms(): number {
    return performance.now() - this.#start;
  }

  /** The response head is about to go out. */
  response(status: number): void {
    if (channels.response.hasSubscribers)
      channels.response.publish({ req: this.#req, status, ms: this.ms });
  }

  /** Something went to the responder (or, with the client gone, nowhere). */
  error(error: unknown): void {
    if (channels.error.hasSubscribers) channels.error.publish({ req: this.#req, error });
  }

  /**
   * The exchange is over: `status` was answered, or not all of it when `aborted`; 0 when no answer
   * went out, and then no byte counts as sent (Node's own 400 to a request cut short is not ours).
   */
  end(status: number, aborted: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!channels.end.hasSubscribers) return;
    channels.end.publish({
      req: this.#req,
      status,
      bytesIn: bodyBytes(this.#req, this.#bodyRead()),
      bytesOut: status === 0 ? 0 : written(this.#socket) - this.#written,
      ms: this.ms,
      aborted,
    });
  }

  /**
   * An upgrade switched: the tunnel is open. A tunnel may stay open for days, and every idle
   * tunnel's heap counts: without a `tunnel:close` subscriber now, nobody will be told of its end,
   * and the request is let go.
   */
  tunnelOpen(): void {
    if (channels.tunnelOpen.hasSubscribers)
      channels.tunnelOpen.publish({ req: this.#req, status: 101, ms: this.ms });
    this.#closeWanted = channels.tunnelClose.hasSubscribers;
    if (!this.#closeWanted) this.#req = RELEASED;
  }

  /** The tunnel closed; bytes counted by the tunnel, each way. Only for a tunnel that opened with a subscriber. */
  tunnelClose(bytesIn: number, bytesOut: number, closedBy: ClosedBy): void {
    this.#ended = true;
    if (this.#closeWanted && channels.tunnelClose.hasSubscribers)
      channels.tunnelClose.publish({ req: this.#req, bytesIn, bytesOut, ms: this.ms, closedBy });
  }
}

/** An observation of `req` when anyone listens, else undefined: no clock, no listener, no cost. */
export function observe(req: IncomingMessage): Observation | undefined {
  return channels.start.hasSubscribers ||
    channels.response.hasSubscribers ||
    channels.end.hasSubscribers ||
    channels.error.hasSubscribers ||
    channels.tunnelOpen.hasSubscribers ||
    channels.tunnelClose.hasSubscribers
    ? new Observation(req)
    : undefined;
}

/**
 * Publishes `end` when the HTTP response closes, finished or not; status 0 when its head never
 * went out (`statusCode` is 200 from the start).
 */
export function endOnClose(observation: Observation, res: ServerResponse): void {
  res.once('close', () =>
    observation.end(res.headersSent ? res.statusCode : 0, !res.writableFinished),
  );
}
