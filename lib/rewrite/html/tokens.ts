import { Token, html } from 'parse5';

type Location = Token.Location;

/**
 * The longest tag or attribute name kept whole. Longer names are cut to `MAX_NAME + 1` chars, so
 * they stay longer than any name the rewriter or the tree feedback (feedback.ts) compares with
 * (the longest is SVG's `fecomponenttransfer`, 19) and equal to none of them.
 */
export const MAX_NAME = 64;

/**
 * `next` (parse5's `kept + char`) while `kept` is short enough, else `kept`. parse5 builds names
 * a char at a time (`name += c`), a rope of some 33 bytes per char: an 8 MiB name would take
 * hundreds of megabytes. Cut, a name costs at most `MAX_NAME + 1` chars.
 */
function grow(kept: string, next: string): string {
  return kept.length > MAX_NAME ? kept : next;
}

/** A start or end tag whose name is cut at `MAX_NAME`. */
export class LeanTag implements Token.TagToken {
  tagID = html.TAG_ID.UNKNOWN;
  selfClosing = false;
  ackSelfClosing = false;
  attrs: Token.Attribute[] = [];
  private name = '';

  constructor(
    readonly type: Token.TagToken['type'],
    public location: Location | null,
  ) {}

  get tagName(): string {
    return this.name;
  }

  set tagName(next: string) {
    this.name = grow(this.name, next);
  }
}

/**
 * An attribute whose name is cut at `MAX_NAME` and which gathers no value, save `encoding`, which
 * MathML's integration points read (also cut: only `text/html` and `application/xhtml+xml` count).
 */
export class NamedAttribute implements Token.Attribute {
  private kept = '';
  private cut: string;

  constructor(name: string) {
    this.cut = name;
  }

  get name(): string {
    return this.cut;
  }

  set name(next: string) {
    this.cut = grow(this.cut, next);
  }

  get value(): string {
    return this.kept;
  }

  set value(next: string) {
    if (this.cut === 'encoding') this.kept = grow(this.kept, next);
  }
}

/** A comment that gathers no text. */
export class SilentComment implements Token.CommentToken {
  readonly type = Token.TokenType.COMMENT;
  constructor(public location: Location | null) {}
  get data(): string {
    return '';
  }
  set data(_text: string) {}
}

/** A doctype that gathers no name or identifiers: the rewriter copies it from the source. */
export class SilentDoctype implements Token.DoctypeToken {
  readonly type = Token.TokenType.DOCTYPE;
  forceQuirks = false;
  constructor(public location: Location | null) {}
  get name(): null {
    return null;
  }
  set name(_text: string | null) {}
  get publicId(): null {
    return null;
  }
  set publicId(_text: string | null) {}
  get systemId(): null {
    return null;
  }
  set systemId(_text: string | null) {}
}
