import { Token, Tokenizer, foreignContent, html } from 'parse5';

type TagToken = Token.TagToken;
type Location = Token.Location;

const $ = html.TAG_ID;
const NS = html.NS;

/** An attribute that gathers no value, save `encoding`, which MathML's integration points read. */
class NamedAttribute implements Token.Attribute {
  private kept = '';
  constructor(public name: string) {}
  get value(): string {
    return this.kept;
  }
  set value(value: string) {
    if (this.name === 'encoding') this.kept = value;
  }
}

/** A comment that gathers no text. */
class SilentComment implements Token.CommentToken {
  readonly type = Token.TokenType.COMMENT;
  constructor(public location: Location | null) {}
  get data(): string {
    return '';
  }
  set data(_text: string) {}
}

/**
 * parse5's tokenizer, gathering none of the text this rewriter never reads (it copies the source
 * by location and reads URL values from it). parse5 gathers text, comments and attribute values
 * one char at a time, a rope of tens of bytes per char: a 5 MB `data:` URL would take 200 MB.
 * A run of text is also cut where parse5 would drop its window behind it.
 */
export class LocatingTokenizer extends Tokenizer {
  protected override _appendCharToCurrentCharacterToken(type: Token.CharacterToken['type'], ch: string): void {
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

  protected override _createAttr(nameFirstChar: string): void {
    super._createAttr(nameFirstChar);
    this.currentAttr = new NamedAttribute(nameFirstChar);
  }

  protected override _createCommentToken(offset: number): void {
    super._createCommentToken(offset);
    this.currentToken = new SilentComment(this.currentToken!.location);
  }
}

export const RAW_TEXT = new Set([$.STYLE, $.IFRAME, $.XMP, $.NOEMBED, $.NOFRAMES, $.NOSCRIPT]);

/** The tag ID with SVG's camel-cased names restored (`foreignobject` -> `foreignObject`). */
export function svgTagId(token: TagToken, ns: html.NS): html.TAG_ID {
  const adjusted = ns === NS.SVG ? foreignContent.SVG_TAG_NAMES_ADJUSTMENT_MAP.get(token.tagName) : undefined;
  return adjusted === undefined ? token.tagID : html.getTagID(adjusted);
}
