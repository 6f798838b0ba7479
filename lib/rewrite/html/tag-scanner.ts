import { DQUOTE, EQUALS, GT, SLASH, SQUOTE, endsName, isSpace, nameAt } from './bytes.js';
import { TEXT_MODES, TextMode, TreeFeedback } from './feedback.js';
import {
  AFTER_ATTR,
  AFTER_VALUE,
  ATTR_NAME,
  BEFORE_ATTR,
  BEFORE_VALUE,
  DATA,
  SELF_CLOSING,
  TEXT_STATES,
  VALUE_DQ,
  VALUE_SQ,
  VALUE_UNQ,
  WAIT,
} from './states.js';
import { nameSet, type NameSet } from './names.js';
import { nameTable } from './plain-tags.js';
import { MAX_NAME, Tag } from './tag.js';
import { attributeValue } from './values.js';

/** Receives each start tag once it is complete; `bytes[0]` is at source offset `offset`. */
export type StartTagHandler = (tag: Tag, bytes: Buffer, offset: number) => void;

/**
 * The scanner's tag states (HTML Standard 13.2.5.6-13 and 32-40): from a `<` to the `>` of a tag,
 * noting the names and values that tag.ts keeps, then the tree feedback and the handler. Each
 * state method takes the bytes, the index to go on from, the index not to pass (the end of the
 * bytes, or where the token would pass `MAX_PENDING`) and the source offset of `bytes[0]`; it
 * returns the index to go on from, or `WAIT`.
 */
export abstract class TagScanner {
  /** Set past a limit (`MAX_PENDING`, `MAX_ATTRIBUTES`, `MAX_DEPTH`): the scanner reads no further. */
  overflowed = false;
  /** Source offset of the unfinished token's first byte, or -1 between tokens. */
  tokenStart = -1;
  /** Source offset just past the last complete token. */
  lastTokenEnd = 0;
  /** Source offset where the scan resumes. */
  pos = 0;
  protected state = DATA;
  protected rawName = '';
  /** Where the name, value or comment text being scanned starts (source offset). */
  protected mark = 0;
  protected readonly tag = new Tag();
  protected readonly feedback = new TreeFeedback();
  /** The names that matter in HTML content: the listed tags', raw text elements', svg and math. */
  private readonly known: NameSet;
  /** The same names, as plain-tags.ts tells them from others. */
  protected readonly matter: Uint8Array;
  /** The listed attributes of each listed tag, as NameSets. */
  private readonly lookups: Map<string, NameSet>;

  constructor(
    protected readonly onStartTag: StartTagHandler,
    protected readonly listed: ReadonlyMap<string, ReadonlySet<string>>,
  ) {
    const known = [...listed.keys(), ...TEXT_MODES.keys(), 'svg', 'math'];
    this.known = nameSet(known);
    this.matter = nameTable(known);
    this.lookups = new Map([...listed].map(([tag, attrs]) => [tag, nameSet(attrs)]));
  }

  protected tagName(b: Buffer, i: number, end: number, off: number): number {
    while (i < end && !endsName(b[i]!)) i++;
    if (i === end) return end;
    const start = this.mark - off;
    const nested = this.feedback.nested;
    // Outside foreign content only known names matter; any other is called ''.
    const name = nested ? nameAt(b, start, i, MAX_NAME + 1) : (this.known.find(b, start, i) ?? '');
    const endTag = this.tag.end;
    const listed = endTag ? undefined : this.listed.get(name);
    this.tag.open(name, endTag, listed, nested, listed && this.lookups.get(name));
    this.state = BEFORE_ATTR;
    return i;
  }

