import { SLOW } from '../rewrite-link.js';
import { latin1 } from './bytes.js';
import type { LinkBytes } from './link-bytes.js';
import type { AttributeSpan, Tag } from './tag.js';
import { attributeValue, encodeValue } from './values.js';

/**
 * The attributes holding URLs, by tag: Kubernetes' `atomsToAttrs`, 25 tags and 35 tag/attribute
 * pairs. CSS `url()` is not rewritten, as upstream.
 */
export const URL_ATTRIBUTES: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    a: ['href'],
    area: ['href'],
    base: ['href'],
    link: ['href'],
    applet: ['codebase'],
    audio: ['src'],
    embed: ['src'],
    script: ['src'],
    source: ['src'],
    blockquote: ['cite'],
    del: ['cite'],
    ins: ['cite'],
    q: ['cite'],
    body: ['background'],
    button: ['formaction'],
    command: ['icon'],
    form: ['action'],
    frame: ['longdesc', 'src'],
    iframe: ['longdesc', 'src'],
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

/** A rewritten value: the source bytes `[start, end)` give way to `bytes`. */
export class Splice {
  start = 0;
  end = 0;
  bytes: Buffer = Buffer.alloc(0);
}

/**
 * Hands each listed attribute of a complete start tag to `rewrite` (its value entity-decoded, as
 * the tokenizer reads it) and keeps what comes back, encoded for the value's quoting, as a splice
 * of the source (docs/rewriting.md, "HTML links"). Attributes come in source order, a repeated one
 * only once, the first, which browsers use.
 */
export class LinkSplicer {
  /**
   * Splices not yet applied, in source order: the first `count` of these, `next` the first not
   * applied. They are kept from slice to slice, so that a link costs no allocation.
   */
  readonly splices: Splice[] = [];
  count = 0;
  next = 0;

  /** `links`, when given, decides first what it can from the bytes (link-bytes.ts); `rewrite` the rest. */
  constructor(
    private readonly rewrite: RewriteAttribute,
    private readonly links?: LinkBytes,
  ) {}

  /** Reads the listed values of `tag`, whose source is in `bytes` (`bytes[0]` at `offset`). */
  readonly onStartTag = (tag: Tag, bytes: Buffer, offset: number): void => {
    const links = this.links;
    for (let k = 0; k < tag.size; k++) {
      const span = tag.spans[k]!;
      const insert =
        links === undefined
          ? SLOW
          : links(bytes, span.start - offset, span.end - offset, span.quote);
      if (insert === SLOW) this.spliceText(tag, span, bytes, offset);
      else if (insert !== undefined) this.add(span.start, span.start, insert);
    }
  };

  /** The way of strings: the value decoded, `rewrite`, the answer encoded for the quoting. */
  private spliceText(tag: Tag, span: AttributeSpan, bytes: Buffer, offset: number): void {
    const raw = latin1(bytes, span.start - offset, span.end - offset);
    const value = attributeValue(raw, span.quote);
    const next = this.rewrite(value, tag.name, span.name);
    if (next === undefined || next === value) return;
    const text = encodeValue(next, span);
    this.add(span.start, span.end, Buffer.from(text, 'latin1'));
  }

  private add(start: number, end: number, bytes: Buffer): void {
    const splice = (this.splices[this.count++] ??= new Splice());
    splice.start = start;
    splice.end = end;
    splice.bytes = bytes;
  }

  /** Forgets the splices applied. */
  reset(): void {
    this.count = 0;
    this.next = 0;
  }
}
