import { TokenizerMode, foreignContent, html, type Token } from 'parse5';
import { RAW_TEXT, svgTagId, type LocatingTokenizer } from './tokenizer.js';

type TagToken = Token.TagToken;

const $ = html.TAG_ID;
const NS = html.NS;

/**
 * The deepest nesting of foreign content (`<svg>`, `<math>`) and integration points followed:
 * each level costs an entry here, so deeper markup stops the tokenizer, and the rewriter passes
 * the rest of the body through (docs/rewriting.md, "Limits").
 */
export const MAX_DEPTH = 1000;

/**
 * The tokenizer's modes are set by the tree builder, which a stream does not run: this simulates
 * it as parse5-sax-parser's ParserFeedbackSimulator does (HTML Standard 13.2.6), so
 * script/style/textarea/title content is never read as tags and CDATA counts only in SVG/MathML.
 */
export class TreeFeedback {
  /** Namespaces of the open foreign content, innermost last. */
  private readonly namespaces: html.NS[] = [NS.HTML];

  constructor(private readonly tokenizer: LocatingTokenizer) {}

  /** Sets the tokenizer's mode for what follows the start tag `token`. */
  startTag(token: TagToken): void {
    if (this.namespaces.length === 1 && token.tagID !== $.SVG && token.tagID !== $.MATH)
      return this.setTextMode(token.tagID);
    if (token.tagID === $.SVG) this.enter(NS.SVG);
    else if (token.tagID === $.MATH) this.enter(NS.MATHML);
    const ns = this.namespace;
    if (ns === NS.HTML) this.setTextMode(token.tagID);
    else if (foreignContent.causesExit(token)) this.leave();
    else if (
      !token.selfClosing &&
      foreignContent.isIntegrationPoint(svgTagId(token, ns), ns, token.attrs)
    )
      this.enter(NS.HTML);
  }

  /** Leaves the foreign content or integration point that the end tag `token` closes. */
  endTag(token: TagToken): void {
    if (this.namespaces.length === 1) return; // plain HTML, the usual case
    const ns = this.namespace;
    const outer = this.namespaces[this.namespaces.length - 2];
    if (ns === NS.HTML) {
      if (
        outer !== undefined &&
        foreignContent.isIntegrationPoint(svgTagId(token, outer), outer, token.attrs)
      )
        this.leave();
    } else if (
      (token.tagID === $.SVG && ns === NS.SVG) ||
      (token.tagID === $.MATH && ns === NS.MATHML)
    ) {
      this.leave();
    }
  }

  private get namespace(): html.NS {
    return this.namespaces[this.namespaces.length - 1]!;
  }

  private enter(ns: html.NS): void {
    if (this.namespaces.length > MAX_DEPTH) return this.tokenizer.overflow();
    this.namespaces.push(ns);
    this.tokenizer.inForeignNode = ns !== NS.HTML;
  }

  private leave(): void {
    this.namespaces.pop();
    this.tokenizer.inForeignNode = this.namespace !== NS.HTML;
  }

  private setTextMode(tag: html.TAG_ID): void {
    const tokenizer = this.tokenizer;
    if (tag === $.TEXTAREA || tag === $.TITLE) tokenizer.state = TokenizerMode.RCDATA;
    else if (tag === $.PLAINTEXT) tokenizer.state = TokenizerMode.PLAINTEXT;
    else if (tag === $.SCRIPT) tokenizer.state = TokenizerMode.SCRIPT_DATA;
    else if (RAW_TEXT.has(tag)) tokenizer.state = TokenizerMode.RAWTEXT;
  }
}
