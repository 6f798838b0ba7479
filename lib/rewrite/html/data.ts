import { AMP, HASH, SEMICOLON } from './bytes.js';
import { MAY_MATTER, attributesEnd, findLt, listedTags, nameEnd, plainTag } from './plain-tags.js';
import { Lead } from './raw-text.js';
import { CHAR_REF, DATA, MAX_PENDING, WAIT } from './states.js';
import { WholeTagScanner } from './whole-tag.js';

/**
 * The scanner in text: numeric character references, which are tokens (`MAX_PENDING` bounds them
 * too), and the plain and listed tags of HTML content (plain-tags.ts), read between text runs
 * without the state machine: at depth one, where the tree feedback changes nothing for them.
 */
export abstract class DataScanner extends WholeTagScanner {
  /** The state a character reference returns to. */
  private text = DATA;
  private hex = false;
  /** The next `&` at or after the scan point (-1: none before `ampScanned`). */
  private amp = -1;
  private ampScanned = 0;
  /** The listed tags read without the states. */
  private readonly listedTags = listedTags(this.listed);

  /**
   * Plain and listed tags (plain-tags.ts) and the text between them from `i`, in data in HTML
   * content: where the states go on, at the first `<` of another token, or at text with a `&`.
   */
  protected plainTags(b: Buffer, i: number, end: number, off: number): number {
    const matter = this.matter;
    let stop = this.textStop(b, i, end, off);
    let last = -1;
    for (;;) {
      if (stop < i) stop = this.textStop(b, i, end, off); // the `&` was in a tag
      const lt = findLt(b, i, stop);
      if (lt >= stop) break;
      const bound = Math.min(end, lt + MAX_PENDING);
      let next = plainTag(b, lt, bound, matter);
      if (next === MAY_MATTER) next = this.listedTag(b, lt, bound, off);
      if (next < 0) break;
      i = last = next;
    }
    if (last >= 0) this.lastTokenEnd = last + off;
    return i;
  }

  /** The listed tag at `lt`, its values handed on: the index past it, or -1 if it is not one read here. */
  private listedTag(b: Buffer, lt: number, bound: number, off: number): number {
    const name = nameEnd(b, lt);
    const listed = this.listedTags.find(b, lt + 1, name);
    if (listed === undefined) return -1;
    const tag = this.tag;
    tag.open(listed.name, false, listed.attributes, false, listed.lookup);
    const next = attributesEnd(b, name, bound, tag, off);
    if (next >= 0) this.onStartTag(tag, b, off);
    return next;
  }

  /** Where text from `i` may be read without the states: up to the next `&`. */
  private textStop(b: Buffer, i: number, end: number, off: number): number {
    const amp = this.nextAmp(b, i, off);
    return amp < 0 || amp > end ? end : amp;
  }

  /** The first `&#` before `stop`, a numeric character reference, starts a token; else `Lead.TEXT`. */
  protected numericRef(b: Buffer, i: number, stop: number, off: number): number {
    for (let amp = this.nextAmp(b, i, off); amp >= 0 && amp < stop; amp = this.nextAmp(b, i, off)) {
      if (amp + 1 >= b.length) return amp > i ? amp : WAIT;
      if (b[amp + 1] === HASH) {
        this.text = this.state;
        this.hex = false;
        this.mark = -1;
        return this.open(CHAR_REF, amp, amp + 2, off);
      }
      i = amp + 1;
    }
    return Lead.TEXT;
  }

  /** The index of the first `&` at or after `i`, or -1; found once per `&`, not once per call. */
  private nextAmp(b: Buffer, i: number, off: number): number {
    if (this.amp >= i + off) return this.amp - off;
    if (this.amp < 0 && this.ampScanned >= b.length + off) return -1; // none in these bytes
    const found = b.indexOf(AMP, Math.max(i, this.ampScanned - off));
    this.amp = found < 0 ? -1 : found + off;
    this.ampScanned = found < 0 ? b.length + off : found + off + 1;
    return found;
  }

  /** `&#`, an optional `x`, digits and an optional `;` (HTML Standard 13.2.5.74-80). */
  protected charRef(b: Buffer, i: number, end: number): number {
    if (this.mark < 0) {
      this.hex = (b[i]! | 0x20) === 0x78;
      this.mark = 0;
      if (this.hex) return i + 1;
    }
    while (i < end && isDigit(b[i]!, this.hex)) i++;
    if (i === end) return end;
    this.state = this.text;
    this.tokenStart = -1;
    return b[i] === SEMICOLON ? i + 1 : i;
  }
}

function isDigit(b: number, hex: boolean): boolean {
  if (b >= 0x30 && b <= 0x39) return true;
  const lower = b | 0x20;
  return hex && lower >= 0x61 && lower <= 0x66;
}
