import type { Tag } from './tag.js';

/**
 * The deepest nesting of foreign content (`<svg>`, `<math>`) and integration points followed:
 * each level costs an entry here, so deeper markup stops the rewriting, and the rewriter passes
 * the rest of the body through (docs/rewriting.md, "Limits").
 */
export const MAX_DEPTH = 1000;

/** What the content after a start tag is read as (HTML Standard 13.2.5.2-5 and 13.2.6.4). */
export const TextMode = { DATA: 0, RCDATA: 1, RAWTEXT: 2, SCRIPT: 3, PLAINTEXT: 4 } as const;
export type TextMode = (typeof TextMode)[keyof typeof TextMode];

const Ns = { HTML: 0, SVG: 1, MATHML: 2 } as const;
type Ns = (typeof Ns)[keyof typeof Ns];

/** Elements whose content is raw text (scripting assumed enabled, as in browsers, for noscript). */
export const TEXT_MODES: ReadonlyMap<string, TextMode> = new Map([
  ['textarea', TextMode.RCDATA],
  ['title', TextMode.RCDATA],
  ['plaintext', TextMode.PLAINTEXT],
  ['script', TextMode.SCRIPT],
  ...['style', 'iframe', 'xmp', 'noembed', 'noframes', 'noscript'].map(
    (name) => [name, TextMode.RAWTEXT] as const,
  ),
]);

/** HTML elements that end foreign content where they start (HTML Standard 13.2.6.5). */
const EXITS_FOREIGN = new Set(
  'b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var'.split(
    ' ',
  ),
);
const MATHML_TEXT = new Set(['mi', 'mo', 'mn', 'ms', 'mtext']);
const SVG_HTML = new Set(['foreignobject', 'desc', 'title']);

/** Whether `tag` opens HTML content inside namespace `ns` (HTML Standard 13.2.6.5). */
function isIntegrationPoint(tag: Tag, ns: Ns, encoding: string | undefined): boolean {
  if (ns === Ns.SVG) return SVG_HTML.has(tag.name);
  if (ns !== Ns.MATHML) return false;
  if (MATHML_TEXT.has(tag.name)) return true;
  const value = encoding?.toLowerCase();
  return (
    tag.name === 'annotation-xml' && (value === 'text/html' || value === 'application/xhtml+xml')
  );
}

/**
 * The tokenizer's modes are set by the tree builder, which a stream does not run: this simulates
 * it as parse5-sax-parser's ParserFeedbackSimulator does (HTML Standard 13.2.6), so
 * script/style/textarea/title content is never read as tags and CDATA counts only in SVG/MathML.
 */
export class TreeFeedback {
  /** Set past `MAX_DEPTH`. */
  overflowed = false;
  /** Namespaces of the open foreign content, innermost last. */
  private readonly namespaces: Ns[] = [Ns.HTML];

  /** Whether content is foreign (SVG or MathML), where CDATA sections are read. */
  get inForeign(): boolean {
    return this.namespace !== Ns.HTML;
  }

  /** Whether end tags matter here, so that their attributes are read too. */
  get nested(): boolean {
    return this.namespaces.length > 1;
  }

  /** Follows the start tag `tag`; returns how what follows it is read. `encoding` is its decoded `encoding` attribute. */
  startTag(tag: Tag, encoding: string | undefined): TextMode {
    const name = tag.name;
    if (this.namespaces.length === 1 && name !== 'svg' && name !== 'math') return textMode(name);
    if (name === 'svg') this.enter(Ns.SVG);
    else if (name === 'math') this.enter(Ns.MATHML);
    const ns = this.namespace;
    if (ns === Ns.HTML) return textMode(name);
    if (EXITS_FOREIGN.has(name) || (name === 'font' && tag.fontAttribute)) this.leave();
    else if (!tag.selfClosing && isIntegrationPoint(tag, ns, encoding)) this.enter(Ns.HTML);
    return TextMode.DATA;
  }

  /** Leaves the foreign content or integration point that the end tag `tag` closes. */
  endTag(tag: Tag, encoding: string | undefined): void {
    if (this.namespaces.length === 1) return; // plain HTML, the usual case
    const ns = this.namespace;
    const outer = this.namespaces[this.namespaces.length - 2]!;
    if (ns === Ns.HTML) {
      if (isIntegrationPoint(tag, outer, encoding)) this.leave();
    } else if ((tag.name === 'svg' && ns === Ns.SVG) || (tag.name === 'math' && ns === Ns.MATHML)) {
      this.leave();
    }
  }

  private get namespace(): Ns {
    return this.namespaces[this.namespaces.length - 1]!;
  }

  private enter(ns: Ns): void {
    if (this.namespaces.length > MAX_DEPTH) this.overflowed = true;
    else this.namespaces.push(ns);
  }

  private leave(): void {
    this.namespaces.pop();
  }
}

function textMode(name: string): TextMode {
  return TEXT_MODES.get(name) ?? TextMode.DATA;
}
