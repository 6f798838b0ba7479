// The reference the byte scanner is checked against: parse5's HTML Standard tokenizer, with the
// tree builder's feedback simulated as parse5-sax-parser's ParserFeedbackSimulator does, reading a
// whole document at once. It gives the rewrite calls and the output the rewriter must produce.
import {
  Tokenizer,
  TokenizerMode,
  foreignContent,
  html,
  type Token,
  type TokenHandler,
} from 'parse5';
import { URL_ATTRIBUTES, type RewriteAttribute } from '../../../lib/rewrite/html/splicer.js';
import { attributeValue, encodeValue, type ValueSpan } from '../../../lib/rewrite/html/values.js';

type TagToken = Token.TagToken;
const $ = html.TAG_ID;
const NS = html.NS;
const RAW_TEXT = new Set([$.STYLE, $.IFRAME, $.XMP, $.NOEMBED, $.NOFRAMES, $.NOSCRIPT]);

const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r';

/** Where the value sits in `text`, the source from an attribute's name to the end of its tag. */
function locateValue(text: string): ValueSpan {
  let i = 1; // the first character always belongs to the name, even `=`
  while (i < text.length && !isSpace(text[i]) && !'/>='.includes(text[i]!)) i++;
  const nameEnd = i;
  while (isSpace(text[i])) i++;
  if (text[i] !== '=') return { start: nameEnd, end: nameEnd, quote: '', bare: true };
  i++;
  while (isSpace(text[i])) i++;
  const quote = text[i] === '"' || text[i] === "'" ? (text[i] as '"' | "'") : '';
  if (quote) return { start: i + 1, end: text.indexOf(quote, i + 1), quote, bare: false };
  let end = i;
  while (end < text.length && !isSpace(text[end]) && text[end] !== '>') end++;
  return { start: i, end, quote, bare: false };
}

function svgTagId(token: TagToken, ns: html.NS): html.TAG_ID {
  const adjusted =
    ns === NS.SVG ? foreignContent.SVG_TAG_NAMES_ADJUSTMENT_MAP.get(token.tagName) : undefined;
  return adjusted === undefined ? token.tagID : html.getTagID(adjusted);
}

/** The tree builder's effect on the tokenizer: text modes, and foreign content for CDATA. */
class Feedback {
  private readonly namespaces: html.NS[] = [NS.HTML];
  constructor(private readonly tokenizer: Tokenizer) {}

  startTag(token: TagToken): void {
    if (this.namespaces.length === 1 && token.tagID !== $.SVG && token.tagID !== $.MATH)
      return this.setTextMode(token.tagID);
    if (token.tagID === $.SVG) this.enter(NS.SVG);
    else if (token.tagID === $.MATH) this.enter(NS.MATHML);
    const ns = this.namespaces.at(-1)!;
    if (ns === NS.HTML) this.setTextMode(token.tagID);
    else if (foreignContent.causesExit(token)) this.leave();
    else if (
      !token.selfClosing &&
      foreignContent.isIntegrationPoint(svgTagId(token, ns), ns, token.attrs)
    )
      this.enter(NS.HTML);
  }

  endTag(token: TagToken): void {
    if (this.namespaces.length === 1) return;
    const ns = this.namespaces.at(-1)!;
    const outer = this.namespaces.at(-2)!;
    if (ns === NS.HTML) {
      if (foreignContent.isIntegrationPoint(svgTagId(token, outer), outer, token.attrs))
        this.leave();
    } else if (
      (token.tagID === $.SVG && ns === NS.SVG) ||
      (token.tagID === $.MATH && ns === NS.MATHML)
    ) {
      this.leave();
    }
  }

  private enter(ns: html.NS): void {
    this.namespaces.push(ns);
    this.tokenizer.inForeignNode = ns !== NS.HTML;
  }

  private leave(): void {
    this.namespaces.pop();
    this.tokenizer.inForeignNode = this.namespaces.at(-1) !== NS.HTML;
  }

  private setTextMode(tag: html.TAG_ID): void {
    const t = this.tokenizer;
    if (tag === $.TEXTAREA || tag === $.TITLE) t.state = TokenizerMode.RCDATA;
    else if (tag === $.PLAINTEXT) t.state = TokenizerMode.PLAINTEXT;
    else if (tag === $.SCRIPT) t.state = TokenizerMode.SCRIPT_DATA;
    else if (RAW_TEXT.has(tag)) t.state = TokenizerMode.RAWTEXT;
  }
}

/**
 * `doc` (bytes) rewritten by parse5's tokenizer: the output the rewriter must give, and the calls
 * it must make. A value of ASCII bytes is parse5's own; others are read as the rewriter reads them
 * (UTF-8, then parse5 for references: values.ts).
 */
export function reference(
  doc: Buffer,
  rewrite: RewriteAttribute,
): { output: Buffer; calls: [string, string, string][] } {
  const source = doc.toString('latin1');
  const calls: [string, string, string][] = [];
  let output = '';
  let copied = 0;
  const ignore = (): void => {};
  const handler: TokenHandler = {
    onComment: ignore,
    onDoctype: ignore,
    onCharacter: ignore,
    onNullCharacter: ignore,
    onWhitespaceCharacter: ignore,
    onEof: ignore,
    onParseError: null,
    onEndTag: (token) => feedback.endTag(token),
    onStartTag(token) {
      feedback.startTag(token);
      const names = URL_ATTRIBUTES.get(token.tagName);
      const end = token.location!.endOffset;
      for (const attr of names ? token.attrs : []) {
        if (!names!.has(attr.name)) continue;
        const at = token.location!.attrs![attr.name]!.startOffset;
        const span = locateValue(source.slice(at, end));
        const raw = source.slice(at + span.start, at + span.end);
        const value = /[\x80-\xff]/.test(raw) ? attributeValue(raw, span.quote) : attr.value;
        calls.push([value, token.tagName, attr.name]);
        const next = rewrite(value, token.tagName, attr.name);
        if (next === undefined || next === value) continue;
        output += source.slice(copied, at + span.start) + encodeValue(next, span);
        copied = at + span.end;
      }
    },
  };
  const tokenizer = new Tokenizer({ sourceCodeLocationInfo: true }, handler);
  const feedback = new Feedback(tokenizer);
  tokenizer.write(source, true);
  output += source.slice(copied);
  return { output: Buffer.from(output, 'latin1'), calls };
}
