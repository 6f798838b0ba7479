import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';

/** A body's single content coding, as this package can undo and redo it. */
export type Coding = 'identity' | 'gzip' | 'deflate' | 'br';

/** A decoder and the matching encoder for one response body. */
export interface Recoder {
  /** Compressed body in, plain body out. */
  decode: Transform;
  /** Plain body in, body out in the coding (and, for deflate, the form) the decoder saw. */
  encode: Transform;
}

/**
 * The coding named by a `Content-Encoding` value, matched case-insensitively and trimmed
 * (docs/differences.md, P6): none or `identity`, `gzip` or `x-gzip` (RFC 9110 section 8.4.1.3), `deflate`, `br`.
 * Anything else, several codings (`gzip, br`) included, is `null`: the body is not understood.
 */
export function codingOf(contentEncoding: string | undefined): Coding | null {
  const name = (contentEncoding ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') return 'identity';
  if (name === 'gzip' || name === 'x-gzip') return 'gzip';
  return name === 'deflate' || name === 'br' ? name : null;
}

/**
 * True for a zlib (RFC 1950) header: CM 8, a window of at most 32 KiB and the FCHECK multiple
 * of 31. A raw DEFLATE stream (RFC 1951) starts with a block header, whose first byte has the
 * low bits 0-2 (BFINAL, BTYPE) and zero padding for stored blocks, so it never looks like one.
 */
function isZlibHeader(head: Buffer): boolean {
  const [cmf = 0, flg = 0] = head;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
}

/**
 * A Transform over a zlib stream that `open` creates from the body's first bytes (at least
 * `need` of them, fewer only if the body is that short). A body without bytes never opens one,
 * so it stays empty rather than failing (`unexpected end of file`) or growing a gzip header:
 * HEAD, 204 and 304 responses pass through (docs/differences.md, P6). Backpressure goes both ways.
 */
class LazyCoder extends Transform {
  private inner: Transform | undefined;
  private head = Buffer.alloc(0);

  constructor(
    private readonly open: (head: Buffer) => Transform,
    private readonly need = 1,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.inner) return this.forward(this.inner, chunk, callback);
    this.head = Buffer.concat([this.head, chunk]);
    if (this.head.length < this.need) return callback();
    this.forward(this.start(), this.head, callback);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.inner && this.head.length === 0) return callback();
    const inner = this.inner ?? this.start();
    inner.once('end', () => callback());
    // A body shorter than `need` is handed over as it is: the coder judges it.
    if (this.head.length > 0) inner.end(this.head);
    else inner.end();
  }

  override _read(size: number): void {
    this.inner?.resume();
    super._read(size);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.inner?.destroy();
    callback(err);
  }

  private start(): Transform {
    const inner = this.open(this.head);
    this.inner = inner;
    inner.on('error', (err) => this.destroy(err));
    inner.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) inner.pause();
    });
    return inner;
  }

  private forward(inner: Transform, chunk: Buffer, callback: TransformCallback): void {
    this.head = Buffer.alloc(0);
    if (inner.write(chunk)) callback();
    else inner.once('drain', () => callback());
  }
}

/**
 * Compression settings for re-encoding: Kubernetes' where it has one (`rewriteResponse` in
 * apimachinery's proxy transport.go: gzip at the default level, deflate at `flate.BestCompression`).
 */
const GZIP: zlib.ZlibOptions = {}; // gzip.NewWriter: the default level
const DEFLATE: zlib.ZlibOptions = { level: zlib.constants.Z_BEST_COMPRESSION }; // flate.BestCompression
/** Brotli's default quality (11) is meant for static assets; 4 is the usual choice on the fly. */
const BROTLI: zlib.BrotliOptions = {
  params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 4,
    [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
  },
};

/**
 * deflate: RFC 9110 means zlib-wrapped data, but Go (and so Kubernetes) sends raw DEFLATE.
 * The decoder tells the two apart by the first two bytes; the encoder writes the form the
 * decoder saw (zlib if it saw nothing).
 */
function deflateRecoder(): Recoder {
  let raw = false;
  const decode = new LazyCoder((head) => {
    raw = !isZlibHeader(head);
    return raw ? zlib.createInflateRaw() : zlib.createInflate();
  }, 2);
  const encode = new LazyCoder(() =>
    raw ? zlib.createDeflateRaw(DEFLATE) : zlib.createDeflate(DEFLATE),
  );
  return { decode, encode };
}

/**
 * Streams that undo and redo a response body's `Content-Encoding`, or `null` when the coding is
 * not understood (unknown, or several codings): the body must then pass through untouched.
 * Each call makes new streams, for one body.
 *
 * @param contentEncoding The response's `Content-Encoding` header, if any.
 * @example
 * const codec = recode(response.headers['content-encoding']);
 * if (codec) pipeline(response, codec.decode, createHtmlRewriter(fix), codec.encode, res, done);
 */
export function recode(contentEncoding: string | undefined): Recoder | null {
  switch (codingOf(contentEncoding)) {
    case 'identity':
      return { decode: new PassThrough(), encode: new PassThrough() };
    case 'gzip':
      return {
        decode: new LazyCoder(() => zlib.createGunzip()),
        encode: new LazyCoder(() => zlib.createGzip(GZIP)),
      };
    case 'deflate':
      return deflateRecoder();
    case 'br':
      return {
        decode: new LazyCoder(() => zlib.createBrotliDecompress()),
        encode: new LazyCoder(() => zlib.createBrotliCompress(BROTLI)),
      };
    default:
      return null;
  }
}
