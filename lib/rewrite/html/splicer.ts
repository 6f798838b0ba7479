import { latin1 } from './bytes.js';
import type { Tag } from './tag.js';
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

/** A rewritten value: the source bytes `[start, end)` give way to `bytes`, one char per byte. */
export interface Splice {
  readonly start: number;
  readonly end: number;
  readonly bytes: string;
}

/**
 * Hands each listed attribute of a complete start tag to `rewrite` (its value entity-decoded, as
 * the tokenizer reads it) and keeps what comes back, encoded for the value's quoting, as a splice
 * of the source (docs/rewriting.md, "HTML links"). Attributes come in source order, a repeated one
 * only once, the first, which browsers use.
 */
export class LinkSplicer {
  /** Splices not yet applied, in source order; `next` is the first of them. */
  readonly splices: Splice[] = [];
  next = 0;

  constructor(private readonly rewrite: RewriteAttribute) {}

  /** Reads the listed values of `tag`, whose source is in `bytes` (`bytes[0]` at `offset`). */
  readonly onStartTag = (tag: Tag, bytes: Buffer, offset: number): void => {
    for (const span of tag.spans) {
      const raw = latin1(bytes, span.start - offset, span.end - offset);
      const value = attributeValue(raw, span.quote);
      const next = this.rewrite(value, tag.name, span.name);
      if (next === undefined || next === value) continue;
      this.splices.push({ start: span.start, end: span.end, bytes: encodeValue(next, span) });
    }
  };

  /** Forgets the splices applied. */
  reset(): void {
    this.splices.length = 0;
    this.next = 0;
  }
}