  /** The attribute states (HTML Standard 13.2.5.32-40): from a tag's name to its `>`. */
  protected attributes(b: Buffer, i: number, end: number, off: number): number {
    const c = b[i]!;
    switch (this.state) {
      case BEFORE_ATTR:
      case AFTER_ATTR:
        if (isSpace(c)) return i + 1;
        if (c === SLASH) return this.to(SELF_CLOSING, i + 1);
        if (c === GT) return this.emit(b, i + 1, off);
        if (c === EQUALS && this.state === AFTER_ATTR) return this.to(BEFORE_VALUE, i + 1);
        this.mark = i + off;
        return this.to(ATTR_NAME, i + 1); // the first char is the name's, even `=`
      case ATTR_NAME:
        return this.attrName(b, i, end, off);
      case BEFORE_VALUE:
        if (isSpace(c)) return i + 1;
        if (c === DQUOTE || c === SQUOTE)
          return this.value(c === DQUOTE ? VALUE_DQ : VALUE_SQ, i + 1, off);
        if (c === GT) return (this.tag.value(i + off, i + off, ''), this.emit(b, i + 1, off));
        return this.value(VALUE_UNQ, i, off);
      case VALUE_DQ:
      case VALUE_SQ:
        return this.quoted(b, i, end, off);
      case VALUE_UNQ:
        return this.unquoted(b, i, end, off);
      case AFTER_VALUE:
        if (isSpace(c)) return this.to(BEFORE_ATTR, i + 1);
        if (c === SLASH) return this.to(SELF_CLOSING, i + 1);
        if (c === GT) return this.emit(b, i + 1, off);
        return this.to(BEFORE_ATTR, i);
      default: // SELF_CLOSING
        if (c !== GT) return this.to(BEFORE_ATTR, i);
        this.tag.selfClosing = true;
        return this.emit(b, i + 1, off);
    }
  }

  protected attrName(b: Buffer, i: number, end: number, off: number): number {
    while (i < end && !endsName(b[i]!) && b[i] !== EQUALS) i++;
    if (i === end) return end;
    if (!this.tag.attribute(b, this.mark - off, i, off)) {
      this.overflowed = true;
      return WAIT;
    }
    return b[i] === EQUALS ? this.to(BEFORE_VALUE, i + 1) : this.to(AFTER_ATTR, i);
  }

  protected quoted(b: Buffer, i: number, end: number, off: number): number {
    const close = b.indexOf(this.state === VALUE_DQ ? DQUOTE : SQUOTE, i);
    if (close < 0 || close >= end) return end;
    this.tag.value(this.mark, close + off, this.state === VALUE_DQ ? '"' : "'");
    return this.to(AFTER_VALUE, close + 1);
  }

  protected unquoted(b: Buffer, i: number, end: number, off: number): number {
    while (i < end && b[i] !== GT && !isSpace(b[i]!)) i++;
    if (i === end) return end;
    this.tag.value(this.mark, i + off, '');
    return this.to(BEFORE_ATTR, i);
  }

  protected value(state: number, i: number, off: number): number {
    this.mark = i + off;
    return this.to(state, i);
  }

  /** A complete tag, its `>` just before `i`: the tree feedback, then the handler. */
  protected emit(b: Buffer, i: number, off: number): number {
    const tag = this.tag;
    const span = tag.encoding;
    const encoding =
      span && attributeValue(b.toString('latin1', span.start - off, span.end - off), span.quote);
    let mode: TextMode = TextMode.DATA;
    if (tag.end) this.feedback.endTag(tag, encoding);
    else mode = this.feedback.startTag(tag, encoding);
    if (this.feedback.overflowed) {
      this.overflowed = true;
      return WAIT;
    }
    if (!tag.end) this.onStartTag(tag, b, off);
    this.rawName = tag.name;
    const after = this.done(i, off);
    this.state = TEXT_STATES[mode]!;
    return after;
  }

  /** A token started at `start` continues in `state` from `i`. */
  protected open(state: number, start: number, i: number, off: number): number {
    this.tokenStart = start + off;
    return this.to(state, i);
  }

  /** Moves to `state` with `mark` at `mark` (a relative index); continues from `i`. */
  protected into(state: number, mark: number, i: number, off: number): number {
    this.mark = mark + off;
    return this.to(state, i);
  }

  protected to(state: number, i: number): number {
    this.state = state;
    return i;
  }

  /** Ends the token when `found` (past its last byte) is not -1; else it goes on past `end`. */
  protected until(found: number, end: number, off: number): number {
    return found < 0 ? end : this.done(found, off);
  }

  protected done(i: number, off: number): number {
    this.tokenStart = -1;
    this.lastTokenEnd = i + off;
    this.state = DATA;
    return i;
  }
}
