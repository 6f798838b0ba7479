import { BANG, GT, LT, SLASH, wordAt } from './bytes.js';
import { Declaration, commentEnd, declarationAt } from './markup.js';
import { Escape, Lead, escapedLt, scanEscaped } from './raw-text.js';
import {
  BEFORE_ATTR,
  CDATA,
  CHAR_REF,
  COMMENT,
  DATA,
  DECLARATION,
  END_TAG_OPEN,
  MAX_PENDING,
  PLAINTEXT,
  RAWTEXT,
  RCDATA,
  SCRIPT,
  TAG_NAME,
  TAG_OPEN,
  UNTIL_GT,
  WAIT,
} from './states.js';
import { DataScanner } from './data.js';
import { findLt } from './plain-tags.js';

export type { StartTagHandler } from './tag-scanner.js';

export { MAX_PENDING } from './states.js';

/**
 * A streaming HTML scanner over bytes, for exactly what finding attribute values needs: text is
 * skipped to the next `<`, the tags of HTML content are read in one loop each (plain-tags.ts), and
 * a state machine runs only inside other tags (tag-scanner.ts) and the constructs that hide tags
 * (comments, doctypes, CDATA, raw text, escaped script data). It holds
 * no text: every state resumes from a source offset, and the caller keeps the bytes of the
 * unfinished token (`tokenStart` on), at most `MAX_PENDING`.
 */
export class Scanner extends DataScanner {
  /** Dashes just before the scan point in escaped script data. */
  dashes = 0;
  private escape: Escape = Escape.NONE;

  scan(bytes: Buffer, offset: number): void {
    const n = bytes.length;
    let i = this.pos - offset;
    while (!this.overflowed) {
      const end = this.tokenStart < 0 ? n : Math.min(n, this.tokenStart + MAX_PENDING - offset);
      if (i >= end) {
        this.overflowed = end < n;
        break;
      }
      const next = this.step(bytes, i, end, offset);
      if (next === WAIT) break;
      i = next;
    }
    this.pos = i + offset;
  }

  private step(b: Buffer, i: number, end: number, off: number): number {
    switch (this.state) {
      case DATA:
      case RCDATA:
      case RAWTEXT:
        return this.textState(b, i, end, off);
      case SCRIPT:
        return this.escape === Escape.NONE ? this.script(b, i, off) : this.escaped(b, i, end, off);
      case PLAINTEXT:
        return end;
      case TAG_OPEN:
        return this.tagOpen(b, i, end, off);
      case END_TAG_OPEN:
        return this.endTagOpen(b, i, end, off);
      case TAG_NAME:
        return this.tagName(b, i, end, off);
      case DECLARATION:
        return this.declaration(b, i, off);
      case COMMENT:
        return this.until(commentEnd(b, i, end, this.mark - off), end, off);
      case UNTIL_GT: {
        const gt = b.indexOf(GT, i);
        return this.until(gt < 0 || gt >= end ? -1 : gt + 1, end, off);
      }
      case CDATA:
        return this.cdata(b, i);
      case CHAR_REF:
        return this.charRef(b, i, end);
      default:
        return this.attributes(b, i, end, off);
    }
  }

  /**
   * Data, RCDATA and RAWTEXT: text up to the next `<` that may start a token. In data, text and
   * whole tags follow one another here, without a round through `step` per token, and plain tags
   * in HTML content without the states at all (data.ts).
   */
  private textState(b: Buffer, i: number, end: number, off: number): number {
    const from = i;
    for (;;) {
      if (this.state === DATA && !this.feedback.nested) i = this.plainTags(b, i, end, off);
      const lt = nextLt(b, i);
      if (this.state !== RAWTEXT) {
        const ref = this.numericRef(b, i, lt < 0 ? end : lt, off);
        // Wait from here, not from `from`: the tags read since would be read (and rewritten) again.
        if (ref !== Lead.TEXT) return ref === WAIT && i > from ? i : ref;
      }
      if (lt < 0) return end;
      if (this.state !== DATA) return this.rawEndTag(b, i, lt, off);
      if (lt + 1 >= end) return this.open(TAG_OPEN, lt, lt + 1, off);
      this.tokenStart = lt + off;
      // A token may not pass MAX_PENDING from its `<`, as `scan` bounds it.
      const bound = Math.min(end, lt + MAX_PENDING);
      i = this.tagOpen(b, lt + 1, bound, off);
      if ((this.state as number) === END_TAG_OPEN && i < bound)
        i = this.endTagOpen(b, i, bound, off);
      if (i === WAIT || this.state !== DATA || this.tokenStart >= 0) return i;
    }
  }

  /** A `</name` for the element whose raw text this is, at `lt`; anything else is text. */
  private rawEndTag(b: Buffer, i: number, lt: number, off: number): number {
    const match =
      lt + 1 >= b.length ? -1 : b[lt + 1] !== SLASH ? 0 : wordAt(b, lt + 2, this.rawName);
    if (match === 0) return lt + 1;
    if (match === -1) return lt > i ? lt : WAIT;
    this.tag.open(this.rawName, true, undefined, this.feedback.nested);
    return this.open(BEFORE_ATTR, lt, lt + 2 + this.rawName.length, off);
  }

  private script(b: Buffer, i: number, off: number): number {
    const lt = b.indexOf(LT, i);
    if (lt < 0) return b.length;
    if (lt + 3 >= b.length) return lt > i ? lt : WAIT;
    if (b[lt + 1] === BANG && b[lt + 2] === 0x2d && b[lt + 3] === 0x2d) {
      this.escape = Escape.ESCAPED;
      this.dashes = 2; // `<!-->` ends the escape at once
      return lt + 4;
    }
    return this.rawEndTag(b, i, lt, off);
  }

  private escaped(b: Buffer, i: number, end: number, off: number): number {
    const found = scanEscaped(b, i, end, this);
    if (found < 0) {
      this.escape = Escape.NONE;
      return ~found;
    }
    if (found === end) return end;
    const lead = escapedLt(b, found, this.escape);
    if (lead === Lead.MORE) return found > i ? found : WAIT;
    if (lead === Lead.TEXT) return found + 1;
    if (lead === 1) {
      this.escape = Escape.NONE;
      this.tag.open('script', true, undefined, this.feedback.nested);
      return this.open(BEFORE_ATTR, found, found + 8, off);
    }
    this.escape = this.escape === Escape.ESCAPED ? Escape.DOUBLE : Escape.ESCAPED;
    return lead;
  }

  private cdata(b: Buffer, i: number): number {
    const close = b.indexOf(']]>', i, 'latin1');
    if (close >= 0) {
      this.state = DATA;
      return close + 3;
    }
    const keep = Math.max(i, b.length - 2); // `]]` may end these bytes
    return keep > i ? keep : WAIT;
  }

  /** After `<` (HTML Standard 13.2.5.6). */
  private declaration(b: Buffer, i: number, off: number): number {
    const kind = declarationAt(b, i);
    if (kind === Declaration.MORE) return WAIT;
    if (kind === Declaration.COMMENT) return this.into(COMMENT, i + 2, i + 2, off);
    if (kind === Declaration.DOCTYPE) return this.into(UNTIL_GT, i, i + 7, off);
    if (kind !== Declaration.CDATA || !this.feedback.inForeign)
      return this.into(UNTIL_GT, i, i, off);
    this.state = CDATA; // text in SVG and MathML, not a token
    this.tokenStart = -1;
    return i + 7;
  }
}

/** The index of the next `<` from `i`, or -1. */
function nextLt(b: Buffer, i: number): number {
  const lt = findLt(b, i, b.length);
  return lt === b.length ? -1 : lt;
}
