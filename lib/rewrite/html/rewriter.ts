import { Transform, type TransformCallback } from 'node:stream';
import { debug } from '../../util/debug.js';
import { LinkSplicer, type RewriteAttribute } from './splicer.js';

export { URL_ATTRIBUTES, type RewriteAttribute } from './splicer.js';

/**
 * The most source an unfinished token (a tag, comment, doctype, character reference, with any
 * text before it not yet passed on) may hold: a longer one stops the rewriter, which passes the
 * rest of the body through as it came, so a body's memory is bounded whatever its tokens
 * (docs/rewriting.md, "Limits").
 */
export const MAX_PENDING = 256 * 1024;

/** The input is read in slices of at most this, so that the limits are checked this often. */
const SLICE = 64 * 1024;

/**
 * While an unfinished token holds `GATHER_FROM` bytes or more, chunks are gathered into pieces of
 * `GATHER` before they are read (the end of the body reads what is left). parse5 joins each write
 * to its window and copies the whole window to read on: a body trickling in one byte at a time
 * would cost a copy of up to 320 KiB per byte (a 300 KiB tag took 30 s in 1-byte chunks).
 */
const GATHER_FROM = 64 * 1024;
const GATHER = 16 * 1024;

/**
 * A streaming HTML rewriter over parse5's HTML Standard tokenizer. The body is read as bytes
 * (latin1, one char per byte), so every byte outside a rewritten value is written back unchanged
 * whatever the charset (docs/rewriting.md, "HTML links"), and a UTF-8 character split across
 * chunks needs no care. Output is the source, copied up to the last complete token after each
 * slice, with rewritten values spliced in. Past a limit (`MAX_PENDING`, the tokenizer's
 * `MAX_ATTRIBUTES`, the tree feedback's `MAX_DEPTH`), the rest of the body passes byte for byte,
 * and the rewriter holds nothing more.
 */
class HtmlRewriter extends Transform {
  /** Undefined once the rewriter passes the body through. */
  private splicer: LinkSplicer | undefined;
  /** Chunks gathered while a long token is unfinished, and their length. */
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(rewrite: RewriteAttribute) {
    super();
    this.splicer = new LinkSplicer(rewrite);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.splicer === undefined) return callback(null, chunk);
    if (this.splicer.pending < GATHER_FROM || this.heldBytes + chunk.length >= GATHER)
      return this.run(this.unhold(chunk), false, callback);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.splicer === undefined) callback();
    else this.run(this.unhold(Buffer.alloc(0)), true, callback);
  }

  /** `chunk` after the chunks held before it. */
  private unhold(chunk: Buffer): Buffer {
    if (this.held.length === 0) return chunk;
    const all = Buffer.concat([...this.held, chunk]);
    this.held = [];
    this.heldBytes = 0;
    return all;
  }

  private run(chunk: Buffer, last: boolean, callback: TransformCallback): void {
    let at = 0;
    try {
      do at = this.feed(chunk, at, last);
      while (at < chunk.length && this.splicer !== undefined);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback(null, at < chunk.length ? chunk.subarray(at) : undefined);
  }

  /** Feeds the slice of `chunk` at `at` and checks the limits; returns where the next starts. */
  private feed(chunk: Buffer, at: number, last: boolean): number {
    const splicer = this.splicer!;
    // No further than the byte that brings the unfinished token to MAX_PENDING, so that the limit
    // is exact (`pending` is below it here, else the rewriter would have stopped).
    const end = Math.min(chunk.length, at + SLICE, at + Math.max(1, MAX_PENDING - splicer.pending));
    this.output(splicer.write(chunk.toString('latin1', at, end), last && end === chunk.length));
    if (splicer.pending >= MAX_PENDING || splicer.overflowed) this.passThrough(splicer);
    return end;
  }

  private passThrough(splicer: LinkSplicer): void {
    debug(
      'HTML rewriting stopped (%s): the rest of the body passes as it is',
      splicer.overflowed ? 'too many attributes or too deep' : 'a token over 256 KiB',
    );
    this.output(splicer.release());
    this.splicer = undefined;
  }

  private output(text: string): void {
    if (text !== '') this.push(Buffer.from(text, 'latin1'));
  }
}

/**
 * Creates a Transform that rewrites the URL attributes of an HTML body (docs/rewriting.md, "HTML links").
 * `rewrite` gets each listed attribute's entity-decoded value; whatever it returns replaces only
 * that value's bytes, re-escaped for the attribute's quoting. Every other byte passes unchanged.
 *
 * @param rewrite Returns the new value, or `undefined` to keep the attribute as it is.
 * @example
 * pipeline(body, createHtmlRewriter((v) => (v.startsWith('/') ? `/proxy${v}` : undefined)), res, done);
 */
export function createHtmlRewriter(rewrite: RewriteAttribute): Transform {
  return new HtmlRewriter(rewrite);
}
