import { Readable, getDefaultHighWaterMark } from 'node:stream';
import type { BodySink, BodySource } from './backend-response.js';

/**
 * How much of the body waits here, before the relay or a stream takes it, until undici is paused:
 * what a stream's buffer would hold.
 */
const HELD = getDefaultHighWaterMark(false);

/**
 * The response body as undici delivers it: `onData` hands chunks over ({@link deliver}), a resume
 * asks undici for more (undici pauses the socket meanwhile), and `complete` turns true once the
 * body has ended, as Node marks a whole `IncomingMessage`.
 *
 * It is no stream until someone asks for one ({@link stream}): the relay takes a body nobody else
 * has touched whole ({@link takeWhole}) or chunk by chunk ({@link sinkTo}), without a stream's
 * objects, events and `process.nextTick` callbacks. Made for every response, a `Readable` kept the
 * process in a state where more of each request outlived V8's scavenges (docs/benchmarks.md,
 * "Transport kinds"). Until then the chunks wait here, bounded as a stream's buffer would be.
 */
export class UndiciBody implements BodySource {
  complete = false;
  readonly #resume: () => void;
  readonly #abort: (err: Error) => void;
  #resuming = false;
  /** The chunks that came before the relay or a stream took the body; null from then on. */
  #held: Buffer[] | null = [];
  #heldBytes = 0;
  /** Where the chunks go once the relay took the body ({@link sinkTo}). */
  #sink: BodySink | null = null;
  /** The sink refused a chunk and has not asked for more since. */
  #full = false;
  /** The body as a stream, once someone asked for it. */
  #stream: UndiciStream | null = null;
  /** Destroyed, or failed: no more chunks, nothing to hand over. */
  #over = false;
  /** The error undici reported before anyone took the body, for a stream made later. */
  #error: Error | null = null;

  /** @param abort - aborts the request: a body destroyed before its end must release the connection. */
  constructor(resume: () => void, abort: (err: Error) => void) {
    this.#resume = resume;
    this.#abort = abort;
  }

  /**
   * The body as a stream, made on the first call: it takes over what was held. The relay takes the
   * body as a source only while nobody has asked for this, so it is never made once a sink has it.
   */
  stream(): Readable {
    if (this.#stream !== null) return this.#stream;
    const held = this.#held ?? [];
    this.#held = null;
    const stream = new UndiciStream(this);
    this.#stream = stream;
    for (const chunk of held) stream.push(chunk);
    if (this.#error !== null) stream.destroy(this.#error);
    else if (this.#over) stream.destroy();
    else if (this.complete) stream.push(null);
    return stream;
  }

  /**
   * Takes a chunk; false pauses undici's parser. A resume takes all the socket holds: undici's
   * resume reads the socket's whole buffer, which lets the socket read more, and puts back what
   * a paused parser left. Pausing within a resume would let a consumer slower than the backend
   * (a gzip body being rewritten) grow that buffer by up to a socket read per resume, without
   * bound (docs/rewriting.md, "Limits"). So within a resume the bytes are taken (at most the
   * socket's buffer, some 80 KiB), and the pause comes with the next read from the socket.
   */
  deliver(chunk: Buffer): boolean {
    if (this.#stream !== null) return this.#stream.push(chunk) || this.#resuming;
    if (this.#sink !== null) return this.#toSink(this.#sink, chunk);
    const held = this.#held;
    if (held === null) return false;
    held.push(chunk);
    this.#heldBytes += chunk.length;
    return this.#heldBytes < HELD;
  }

  /**
   * A chunk to the sink; false pauses undici. As a stream that stops flowing still takes the chunk
   * already on its way into its buffer, the sink's first refusal lets undici go on, and the next
   * chunk pauses it. Pausing at every refusal made undici put the socket's remaining bytes back
   * and parse them again at every resume, in smaller chunks. Within a resume, as ever, all.
   */
  #toSink(sink: BodySink, chunk: Buffer): boolean {
    if (this.#over) return false;
    const wasFull = this.#full;
    this.#full = !sink.write(chunk);
    return !(wasFull && this.#full) || this.#resuming;
  }

  /** The body has fully arrived. */
  completed(): void {
    this.complete = true;
    if (this.#stream !== null) this.#stream.push(null);
    else if (this.#sink !== null && !this.#over) this.#sink.end();
  }

  /** undici failed the request: the stream, or the sink, hears of it. */
  failed(err: Error): void {
    if (!this.#close(err)) return;
    this.#error = err;
    this.#sink?.fail(err);
  }

  /**
   * Ends the body here: true when that is now, false when it already was, or when its stream
   * takes the end instead (destroyed with `err`).
   */
  #close(err: Error | undefined): boolean {
    if (this.#stream !== null) {
      this.#stream.destroy(err);
      return false;
    }
    if (this.#over) return false;
    this.#over = true;
    this.#held = null;
    return true;
  }

  /**
   * Asks undici for more; what a resume takes is said at {@link deliver}. Not once the body has
   * ended: undici's resume is its connection's, and a late `drain` or read would resume the parser
   * for the next request on that connection.
   */
  more(): void {
    if (this.#over || this.complete) return;
    this.#resuming = true;
    try {
      this.#resume();
    } finally {
      this.#resuming = false;
    }
  }

  /** The sink asks for more. */
  resume(): void {
    this.#full = false;
    this.more();
  }

  /**
   * A body given up on (the client left, a stage failed) aborts the request, so that undici closes
   * the connection instead of holding it, stalled, for good.
   */
  destroy(err?: Error): void {
    if (this.#close(err)) this.#stop(err);
  }

  /** For the stream: it was destroyed, and undici must stop unless the body had ended. */
  streamDestroyed(err: Error | null): void {
    if (this.#over) return; // over before the stream was made: undici already stopped
    this.#over = true;
    this.#stop(err ?? undefined);
  }

  /** Stops undici's answer, unless it had ended. */
  #stop(err: Error | undefined): void {
    if (!this.complete) this.#abort(err ?? new Error('response body destroyed'));
  }

  /**
   * Hands the body to `sink`: the chunks held so far at once, then each as undici delivers it, and
   * the end, or `fail` with undici's error. The sink's refusals pause undici until
   * {@link resume} (as {@link #toSink} says). False, and nothing taken, when the body was made a
   * stream or is over.
   */
  sinkTo(sink: BodySink): boolean {
    const held = this.#held;
    if (held === null || this.#over) return false;
    this.#held = null;
    this.#sink = sink;
    for (const chunk of held) if (!this.#over) this.#full = !sink.write(chunk);
    if (this.#over) return true;
    if (this.complete) sink.end();
    else if (!this.#full && this.#heldBytes >= HELD) this.more(); // undici was paused
    return true;
  }

  /**
   * The whole body, when it has all arrived and nobody has taken it yet: taken once. Null for an
   * empty body, as `read()` gives; undefined when the body is not there whole.
   */
  takeWhole(): Buffer | null | undefined {
    const held = this.#held;
    if (!this.complete || held === null || this.#over) return undefined;
    this.#held = null;
    if (held.length <= 1) return held[0] ?? null;
    return Buffer.concat(held, this.#heldBytes);
  }
}

/**
 * The body as a stream, for whoever asks for it (a response stage, the HTML rewriter): a read asks
 * undici for more, and `complete` is the body's.
 */
class UndiciStream extends Readable {
  readonly #body: UndiciBody;

  constructor(body: UndiciBody) {
    super();
    this.#body = body;
  }

  get complete(): boolean {
    return this.#body.complete;
  }

  override _read(): void {
    this.#body.more();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#body.streamDestroyed(err);
    callback(err);
  }
}
