import { decodeHTMLAttribute } from 'entities/decode';

/** How an attribute's value is quoted in the source; '' for unquoted. */
export type Quote = '"' | "'" | '';

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
 * bytes as UTF-8, CR LF and CR as LF (the input stream's rule, before the tokenizer), character
 * references decoded by the attribute rules (a legacy one without `;` stays when `=` or a letter
 * or digit follows), NUL as U+FFFD; each only where it occurs. The references are decoded by
 * `entities`, the decoder parse5's tokenizer runs (`__tests__/rewrite/html/differential.test.ts`
 * compares with parse5).
 */
export function attributeValue(raw: string, _quote: Quote): string {
  if (!PLAIN_RAW.test(raw)) return raw; // ASCII, nothing to decode: the common case, one test
  let text = NON_ASCII.test(raw) ? fromBytes(raw) : raw;
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  if (text.includes('&')) text = decodeHTMLAttribute(text);
  return text.includes('\0') ? text.replace(/\0/g, '\ufffd') : text;
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
