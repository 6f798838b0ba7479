import { nameAt } from './bytes.js';
import type { NameSet } from './names.js';
import type { Quote, ValueSpan } from './values.js';

/**
 * The longest tag or attribute name kept whole. Longer names are cut to `MAX_NAME + 1` chars, so
 * they stay longer than any name the rewriter or the tree feedback (feedback.ts) compares with
 * (the longest is SVG's `fecomponenttransfer`, 19) and equal to none of them.
 */
export const MAX_NAME = 64;

/**
 * The most attributes one tag may have, counted by distinct name (a repeat is dropped, as the
 * tokenizer does). A tag past this many stops the rewriting (docs/rewriting.md, "Limits").
 */
export const MAX_ATTRIBUTES = 1000;

/** Attributes counted before their names are read to tell repeats apart. */
const UNNAMED = 32;

/** An attribute whose value the rewriter or the tree feedback reads: its name and its value's place. */
export class AttributeSpan implements ValueSpan {
  name = '';
  start = 0;
  end = 0;
  quote: Quote = '';
  bare = true;
}

/**
 * The tag being scanned: its name, and of its attributes only what is read later — the listed
 * URL attributes (`listed`), and in foreign content `encoding` and `font`'s `color`, `face` and
 * `size`. Spans are source offsets. Names are read only where they matter (or past `UNNAMED`
 * attributes, to count distinct ones), so a common tag costs no strings beyond its name.
 */
export class Tag {
  name = '';
  end = false;
  selfClosing = false;
  /** The first `encoding` attribute and whether `color`, `face` or `size` appear (foreign content). */
  encoding: AttributeSpan | undefined;
  fontAttribute = false;
  /**
   * The listed attributes found, each the first of its name, in source order: the first `size`
   * of these, which are kept from tag to tag (a tag costs no allocation).
   */
  readonly spans: AttributeSpan[] = [];
  size = 0;
  private listed: ReadonlySet<string> | undefined;
  /** The listed names, found from bytes while names are not read. */
  private lookup: NameSet | undefined;
  private named = false;
  private count = 0;
  private readonly names = new Set<string>();
  /** Source offsets of the names counted before they are read: start, end, start, end, ... */
  private readonly nameSpans = new Array<number>(2 * UNNAMED).fill(0);
  private pending: AttributeSpan | undefined;

  /**
   * Starts a tag called `name` (lower case); `listed` are the attributes to report, `lookup` the
   * same names as a NameSet. Outside foreign content, where `encoding`, `color`, `face` and `size`
   * change nothing, only listed names are looked for, from bytes, until `UNNAMED` attributes.
   */
  open(
    name: string,
    end: boolean,
    listed: ReadonlySet<string> | undefined,
    foreign: boolean,
    lookup?: NameSet,
  ): void {
    this.name = name;
    this.end = end;
    this.selfClosing = false;
    this.encoding = undefined;
    this.fontAttribute = false;
    this.listed = listed;
    this.lookup = foreign ? undefined : lookup;
    this.named = foreign || (listed !== undefined && lookup === undefined);
    this.pending = undefined;
    this.size = 0;
    // Most tags have few attributes: clear only what was used.
    if (this.names.size > 0) this.names.clear();
    this.count = 0;
  }

  /**
   * Notes the attribute named by `bytes[start, end)` (`offset` is the source offset of
   * `bytes[0]`); false when it is one more than `MAX_ATTRIBUTES`.
   */
  attribute(bytes: Buffer, start: number, end: number, offset: number): boolean {
    this.pending = undefined;
    if (++this.count <= UNNAMED && !this.named) {
      this.nameSpans[2 * this.count - 2] = start + offset;
      this.nameSpans[2 * this.count - 1] = end + offset;
      const name = this.lookup?.find(bytes, start, end);
      if (name !== undefined && !this.hasSpan(name)) this.note(name, end + offset);
      return true;
    }
    if (this.count === UNNAMED + 1 && !this.named) this.nameEarlier(bytes, offset);
    const name = nameAt(bytes, start, end, MAX_NAME + 1);
    if (this.names.has(name)) return true; // a repeat is dropped: the first one counts
    this.names.add(name);
    if (this.names.size > MAX_ATTRIBUTES) return false;
    this.note(name, end + offset);
    return true;
  }

  /** The value of the attribute just named sits at `[start, end)`, quoted by `quote`. */
  value(start: number, end: number, quote: Quote): void {
    const span = this.pending;
    if (span === undefined) return;
    span.start = start;
    span.end = end;
    span.quote = quote;
    span.bare = false;
    this.pending = undefined;
  }

  /** Whether a listed attribute called `name` is noted already: a repeat is dropped. */
  private hasSpan(name: string): boolean {
    for (let k = 0; k < this.size; k++) if (this.spans[k]!.name === name) return true;
    return false;
  }

  /** Names the attributes counted before names were read, to count distinct ones from here. */
  private nameEarlier(bytes: Buffer, offset: number): void {
    const spans = this.nameSpans;
    for (let k = 0; k < 2 * UNNAMED; k += 2)
      this.names.add(nameAt(bytes, spans[k]! - offset, spans[k + 1]! - offset, MAX_NAME + 1));
  }

  /** Keeps a span for `name` if it is read later; `at` is where its name ends. */
  private note(name: string, at: number): void {
    if (name === 'color' || name === 'face' || name === 'size') this.fontAttribute = true;
    const listed = this.listed?.has(name) === true;
    if (!listed && !(name === 'encoding' && this.named)) return;
    const span = listed ? (this.spans[this.size++] ??= new AttributeSpan()) : new AttributeSpan();
    // Without a value, an attribute is bare (`<a href>`): a new value goes after its name.
    span.name = name;
    span.start = span.end = at;
    span.quote = '';
    span.bare = true;
    this.pending = span;
    if (name === 'encoding') this.encoding ??= span;
  }
}
