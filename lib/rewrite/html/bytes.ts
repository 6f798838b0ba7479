/** The bytes the HTML scanner acts on (HTML Standard 13.2.5), and small tests over them. */
export const LT = 0x3c; // <
export const GT = 0x3e; // >
export const SLASH = 0x2f;
export const BANG = 0x21;
export const QUESTION = 0x3f;
export const EQUALS = 0x3d;
export const DQUOTE = 0x22;
export const SQUOTE = 0x27;
export const DASH = 0x2d;
export const AMP = 0x26;
export const HASH = 0x23;
export const SEMICOLON = 0x3b;

/**
 * ASCII whitespace as the tokenizer sees it: tab, LF, FF, space, and CR, which the input stream
 * turns into LF before the tokenizer reads it (HTML Standard 13.2.3.5).
 */
export function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0c || b === 0x0d;
}

export function isAlpha(b: number): boolean {
  const lower = b | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}

/** A byte that ends a tag or attribute name: whitespace, `/` or `>`. */
export function endsName(b: number): boolean {
  return b === GT || b === SLASH || isSpace(b);
}

/**
 * Whether `bytes` at `at` hold `word` (lower-case ASCII letters) in any case, followed by a byte
 * that ends a tag name: 1 if so, 0 if not, -1 if `bytes` end before that can be told.
 */
export function wordAt(bytes: Buffer, at: number, word: string): 1 | 0 | -1 {
  const end = bytes.length;
  for (let k = 0; k < word.length; k++) {
    if (at + k >= end) return -1;
    if ((bytes[at + k]! | 0x20) !== word.charCodeAt(k)) return 0;
  }
  if (at + word.length >= end) return -1;
  return endsName(bytes[at + word.length]!) ? 1 : 0;
}

/**
 * The index of the first `byte` in `bytes[from, end)`, or -1: a loop, for the short runs it is
 * used on (values, text between tags), where `indexOf`'s call into C++ costs more than the bytes.
 */
export function find(bytes: Buffer, byte: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (bytes[i] === byte) return i;
  return -1;
}

/** Pieces longer than this are copied by `Buffer#copy` (memcpy); shorter ones by {@link copyBytes}. */
const SHORT_COPY = 512;

/**
 * Copies `source[from, to)` into `target` at `at` (`sourceView` and `targetView` are DataViews of
 * the same bytes); returns the count. A short piece is copied four bytes at a time through the
 * views: on the pieces between rewritten values (some 60 bytes) this takes 43 ns, against 258 for
 * a loop over bytes and 173 for `Buffer#copy`, which makes a view of the source per call.
 */
export function copyBytes(
  source: Buffer,
  sourceView: DataView,
  from: number,
  to: number,
  target: Buffer,
  targetView: DataView,
  at: number,
): number {
  const n = to - from;
  if (n > SHORT_COPY) return source.copy(target, at, from, to);
  for (; from + 4 <= to; from += 4, at += 4)
    targetView.setUint32(at, sourceView.getUint32(from, true), true);
  for (; from < to; from++, at++) target[at] = source[from]!;
  return n;
}

/** A DataView of the bytes of `bytes`. */
export function viewOf(bytes: Buffer): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
}

const LATIN1_UPPER = /[\xc0-\xde]/;

/**
 * The name at `bytes[start, end)` in lower case, cut to `max` chars. Only ASCII letters are
 * lowered, as the tokenizer does (String#toLowerCase would also lower Latin-1 letters).
 */
export function nameAt(bytes: Buffer, start: number, end: number, max: number): string {
  const raw = latin1(bytes, start, Math.min(end, start + max));
  const lower = raw.toLowerCase();
  if (!LATIN1_UPPER.test(raw)) return lower;
  return raw.replace(/[A-Z]/g, (c: string) => c.toLowerCase());
}

type Latin1 = { latin1Slice(start: number, end: number): string };

/** `bytes.toString('latin1', start, end)` without its argument checks, for the many short names read. */
export function latin1(bytes: Buffer, start: number, end: number): string {
  return (bytes as unknown as Latin1).latin1Slice(start, end);
}
