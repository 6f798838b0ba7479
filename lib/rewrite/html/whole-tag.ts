import {
  BANG,
  DQUOTE,
  EQUALS,
  GT,
  QUESTION,
  SLASH,
  SQUOTE,
  endsName,
  find,
  isAlpha,
  isSpace,
} from './bytes.js';
import { DATA, DECLARATION, END_TAG_OPEN, TAG_NAME, UNTIL_GT, WAIT } from './states.js';
import { TagScanner } from './tag-scanner.js';

/**
 * The scanner's way into tags: after `<` and `</`, a tag whose bytes are all there is read to its
 * `>` in one pass (`wholeTag`); one cut by the end of the bytes (or by `MAX_PENDING`) goes through
 * the attribute states of tag-scanner.ts, which resume at any byte.
 */
export abstract class WholeTagScanner extends TagScanner {
  protected tagOpen(b: Buffer, i: number, end: number, off: number): number {
    const c = b[i]!;
    this.tag.end = false;
    if (isAlpha(c)) return this.wholeTag(b, i, end, off);
    if (c === SLASH) return this.into(END_TAG_OPEN, i, i + 1, off);
    if (c === BANG) return this.into(DECLARATION, i, i + 1, off);
    if (c === QUESTION) return this.into(UNTIL_GT, i, i + 1, off);
    this.state = DATA; // a `<` that starts nothing is text
    this.tokenStart = -1;
    return i;
  }

  protected endTagOpen(b: Buffer, i: number, end: number, off: number): number {
    const c = b[i]!;
    this.tag.end = true;
    if (isAlpha(c)) return this.wholeTag(b, i, end, off);
    if (c === GT) return this.done(i + 1, off); // `</>` is nothing
    return this.into(UNTIL_GT, i, i, off); // a bogus comment
  }

  /**
   * A tag whose name starts at `i`, read to its `>` in one pass when all of it is there: the same
   * calls on `tag`, in the same order, as the attribute states make, without a state per byte. When
   * the bytes end first, the states read it again from its name (`Tag.open` forgets what was noted).
   */
  protected wholeTag(b: Buffer, i: number, end: number, off: number): number {
    this.into(TAG_NAME, i, i + 1, off);
    const at = this.tagName(b, i + 1, end, off);
    if (at === end) return end;
    const next = this.wholeAttributes(b, at, end, off);
    if (next !== WAIT || this.overflowed) return next;
    this.state = TAG_NAME; // the name ends at `at`: read again, it opens the tag anew
    return at;
  }

  /** The attribute states from before an attribute name at `i` to the tag's end; WAIT if the bytes end first. */
  private wholeAttributes(b: Buffer, i: number, end: number, off: number): number {
    const tag = this.tag;
    for (let c = 0; ;) {
      while (i < end && isSpace((c = b[i]!))) i++;
      if (i >= end) return WAIT;
      if (c === GT) return this.emit(b, i + 1, off);
      if (c === SLASH) {
        if (i + 1 >= end) return WAIT;
        if (b[i + 1] !== GT)
          i++; // not self-closing: the next byte is read before a name
        else return ((tag.selfClosing = true), this.emit(b, i + 2, off));
        continue;
      }
      const name = i++; // the first byte is the name's, even `=`
      while (i < end && !endsName((c = b[i]!)) && c !== EQUALS) i++;
      if (i >= end) return WAIT;
      if (!tag.attribute(b, name, i, off)) return ((this.overflowed = true), WAIT);
      while (i < end && isSpace((c = b[i]!))) i++;
      if (i >= end) return WAIT;
      if (c !== EQUALS) continue; // `/`, `>` or the next name: as before a name
      for (i++; i < end && isSpace((c = b[i]!));) i++;
      if (i >= end) return WAIT;
      if (c === DQUOTE || c === SQUOTE) {
        const close = find(b, c, i + 1, end);
        if (close < 0) return WAIT;
        tag.value(i + 1 + off, close + off, c === DQUOTE ? '"' : "'");
        i = close + 1; // after the value, as before a name
      } else if (c === GT) {
        tag.value(i + off, i + off, '');
        return this.emit(b, i + 1, off);
      } else {
        const start = i;
        while (i < end && (c = b[i]!) !== GT && !isSpace(c)) i++;
        if (i >= end) return WAIT;
        tag.value(start + off, i + off, '');
      }
    }
  }
}
