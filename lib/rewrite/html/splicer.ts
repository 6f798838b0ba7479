import type { Token, TokenHandler } from 'parse5';
import { TreeFeedback } from './feedback.js';
import { LocatingTokenizer } from './tokenizer.js';
import { attributeValue, encodeValue, locateValue } from './values.js';

type TagToken = Token.TagToken;
type Location = Token.Location;

/**
 * The attributes holding URLs, by tag: Kubernetes' `atomsToAttrs`, 25 tags and 35 tag/attribute
 * pairs. CSS `url()` is not rewritten, as upstream.
 */
export const URL_ATTRIBUTES: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    a: ['href'],
    area: ['href'],
    base: ['href'],
    link: ['href'],
    applet: ['codebase'],
    audio: ['src'],
    embed: ['src'],
    script: ['src'],
    source: ['src'],
    blockquote: ['cite'],
    del: ['cite'],
    ins: ['cite'],
    q: ['cite'],
    body: ['background'],
    button: ['formaction'],
    command: ['icon'],
    form: ['action'],
    frame: ['longdesc', 'src'],
    iframe: ['longdesc', 'src'],
    head: ['profile'],
    html: ['manifest'],
    img: ['longdesc', 'src', 'usemap'],
    input: ['src', 'usemap', 'formaction'],
    object: ['classid', 'codebase', 'data', 'usemap'],
    video: ['poster', 'src'],
  }).map(([tag, attrs]) => [tag, new Set(attrs)]),
);

/** Returns the new value of a URL attribute, or `undefined` to leave it as it is. */
export type RewriteAttribute = (value: string, tag: string, attr: string) => string | undefined;

/**
 * Reads HTML source (bytes as latin1, one char per byte) through parse5's HTML Standard tokenizer and
 * gives back the same source, up to the last complete token, with rewritten URL values spliced
 * in. Only parse5's window (64 KiB past the last token) and the unfinished token's source are
 * held; the caller bounds the latter with `pending` and `overflowed`.
 */
export class LinkSplicer implements TokenHandler {
  readonly onParseError = null;
  private readonly tokenizer = new LocatingTokenizer({ sourceCodeLocationInfo: true }, this);
  private readonly feedback = new TreeFeedback(this.tokenizer);
  /** Source offset up to which output has been produced. */
  private copied = 0;
  /** Source offset where the last token emitted ends. */
  private tokenEnd = 0;
  private out = '';

  constructor(private readonly rewrite: RewriteAttribute) {}

  /** Reads `text`, the last of the source when `last`; returns the output it completes. */
  write(text: string, last: boolean): string {
    this.tokenizer.write(text, last);
    this.tokenizer.forgetGaps();
    this.copyTo(this.tokenEnd);
    return this.take();
  }

  /** Source read past the last complete token: what the unfinished token holds. */
  get pending(): number {
    return this.end - this.tokenEnd;
  }

  /** True once a limit on attributes or nesting stopped the tokenizer. */
  get overflowed(): boolean {
    return this.tokenizer.overflowed;
  }

  /** Every byte read and not yet given back, as it came: to pass the rest of a body through. */
  release(): string {
    this.copyTo(this.end);
    return this.take();
  }

  private get end(): number {
    const { html, droppedBufferSize } = this.tokenizer.preprocessor;
    return droppedBufferSize + html.length;
  }

  private take(): string {
    const out = this.out;
    this.out = '';
    return out;
  }

  /** Copies source text up to `offset` to the output. */
  private copyTo(offset: number): void {
    if (offset <= this.copied) return;
    // Cannot happen while the source is copied before every drop; fail rather than lose bytes.
    if (this.copied < this.tokenizer.preprocessor.droppedBufferSize)
      throw new Error('HTML rewriter: source dropped before it was copied');
    this.out += this.source(this.copied, offset);
    this.copied = offset;
  }

  /**
   * Notes where a token ends. The source is copied in one piece per write, and before parse5
   * drops what it has read, which it does only right after emitting a token (when past its
   * 64 KiB waterline).
   */
  private tokenDone(token: { location: Location | null }): void {
    this.tokenEnd = token.location!.endOffset;
    if (this.tokenizer.preprocessor.willDropParsedChunk()) this.copyTo(this.tokenEnd);
  }

  readonly onCharacter = this.tokenDone;
  readonly onNullCharacter = this.tokenDone;
  readonly onWhitespaceCharacter = this.tokenDone;
  readonly onComment = this.tokenDone;
  readonly onDoctype = this.tokenDone;

  onEof(): void {
    this.copyTo(this.end);
  }

  onStartTag(token: TagToken): void {
    this.feedback.startTag(token);
    const names = URL_ATTRIBUTES.get(token.tagName);
    const spans = token.location?.attrs;
    if (names && spans) {
      // Attributes come in source order (a repeated one only once, the first, which browsers use).
      for (const attr of token.attrs) {
        const span = names.has(attr.name) ? spans[attr.name] : undefined;
        if (span) this.rewriteAttribute(attr, span.startOffset, token);
      }
    }
    this.tokenDone(token);
  }

  onEndTag(token: TagToken): void {
    this.feedback.endTag(token);
    this.tokenDone(token);
  }

  private rewriteAttribute(attr: Token.Attribute, offset: number, token: TagToken): void {
    const text = this.source(offset, token.location!.endOffset);
    const where = locateValue(text);
    const value = attributeValue(text.slice(where.start, where.end), where.quote);
    const next = this.rewrite(value, token.tagName, attr.name);
    if (next === undefined || next === value) return;
    this.copyTo(offset + where.start);
    this.out += encodeValue(next, where);
    this.copied = offset + where.end;
  }

  private source(from: number, to: number): string {
    const { html, droppedBufferSize } = this.tokenizer.preprocessor;
    return html.slice(from - droppedBufferSize, to - droppedBufferSize);
  }
}
