/**
 * The longest chunk-size, chunk-end or trailer line accepted, CR included: Go's chunked reader
 * has the same limit (`maxLineLength` in net/http/internal), and a line that never ends must not
 * grow memory with every byte.
 */
export const MAX_LINE = 4096;

/**
 * Finds where an HTTP/1.1 response body ends in a byte stream (RFC 9112 section 6.3), so that an
 * error answer can be relayed whole and the connection closed right after it.
 * `feed` returns how many bytes of `chunk` belong to the message, or -1 if all of them do and
 * more may follow; a close-delimited body never ends before the connection does.
 * `feed` throws a RangeError for a chunked framing line longer than {@link MAX_LINE}.
 */
export class MessageEnd {
  private remaining: number;
  private readonly chunked: boolean;
  /** Chunked parsing state: the line being read, or the data bytes still to skip. */
  private line = '';
  private state: 'size' | 'data' | 'data-crlf' | 'trailer' = 'size';
  private finished = false;

  constructor(status: number, headers: Map<string, string[]>, method: string) {
    const te = headers.get('transfer-encoding')?.join(',') ?? '';
    const length = headers.get('content-length')?.[0];
    this.chunked = /(?:^|,)\s*chunked\s*$/i.test(te);
    const bodyless = method === 'HEAD' || status === 204 || status === 304 || status < 200;
    // Transfer-Encoding overrides Content-Length; without chunked last, the body ends at close (RFC 9112 6.3).
    if (
      !bodyless &&
      !headers.has('transfer-encoding') &&
      length !== undefined &&
      /^\d+$/.test(length)
    )
      this.remaining = Number(length);
    else this.remaining = bodyless ? 0 : Infinity;
    this.finished = this.remaining === 0;
  }

  /** True when the message is already complete with the head alone. */
  get done(): boolean {
    return this.finished;
  }

  feed(chunk: Buffer): number {
    if (this.finished) return 0;
    if (!this.chunked) {
      if (this.remaining === Infinity || chunk.length < this.remaining) {
        this.remaining -= chunk.length;
        return -1;
      }
      const used = this.remaining;
      this.finished = true;
      return used;
    }
    return this.feedChunked(chunk);
  }

  private feedChunked(chunk: Buffer): number {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.state = 'data-crlf';
        continue;
      }
      const lf = chunk.indexOf(0x0a, i);
      const stop = lf === -1 ? chunk.length : lf;
      this.line += chunk.toString('latin1', i, stop);
      if (this.line.length > MAX_LINE)
        throw new RangeError(`chunked framing line longer than ${MAX_LINE} bytes`);
      if (lf === -1) return -1;
      i = lf + 1;
      if (this.endLine()) return i;
    }
    return -1;
  }

  /** Acts on one complete framing line; true when it was the blank line that ends the message. */
  private endLine(): boolean {
    const line = this.line.replace(/\r$/, '');
    this.line = '';
    if (this.state === 'data-crlf') this.state = 'size';
    else if (this.state === 'size') {
      const size = parseInt(line.split(';')[0]!.trim(), 16);
      if (Number.isNaN(size) || size === 0) this.state = 'trailer';
      else [this.state, this.remaining] = ['data', size];
    } else if (line === '') {
      this.finished = true;
    }
    return this.finished;
  }
}
