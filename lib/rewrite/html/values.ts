import { Tokenizer, type Token, type TokenHandler } from 'parse5';

/** How an attribute's value is quoted in the source; '' for unquoted. */
export type Quote = '"' | "'" | '';

const ignore = (): void => {};
const NO_TOKENS: TokenHandler = {
  onComment: ignore,
  onDoctype: ignore,
  onStartTag: ignore,
  onEndTag: ignore,
  onEof: ignore,
  onCharacter: ignore,
  onNullCharacter: ignore,
  onWhitespaceCharacter: ignore,
  onParseError: null,
};

/**
 * An attribute whose value is gathered as pieces, joined in runs: parse5's `value += c` builds a
 * rope of some 33 bytes per char, and a value may be as long as the rewriter lets a token be.
 */
class GatheredAttribute implements Token.Attribute {
  private joined = '';
  private parts: string[] = [];

  constructor(public name: string) {}

  /** Empty, so that parse5's `value += c` hands over just `c`. */
  get value(): string {
    return '';
  }

  set value(piece: string) {
    this.parts.push(piece);
    if (this.parts.length === 4096) this.joined += this.parts.splice(0).join('');
  }

  text(): string {
    return this.joined + this.parts.join('');
  }
}

/** A tokenizer for one `<a v=...>` tag, keeping its attribute's value. */
class ValueTokenizer extends Tokenizer {
  attr: GatheredAttribute | undefined;

  constructor() {
    super({}, NO_TOKENS);
  }

  protected override _createAttr(nameFirstChar: string): void {
    super._createAttr(nameFirstChar);
    this.currentAttr = this.attr ??= new GatheredAttribute(nameFirstChar);
  }
}

/** Bytes (one char per byte, as the stream is read) to text and back. */
const fromBytes = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');
const toBytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
const NON_ASCII = /[\x80-\xff]/;
const PLAIN_RAW = /[&\r\0\x80-\xff]/;
/** The bytes any quoting takes as they are: printable ASCII but space, quotes, `&`, `=`, `<`, `>`, backquote. */
const SIMPLE = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) SIMPLE[c] = '"&\'<=>`'.includes(String.fromCharCode(c)) ? 0 : 1;

/** Whether `value` is non-empty and all of it is SIMPLE (a loop: faster than a regex here). */
function isSimple(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || SIMPLE[c] === 0) return false;
  }
  return value.length > 0;
}

/** Where an attribute's value sits in the source, and how it is quoted. */
export interface ValueSpan {
  start: number;
  end: number;
  quote: Quote;
  /** No `=` at all: `<a href>`. */
  bare: boolean;
}

/**
 * An attribute's value from its source bytes, as the tokenizer reads it (HTML Standard 13.2.5):
 * bytes as UTF-8, then character references decoded by the attribute rules, CR LF as LF and NUL
 * as U+FFFD; the last three by a tokenizer of its own, and only where they occur.
 */
export function attributeValue(raw: string, quote: Quote): string {
  if (!PLAIN_RAW.test(raw)) return raw; // ASCII, nothing to decode: the common case, one test
  const text = NON_ASCII.test(raw) ? fromBytes(raw) : raw;
  if (!raw.includes('&') && !raw.includes('\r') && !raw.includes('\0')) return text;
  const tokenizer = new ValueTokenizer();
  tokenizer.write(`<a v=${quote}${text}${quote}>`, true);
  return tokenizer.attr?.text() ?? '';
}

/**
 * `value` as source text for the attribute's quoting (the quotes themselves stay in the source);
 * an unquoted or bare value that needs quotes gets `"`.
 */
export function encodeValue(value: string, { quote, bare }: ValueSpan): string {
  if (!bare && isSimple(value)) return value;
  const bytes = toBytes(value).replace(/&/g, '&amp;');
  if (quote === "'") return bytes.replace(/'/g, '&#39;');
  const doubled = bytes.replace(/"/g, '&#34;');
  if (quote === '"') return doubled;
  const wrap = bare || bytes === '' || /[\t\n\f\r "'=<>`]/.test(bytes);
  return `${bare ? '=' : ''}${wrap ? `"${doubled}"` : bytes}`;
}
