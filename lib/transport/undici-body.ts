import { Readable } from 'node:stream';
import type { BodySink } from './backend-response.js';

/**
 * The response body as undici delivers it: `onData` hands chunks over, a read asks undici for
 * more (undici pauses the socket meanwhile), and `complete` turns true once the body has ended,
 * as Node marks a whole `IncomingMessage`.
 *
 * Until someone reads, the chunks wait here rather than in the stream's buffer (bounded the same
 * way: past the high-water mark undici is paused), so that a body that has all arrived by then
 * (the common small answer) can leave with the response head through {@link takeWhole}, without
 * the stream's own work: a push, an end and a close cost four `process.nextTick` callbacks and
 * their events per request. Measured with the hop-by-hop fast path, in a same-run A/B: 6 % less
 * CPU per proxied 100-byte GET (docs/benchmarks.md). A body still arriving can leave the same way,
 * chunk by chunk, through {@link sinkTo}.
 */
export class UndiciBody extends Readable {
  complete = false;
  readonly #resume: () => void;
  readonly #abort: (err: Error) => void;
  #resuming = false;
  /** The chunks that came before the first read; null from then on. */
  #held: Buffer[] | null = [];
  #heldBytes = 0;
  /** Where the chunks go once the body was handed over past the stream ({@link sinkTo}). */
  #sink: BodySink | null = null;
  /** The sink refused a chunk and has not asked for more since. */
  #full = false;

  /** @param abort - aborts the request: a body destroyed before its end must release the connection. */
  constructor(resume: () => void, abort: (err: Error) => void) {
    super();
    this.#resume = resume;
    this.#abort = abort;
  }

  /**
   * A body a consumer gave up on (a response stage that failed, a body past a size limit) aborts
   * the request, so that undici closes the connection instead of holding it, stalled, for good.
   */
  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#held = null;
    if (!this.complete) this.#abort(err ?? new Error('response body destroyed'));
    callback(err);
  }

  override _read(): void {
    if (this.#held !== null && this.#release()) return;
    this.#more();
  }

  /** Asks undici for more; what a resume takes is said at {@link deliver}. */
  #more(): void {
    this.#resuming = true;
    try {
      this.#resume();
    } finally {
      this.#resuming = false;
    }
  }

  /**
   * Once the body was handed to a sink, `resume()` asks undici for more, past the stream; not once
   * the body has ended: undici's resume is its connection's, and a late `drain` would resume the
   * parser for the next request on that connection.
   */
  override resume(): this {
    if (this.#sink === null) return super.resume();
    this.#full = false;
    if (!this.destroyed && !this.complete) this.#more();
    return this;
  }

  /** Nobody has read the stream, set it flowing or listened for its chunks. */
  #untouched(): boolean {
    return (
      this.#held !== null &&
      !this.destroyed &&
      this.readableFlowing !== true &&
      this.listenerCount('data') === 0 &&
      this.listenerCount('readable') === 0
    );
  }

  /** The held chunks go into the stream; true when that was the whole body, ended. */
  #release(): boolean {
    const held = this.#held!;
    this.#held = null;
    for (const chunk of held) this.push(chunk);
    if (!this.complete) return false;
    this.push(null);
    return true;
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
    const sink = this.#sink;
    if (sink !== null) return this.#toSink(sink, chunk);
    const held = this.#held;
    if (held === null) return this.push(chunk) || this.#resuming;
    held.push(chunk);
    this.#heldBytes += chunk.length;
    return this.#heldBytes < this.readableHighWaterMark;
  }

  /**
   * A chunk to the sink; false pauses undici. As a stream that stops flowing still takes the chunk
   * already on its way into its buffer, the sink's first refusal lets undici go on, and the next
   * chunk pauses it. Pausing at every refusal made undici put the socket's remaining bytes back
   * and parse them again at every resume, in smaller chunks. Within a resume, as ever, all.
   */
  #toSink(sink: BodySink, chunk: Buffer): boolean {
    if (this.destroyed) return false;
    const wasFull = this.#full;
    this.#full = !sink.write(chunk);
    return !(wasFull && this.#full) || this.#resuming;
  }

  /** The body has fully arrived. */
  completed(): void {
    this.complete = true;
    if (this.#sink !== null) {
      if (!this.destroyed) this.#sink.end();
    } else if (this.#held === null) this.push(null);
  }

  /**
   * Hands a body still arriving to `sink` past the stream, when nobody has read it or listened for
   * its chunks: the chunks held so far at once, then each as undici delivers it, and the end. The
   * sink's refusals pause undici until `resume()` (as {@link #toSink} says); errors still come as
   * the stream's `error` and `close`, and the stream never ends. This saves the stream's push, its
   * `data` event and its `process.nextTick` callbacks on every chunk: a seventh less allocated per
   * 1 MiB answer (docs/benchmarks.md, "Transport kinds"). False, and nothing taken, when the
   * stream is already in use.
   */
  sinkTo(sink: BodySink): boolean {
    if (!this.#untouched()) return false;
    const held = this.#held!;
    this.#held = null;
    this.#sink = sink;
    for (const chunk of held) if (!this.destroyed) this.#full = !sink.write(chunk);
    if (this.destroyed) return true;
    if (this.complete) sink.end();
    else if (!this.#full && this.#heldBytes >= this.readableHighWaterMark) this.#more(); // undici was paused
    return true;
  }

  /**
   * The whole body, when it has all arrived and nobody has read it yet: taken once, and the
   * stream is spent (it never emits `end`: nobody listens). Null for an empty body, as `read()`
   * gives; undefined when the body is not there whole.
   */
  takeWhole(): Buffer | null | undefined {
    if (!this.complete || !this.#untouched()) return undefined;
    const held = this.#held!;
    this.#held = null;
    if (held.length <= 1) return held[0] ?? null;
    return Buffer.concat(held, this.#heldBytes);
  }
}
