import { Transform, type TransformCallback } from 'node:stream';
import { Tokenizer, TokenizerMode, foreignContent, html, type Token, type TokenHandler } from 'parse5';

type TagToken = Token.TagToken;
type Location = Token.Location;
/** How an attribute's value was written: quote character, or '' for unquoted (or no value at all). */
type Quote = '"' | "'" | '';

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

const ignore = (): void => {};
const NO_TOKENS: TokenHandler = {
  onComment: ignore, onDoctype: ignore, onStartTag: ignore, onEndTag: ignore, onEof: ignore,
  onCharacter: ignore, onNullCharacter: ignore, onWhitespaceCharacter: ignore, onParseError: null,
};

/** Bytes (one char per byte, as the stream is read) to text and back. */
const fromBytes = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');
const toBytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
const NON_ASCII = /[\x80-\xff]/;

interface ValueSpan {
  start: number;
  end: number;
  quote: Quote;
  /** No `=` at all: `<a href>`. */
  bare: boolean;
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r';

/**
 * Where the value sits in `text`, the source from an attribute's name to the end of its tag,
 * by the tokenizer's rules (HTML Standard 13.2.5.32-38). parse5's own end offset is not used:
 * it is stale when no whitespace follows a quoted value (`<a href="/x"<b>`).
 */
function locateValue(text: string): ValueSpan {
  let i = 1; // the first character always belongs to the name, even `=`
  while (i < text.length && !isSpace(text[i]) && text[i] !== '/' && text[i] !== '>' && text[i] !== '=') i++;
  const nameEnd = i;
  while (isSpace(text[i])) i++;
  if (text[i] !== '=') return { start: nameEnd, end: nameEnd, quote: '', bare: true };
  i++;
  while (isSpace(text[i])) i++;
  const quote = text[i] === '"' || text[i] === "'" ? (text[i] as Quote) : '';
  if (quote) return { start: i + 1, end: text.indexOf(quote, i + 1), quote, bare: false };
  let end = i;
  while (end < text.length && !isSpace(text[end]) && text[end] !== '>') end++;
  return { start: i, end, quote, bare: false };
}

/**
 * The entity-decoded value of a raw attribute value holding bytes >= 0x80: decoded as UTF-8
 * first, then by the tokenizer itself (so character references follow the attribute rules).
 */
function decodeValue(raw: string, quote: Quote): string {
  let value = '';
  const tokenizer = new Tokenizer({}, { ...NO_TOKENS, onStartTag: (t) => (value = t.attrs[0]?.value ?? '') });
  tokenizer.write(`<a v=${quote}${fromBytes(raw)}${quote}>`, true);
  return value;
}

/**
 * `value` as source text for the attribute's quoting (the quotes themselves stay in the source);
 * an unquoted or bare value that needs quotes gets `"`.
 */
function encodeValue(value: string, { quote, bare }: ValueSpan): string {
  const bytes = toBytes(value).replace(/&/g, '&amp;');
  if (quote === "'") return bytes.replace(/'/g, '&#39;');
  const doubled = bytes.replace(/"/g, '&#34;');
  if (quote === '"') return doubled;
  const wrap = bare || bytes === '' || /[\t\n\f\r "'=<>`]/.test(bytes);
  return `${bare ? '=' : ''}${wrap ? `"${doubled}"` : bytes}`;
}

/**
 * A streaming HTML rewriter over parse5's spec tokenizer. The body is read as bytes (latin1, one
 * char per byte), so every byte outside a rewritten value is written back unchanged whatever the
 * charset (spec P5), and a UTF-8 character split across chunks needs no care. Output is copied
 * from the source at each token's end; only the preprocessor's window and the current token are
 * held, so memory is bounded by the largest token, not by the document.
 */
class HtmlRewriter extends Transform implements TokenHandler {
  readonly onParseError = null;
  private readonly tokenizer = new Tokenizer({ sourceCodeLocationInfo: true }, this);
  /** Namespaces of the open foreign content, innermost last (the tree builder's feedback). */
  private readonly namespaces: html.NS[] = [NS.HTML];
  /** Source offset up to which output has been produced. */
  private copied = 0;
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
    } catch (err) {
      callback(err as Error);
      return;
    }
    const out = this.out;
    this.out = '';
    callback(null, out === '' ? undefined : Buffer.from(out, 'latin1'));
  }

  /** Copies source text up to `offset`; the tokenizer drops its buffer only behind a token's end. */
  private copyTo(offset: number): void {
    if (offset <= this.copied) return;
    // Cannot happen while parse5 drops only behind the token just emitted; fail rather than lose bytes.
    if (this.copied < this.tokenizer.preprocessor.droppedBufferSize) throw new Error('HTML rewriter: source dropped before it was copied');
    this.out += this.source(this.copied, offset);
    this.copied = offset;
  }

  /** Text, comments and doctypes are copied as they are. */
  private copyToken(token: { location: Location | null }): void {
    if (token.location) this.copyTo(token.location.endOffset);
  }

  readonly onCharacter = this.copyToken;
  readonly onNullCharacter = this.copyToken;
  readonly onWhitespaceCharacter = this.copyToken;
  readonly onComment = this.copyToken;
  readonly onDoctype = this.copyToken;

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
    this.copyToken(token);
  }

  onEndTag(token: TagToken): void {
    this.endTagFeedback(token);
    this.copyToken(token);
  }

  private rewriteAttribute(attr: Token.Attribute, offset: number, token: TagToken): void {
    const text = this.source(offset, token.location!.endOffset);
    const where = locateValue(text);
    const raw = text.slice(where.start, where.end);
    const value = NON_ASCII.test(raw) ? decodeValue(raw, where.quote) : attr.value;
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
    if (token.tagID === $.SVG) this.enter(NS.SVG);
    else if (token.tagID === $.MATH) this.enter(NS.MATHML);
    const ns = this.namespace;
    if (ns === NS.HTML) this.setTextMode(token.tagID);
    else if (foreignContent.causesExit(token)) this.leave();
    else if (!token.selfClosing && foreignContent.isIntegrationPoint(svgTagId(token, ns), ns, token.attrs)) this.enter(NS.HTML);
  }

  private endTagFeedback(token: TagToken): void {
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
const RAW_TEXT = new Set([$.STYLE, $.IFRAME, $.XMP, $.NOEMBED, $.NOFRAMES, $.NOSCRIPT]);

/** The tag ID with SVG's camel-cased names restored (`foreignobject` -> `foreignObject`). */
function svgTagId(token: TagToken, ns: html.NS): html.TAG_ID {
  const adjusted = ns === NS.SVG ? foreignContent.SVG_TAG_NAMES_ADJUSTMENT_MAP.get(token.tagName) : undefined;
  return adjusted === undefined ? token.tagID : html.getTagID(adjusted);
}

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
