/**
 * Go strings (one character per byte) and Go's `strconv.Quote`, which Go's error messages use.
 */

/** UTF-16 text to the Go string of its UTF-8 bytes (one character per byte). */
export function toByteString(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A Go string (one character per byte) back to text, its bytes read as UTF-8. */
export function fromByteString(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

const QUOTE_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\',
};

/** Lead byte range, sequence length and the range of the second byte (RFC 3629 §4). */
const UTF8_LEADS: readonly (readonly number[])[] = [
  [0xc2, 0xdf, 2, 0x80, 0xbf],
  [0xe0, 0xe0, 3, 0xa0, 0xbf],
  [0xe1, 0xec, 3, 0x80, 0xbf],
  [0xed, 0xed, 3, 0x80, 0x9f],
  [0xee, 0xef, 3, 0x80, 0xbf],
  [0xf0, 0xf0, 4, 0x90, 0xbf],
  [0xf1, 0xf3, 4, 0x80, 0xbf],
  [0xf4, 0xf4, 4, 0x80, 0x8f],
];

/** Length of the valid UTF-8 sequence of bytes at `i`, or 0 (RFC 3629 §4). */
function utf8Length(s: string, i: number): number {
  const b = s.charCodeAt(i);
  const [n, lo, hi] = UTF8_LEADS.find(([from, to]) => b >= from && b <= to)?.slice(2) ?? [0, 0, 0];
  for (let k = 1; k < n; k++) {
    const c = s.charCodeAt(i + k);
    if (!(k === 1 ? c >= lo && c <= hi : c >= 0x80 && c <= 0xbf)) return 0;
  }
  return n;
}

/** One rune as Go's `strconv.Quote` writes it. */
function quoteRune(r: string): string {
  const cp = r.codePointAt(0) as number;
  if (QUOTE_ESCAPES[r] !== undefined) return QUOTE_ESCAPES[r];
  if (/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(r)) return r; // Go's unicode.IsPrint
  if (cp < 0x80) return '\\x' + cp.toString(16).padStart(2, '0');
  const hex = cp.toString(16);
  return cp < 0x10000 ? '\\u' + hex.padStart(4, '0') : '\\U' + hex.padStart(8, '0');
}

/** Go's `strconv.Quote` over a Go string: bytes that are not UTF-8 become `\xNN`. */
export function goQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length;) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 && c <= 0xff) {
      const n = utf8Length(s, i);
      out += n === 0 ? '\\x' + c.toString(16) : quoteRune(fromByteString(s.slice(i, i + n)));
      i += Math.max(n, 1);
    } else {
      // ASCII, or a character above U+00FF: text already.
      const rune = String.fromCodePoint(s.codePointAt(i) as number);
      out += quoteRune(rune);
      i += rune.length;
    }
  }
  return out + '"';
}
