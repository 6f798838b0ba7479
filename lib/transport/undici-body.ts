import { Readable } from 'node:stream';

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
 * CPU per proxied 100-byte GET (docs/benchmarks.md).
 */
export class UndiciBody extends Readable {
  complete = false;
  readonly #resume: () => void;
  readonly #abort: (err: Error) => void;
  #resuming = false;
  /** The chunks that came before the first read; null from then on. */
  #held: Buffer[] | null = [];
  #heldBytes = 0;

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
    this.#resuming = true;
    try {
      this.#resume();
    } finally {
      this.#resuming = false;
    }
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
    const held = this.#held;
    if (held === null) return this.push(chunk) || this.#resuming;
    held.push(chunk);
    this.#heldBytes += chunk.length;
    return this.#heldBytes < this.readableHighWaterMark;
  }

  /** The body has fully arrived. */
  completed(): void {
    this.complete = true;
    if (this.#held === null) this.push(null);
  }

  /**
   * The whole body, when it has all arrived and nobody has read it yet: taken once, and the
   * stream is spent (it never emits `end`: nobody listens). Null for an empty body, as `read()`
   * gives; undefined when the body is not there whole.
   */
  takeWhole(): Buffer | null | undefined {
    const held = this.#held;
    if (!this.complete || held === null || this.destroyed) return undefined;
    this.#held = null;
    if (held.length <= 1) return held[0] ?? null;
    return Buffer.concat(held, this.#heldBytes);
  }
}
