import { Token, Tokenizer, foreignContent, html } from 'parse5';
import { LeanTag, NamedAttribute, SilentComment, SilentDoctype } from './tokens.js';

type TagToken = Token.TagToken;

const $ = html.TAG_ID;
const NS = html.NS;

/**
 * The most attributes one tag may have. Each costs a location object (about 100 bytes), and a
 * tag past this many stops the tokenizer (`overflowed`): the rewriter then passes the rest of the
 * body through (docs/rewriting.md, "Limits").
 */
export const MAX_ATTRIBUTES = 1000;

/**
 * parse5's tokenizer, gathering none of the text this rewriter never reads (it copies the source
 * by location and reads URL values from it). parse5 gathers names, text, comments, doctypes and
 * attribute values one char at a time, a rope of some 33 bytes per char: a 5 MB `data:` URL would
 * take 200 MB. Names are cut (tokens.ts), the rest is not gathered, and a run of text is
 * cut where parse5 would drop its window behind it.
 */
export class LocatingTokenizer extends Tokenizer {
  /** Set past `MAX_ATTRIBUTES` or feedback.ts's `MAX_DEPTH`; the tokenizer is then paused. */
  overflowed = false;
  /** The names of the current tag's attributes, so that a repeat is found in constant time. */
  private readonly names = new Set<string>();

  protected override _appendCharToCurrentCharacterToken(
    type: Token.CharacterToken['type'],
    ch: string,
  ): void {
    const current = this.currentCharacterToken;
    if (current?.type === type && !this.preprocessor.willDropParsedChunk()) return;
    if (current) {
      // As parse5 does when the kind of character changes: end the token here, then drop.
      this.currentLocation = this.getCurrentLocation(0);
      this._emitCurrentCharacterToken(this.currentLocation);
      this.preprocessor.dropParsedChunk();
    }
    this._createCharacterToken(type, ch);
  }

  /**
   * Empties the preprocessor's stack of CR LF positions. It grows by one entry per CR LF until
   * parse5 drops its window, which it does only after a token: some 10 bytes per entry, 1.3 MB in
   * a comment of 256 KiB of line ends. Only `retreat` reads it, at the end of a write and no
   * further back than where that write resumed, so what is on it when a write returns is never
   * read again.
   */
  forgetGaps(): void {
    (this.preprocessor as unknown as { gapStack: number[] }).gapStack.length = 0;
  }

  protected override _createStartTagToken(): void {
    super._createStartTagToken();
    this.leanTag(Token.TokenType.START_TAG);
  }

  protected override _createEndTagToken(): void {
    super._createEndTagToken();
    this.leanTag(Token.TokenType.END_TAG);
  }

  private leanTag(type: TagToken['type']): void {
    this.currentToken = new LeanTag(type, this.currentToken!.location);
    this.names.clear();
  }

  protected override _createAttr(nameFirstChar: string): void {
    super._createAttr(nameFirstChar);
    this.currentAttr = new NamedAttribute(nameFirstChar);
  }

  /**
   * parse5's, with a set in place of its scan of the attributes so far (quadratic: a tag with
   * 80,000 attributes took 24 s), and a cap on their number.
   */
  protected override _leaveAttrName(): void {
    const token = this.currentToken as TagToken;
    const attr = this.currentAttr;
    if (this.names.has(attr.name)) return; // a repeat is dropped (a parse error): browsers use the first
    if (token.attrs.length === MAX_ATTRIBUTES) return this.overflow();
    this.names.add(attr.name);
    token.attrs.push(attr);
    const location = token.location;
    if (location && this.currentLocation)
      (location.attrs ??= Object.create(null) as Record<string, Token.Location>)[attr.name] =
        this.currentLocation;
    this._leaveAttrValue();
  }

  /** Stops the tokenizer for good, past one of the limits on what it may hold. */
  overflow(): void {
    this.overflowed = true;
    this.pause();
  }

  protected override _createCommentToken(offset: number): void {
    super._createCommentToken(offset);
    this.currentToken = new SilentComment(this.currentToken!.location);
  }

  protected override _createDoctypeToken(initialName: string | null): void {
    super._createDoctypeToken(initialName);
    this.currentToken = new SilentDoctype(this.currentToken!.location);
  }
}

/** Elements whose content is raw text (scripting assumed enabled, as in browsers, for noscript). */
export const RAW_TEXT = new Set([$.STYLE, $.IFRAME, $.XMP, $.NOEMBED, $.NOFRAMES, $.NOSCRIPT]);

/** The tag ID with SVG's camel-cased names restored (`foreignobject` -> `foreignObject`). */
export function svgTagId(token: TagToken, ns: html.NS): html.TAG_ID {
  const adjusted =
    ns === NS.SVG ? foreignContent.SVG_TAG_NAMES_ADJUSTMENT_MAP.get(token.tagName) : undefined;
  return adjusted === undefined ? token.tagID : html.getTagID(adjusted);
}
