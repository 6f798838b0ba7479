import { Transform, type TransformCallback } from 'node:stream';
import { TokenizerMode, foreignContent, html, type Token, type TokenHandler } from 'parse5';
import { LocatingTokenizer, RAW_TEXT, svgTagId } from './tokenizer.js';
import { attributeValue, encodeValue, locateValue } from './values.js';

type TagToken = Token.TagToken;
type Location = Token.Location;

const $ = html.TAG_ID;
const NS = html.NS;

/**
 * The attributes holding URLs, by tag: Kubernetes' `atomsToAttrs` (spec 5.4), 25 tags and 35
 * tag/attribute pairs. CSS `url()` is not rewritten, as upstream.
 */
export const URL_ATTRIBUTES: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    a: ['href'], area: ['href'], base: ['href'], link: ['href'],
    applet: ['codebase'],
    audio: ['src'], embed: ['src'], script: ['src'], source: ['src'],
    blockquote: ['cite'], del: ['cite'], ins: ['cite'], q: ['cite'],
    body: ['background'],
    button: ['formaction'],
    command: ['icon'],
    form: ['action'],
    frame: ['longdesc', 'src'], iframe: ['longdesc', 'src'],
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
 * A streaming HTML rewriter over parse5's spec tokenizer. The body is read as bytes (latin1, one
 * char per byte), so every byte outside a rewritten value is written back unchanged whatever the
 * charset (spec P5), and a UTF-8 character split across chunks needs no care. Output is the
 * source, copied up to the last complete token after each chunk, with rewritten values spliced
 * in. Only parse5's window (64 KiB past the last token) and the current token's source are held,
 * so memory is bounded by the largest token, not by the document. (parse5 re-reads that window
 * as it grows, so a single token of many megabytes costs time quadratic in its size.)
 */
class HtmlRewriter extends Transform implements TokenHandler {
  readonly onParseError = null;
  private readonly tokenizer = new LocatingTokenizer({ sourceCodeLocationInfo: true }, this);
  /** Namespaces of the open foreign content, innermost last (the tree builder's feedback). */
  private readonly namespaces: html.NS[] = [NS.HTML];
  /** Source offset up to which output has been produced. */
  private copied = 0;
  /** Source offset where the last token emitted ends. */
  private tokenEnd = 0;
  private out = '';

  constructor(private readonly rewrite: RewriteAttribute) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.feed(chunk.toString('latin1'), false, callback);
  }

  override _flush(callback: TransformCallback): void {
    this.feed('', true, callback);
  }

  private feed(text: string, last: boolean, callback: TransformCallback): void {
    try {
      this.tokenizer.write(text, last);
      this.copyTo(this.tokenEnd);
    } catch (err) {
      callback(err as Error);
      return;
    }
    const out = this.out;
    this.out = '';
    callback(null, out === '' ? undefined : Buffer.from(out, 'latin1'));
  }

  /** Copies source text up to `offset` to the output. */
  private copyTo(offset: number): void {
    if (offset <= this.copied) return;
    // Cannot happen while the source is copied before every drop; fail rather than lose bytes.
    if (this.copied < this.tokenizer.preprocessor.droppedBufferSize) throw new Error('HTML rewriter: source dropped before it was copied');
    this.out += this.source(this.copied, offset);
    this.copied = offset;
  }

  /**
   * Notes where a token ends. The source is copied in one piece per chunk, and before parse5
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
    const { html: buffer, droppedBufferSize } = this.tokenizer.preprocessor;
    this.copyTo(droppedBufferSize + buffer.length);
  }

  onStartTag(token: TagToken): void {
    this.startTagFeedback(token);
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
    this.endTagFeedback(token);
    this.tokenDone(token);
  }

  private rewriteAttribute(attr: Token.Attribute, offset: number, token: TagToken): void {
    const text = this.source(offset, token.location!.endOffset);
    const where = locateValue(text);
    const raw = text.slice(where.start, where.end);
    const value = attributeValue(raw, where.quote);
    const next = this.rewrite(value, token.tagName, attr.name);
    if (next === undefined || next === value) return;
    this.copyTo(offset + where.start);
    this.out += encodeValue(next, where);
    this.copied = offset + where.end;
  }

  private source(from: number, to: number): string {
    const { html: buffer, droppedBufferSize } = this.tokenizer.preprocessor;
    return buffer.slice(from - droppedBufferSize, to - droppedBufferSize);
  }

  // The tokenizer's modes are set by the tree builder, which a stream does not run: what follows
  // simulates it as parse5-sax-parser's ParserFeedbackSimulator does (HTML Standard 13.2.6), so
  // script/style/textarea/title content is never read as tags and CDATA counts only in SVG/MathML.

  private get namespace(): html.NS {
    return this.namespaces[this.namespaces.length - 1]!;
  }

  private enter(ns: html.NS): void {
    this.namespaces.push(ns);
    this.tokenizer.inForeignNode = ns !== NS.HTML;
  }

  private leave(): void {
    this.namespaces.pop();
    this.tokenizer.inForeignNode = this.namespace !== NS.HTML;
  }

  private startTagFeedback(token: TagToken): void {
    if (this.namespaces.length === 1 && token.tagID !== $.SVG && token.tagID !== $.MATH) return this.setTextMode(token.tagID);
    if (token.tagID === $.SVG) this.enter(NS.SVG);
    else if (token.tagID === $.MATH) this.enter(NS.MATHML);
    const ns = this.namespace;
    if (ns === NS.HTML) this.setTextMode(token.tagID);
    else if (foreignContent.causesExit(token)) this.leave();
    else if (!token.selfClosing && foreignContent.isIntegrationPoint(svgTagId(token, ns), ns, token.attrs)) this.enter(NS.HTML);
  }

  private endTagFeedback(token: TagToken): void {
    if (this.namespaces.length === 1) return; // plain HTML, the usual case
    const ns = this.namespace;
    const outer = this.namespaces[this.namespaces.length - 2];
    if (ns === NS.HTML) {
      if (outer !== undefined && foreignContent.isIntegrationPoint(svgTagId(token, outer), outer, token.attrs)) this.leave();
    } else if ((token.tagID === $.SVG && ns === NS.SVG) || (token.tagID === $.MATH && ns === NS.MATHML)) {
      this.leave();
    }
  }

  private setTextMode(tag: html.TAG_ID): void {
    const tokenizer = this.tokenizer;
    if (tag === $.TEXTAREA || tag === $.TITLE) tokenizer.state = TokenizerMode.RCDATA;
    else if (tag === $.PLAINTEXT) tokenizer.state = TokenizerMode.PLAINTEXT;
    else if (tag === $.SCRIPT) tokenizer.state = TokenizerMode.SCRIPT_DATA;
    else if (RAW_TEXT.has(tag)) tokenizer.state = TokenizerMode.RAWTEXT;
  }
}

/** Elements whose content is raw text (scripting assumed enabled, as in browsers, for noscript). */
/**
 * Creates a Transform that rewrites the URL attributes of an HTML body (spec 5.4 with P5).
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
