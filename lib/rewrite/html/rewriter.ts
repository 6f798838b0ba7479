import { Transform, type TransformCallback } from 'node:stream';
import { debug } from '../../util/debug.js';
import { viewOf } from './bytes.js';
import { Scanner } from './scanner.js';
import { LinkSplicer, URL_ATTRIBUTES, type RewriteAttribute } from './splicer.js';
import { Window } from './window.js';
import type { LinkBytes } from './link-bytes.js';

export { URL_ATTRIBUTES, type RewriteAttribute } from './splicer.js';
export { MAX_PENDING } from './scanner.js';

/** The input is scanned in slices of at most this, so that what is held stays bounded. */
const SLICE = 64 * 1024;

/**
 * Text just before an unfinished token is held with it, up to this much, so that output ends
 * where a token does; past it, the text is passed on.
 */
const TEXT_HOLD = 64 * 1024;

/**
 * A streaming HTML rewriter over a byte scanner (scanner.ts) that follows the HTML Standard's
 * tokenizer wherever it decides what is a tag and where a value is. Every byte outside a rewritten
 * value is written back unchanged whatever the charset (docs/rewriting.md, "HTML links"). Output
 * is the source with rewritten values spliced in, up to the end of the last complete token (or
 * further into long text) after each slice. It holds at most an unfinished token (`MAX_PENDING`)
 * and `TEXT_HOLD` of text before it; past a limit (`MAX_PENDING`, tag.ts's `MAX_ATTRIBUTES`,
 * feedback.ts's `MAX_DEPTH`), the rest of the body passes byte for byte.
 */
class HtmlRewriter extends Transform {
  /** Undefined once the rewriter passes the body through. */
  private scanner: Scanner | undefined;
  private readonly splicer: LinkSplicer;
  private readonly window = new Window();

  constructor(rewrite: RewriteAttribute, links?: LinkBytes) {
    super();
    this.splicer = new LinkSplicer(rewrite, links);
    this.scanner = new Scanner(this.splicer.onStartTag, URL_ATTRIBUTES);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let at = 0;
    try {
      for (; at < chunk.length && this.scanner !== undefined; at += SLICE)
        this.feed(this.scanner, chunk.subarray(at, at + SLICE));
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback(null, at < chunk.length ? chunk.subarray(at) : undefined);
  }

  override _flush(callback: TransformCallback): void {
    this.output(this.window.end);
    this.window.drop(this.window.end);
    callback();
  }

  private feed(scanner: Scanner, slice: Buffer): void {
    const window = this.window;
    window.append(slice);
    scanner.scan(window.view(), window.base);
    if (scanner.overflowed) return this.passThrough();
    // Never before what is already passed on (text passed on before a token began).
    const keep = Math.max(this.keepFrom(scanner), window.base);
    this.output(keep);
    window.drop(keep);
  }

  /** Where the bytes still needed start: the unfinished token, with the text before it if short. */
  private keepFrom(scanner: Scanner): number {
    const token = scanner.tokenStart;
    if (token < 0) return scanner.pos;
    return token - scanner.lastTokenEnd <= TEXT_HOLD ? scanner.lastTokenEnd : token;
  }

  private passThrough(): void {
    debug('HTML rewriting stopped (a limit was reached): the rest of the body passes as it is');
    this.output(this.window.end);
    this.window.drop(this.window.end);
    this.scanner = undefined;
  }

  /** Passes on the bytes held before source offset `to`, with the rewritten values in them. */
  private output(to: number): void {
    const { window, splicer } = this;
    if (to <= window.base) return;
    const { splices, count } = splicer;
    if (splicer.next === count) return void this.push(Buffer.from(window.slice(window.base, to)));
    let last = splicer.next;
    let size = to - window.base;
    for (; last < count && splices[last]!.end <= to; last++) {
      const splice = splices[last]!;
      size += splice.bytes.length - (splice.end - splice.start);
    }
    this.push(this.spliced(window.base, to, last, Buffer.allocUnsafe(size)));
  }

  /** Writes into `out` the bytes held before `to` with the splices up to `last` in them. */
  private spliced(from: number, to: number, last: number, out: Buffer): Buffer {
    const { window, splicer } = this;
    const view = viewOf(out);
    let written = 0;
    for (; splicer.next < last; splicer.next++) {
      const splice = splicer.splices[splicer.next]!;
      written += window.copy(from, splice.start, out, view, written);
      written += copyValue(splice.bytes, out, written);
      from = splice.end;
    }
    window.copy(from, to, out, view, written);
    if (splicer.next === splicer.count) splicer.reset();
    return out;
  }
}

/** Copies a rewritten value's bytes into `out` at `at`: a loop for a short one, such as a prefix. */
function copyValue(value: Buffer, out: Buffer, at: number): number {
  const n = value.length;
  if (n > 32) return value.copy(out, at);
  for (let k = 0; k < n; k++) out[at + k] = value[k]!;
  return n;
}

/**
 * Creates a Transform that rewrites the URL attributes of an HTML body (docs/rewriting.md, "HTML links").
 * `rewrite` gets each listed attribute's entity-decoded value; whatever it returns replaces only
 * that value's bytes, re-escaped for the attribute's quoting. Every other byte passes unchanged.
 *
 * @param rewrite Returns the new value, or `undefined` to keep the attribute as it is.
 * @param links The same rewrite from a value's bytes where it can tell (link-bytes.ts), before `rewrite`.
 * @example
 * pipeline(body, createHtmlRewriter((v) => (v.startsWith('/') ? `/proxy${v}` : undefined)), res, done);
 */
export function createHtmlRewriter(rewrite: RewriteAttribute, links?: LinkBytes): Transform {
  return new HtmlRewriter(rewrite, links);
}
