import {
  COLON,
  DOT,
  HASH,
  KEEPS,
  PERCENT,
  QUESTION,
  SLASH,
  SLOW,
  type LinkPlan,
} from '../rewrite-link.js';
import type { Quote } from './values.js';

/**
 * rewrite-link.ts's fast path read from an attribute's bytes, for the values that are their own
 * bytes (nothing to decode) and whose new value is the old one with the proxy's prefix in front:
 * the rewriter then inserts the prefix's bytes, made once per response, and makes no string of
 * the value at all. Anything else is {@link SLOW} here and goes the way of strings.
 * `__tests__/rewrite/link-fast-path.test.ts` checks it against the string path.
 */

/** Rewrites the value at `bytes[start, end)`: the bytes to insert before it, undefined to keep it, or SLOW. */
export type LinkBytes = (
  bytes: Buffer,
  start: number,
  end: number,
  quote: Quote,
) => Buffer | undefined | null;

/**
 * Per byte, as bits: where in a `/path?query#fragment` value it is taken as it is, quoted (Q) and
 * unquoted (U). Taken as it is: the tokenizer reads it as itself (not `&`, CR, NUL or a byte of a
 * UTF-8 sequence), rewrite-link.ts's fast path keeps it (a path's bytes that Go does not escape,
 * a printable query, a fragment's bytes that Go does not escape), and, unquoted, values.ts's
 * `encodeValue` writes it as it is (printable, and not a quote, `&`, `<`, `=`, `>` or backquote).
 */
const PATH_Q = 1;
const QUERY_Q = 4;
const FRAGMENT_Q = 16;
/** The same bits unquoted: each Q bit shifted by one. */
const UNQUOTED = 1;
const BYTES = new Uint8Array(256);
for (let c = 1; c < 0x80; c++) {
  if (c === 0x26 || c === 0x0d) continue; // `&` and CR are decoded
  const simple = c > 0x20 && c < 0x7f && !'"\'<=>`'.includes(String.fromCharCode(c));
  const bits =
    ((KEEPS[c]! & 1) !== 0 ? PATH_Q : 0) |
    (c >= 0x20 && c <= 0x7e ? QUERY_Q : 0) |
    (KEEPS[c] !== 0 ? FRAGMENT_Q : 0);
  BYTES[c] = bits | (simple ? bits << UNQUOTED : 0);
}

/** The byte path of `plan`'s rewrite (rewrite-link.ts's `fastLinkRewrite`). */
export function linkBytes(plan: LinkPlan): LinkBytes {
  const { prefix, origin, base } = plan;
  // What a path under the prefix gets, and what any other gets, in front of it.
  const under = origin === null ? null : insertion(origin);
  const other = origin === null || base === null ? null : insertion(origin + base);
  return (bytes, start, end, quote) => {
    if (start === end) return undefined; // '' is no URL
    const shift = quote === '' ? UNQUOTED : 0;
    const first = bytes[start];
    if (first !== SLASH) return first === PERCENT ? SLOW : relative(bytes, start, end, shift);
    const pathEnd = plainPath(bytes, start, end, shift);
    if (pathEnd < 0 || !plainSuffix(bytes, pathEnd, end, shift)) return SLOW;
    const insert = startsWith(bytes, start, pathEnd, prefix) ? under : other;
    return insert === null ? SLOW : insert.length === 0 ? undefined : insert;
  };
}

/**
 * `text` as the bytes to insert, or null when a quoting might write it otherwise: only bytes a
 * query takes as they are unquoted (printable, and none that `encodeValue` escapes) are.
 */
function insertion(text: string): Buffer | null {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || (BYTES[c]! & (QUERY_Q << UNQUOTED)) === 0) return null;
  }
  return Buffer.from(text, 'latin1');
}

/**
 * A value not starting with `/`: undefined when it cannot be rewritten, else SLOW. Its bytes must
 * all be read as themselves (any query bit), so that they are the value the string path sees.
 */
function relative(b: Buffer, start: number, end: number, shift: number): undefined | null {
  const taken = QUERY_Q << shift;
  let found = -1;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if ((BYTES[c]! & taken) === 0) return SLOW;
    if (found < 0 && (c === SLASH || c === QUESTION || c === HASH || c === COLON)) found = i;
  }
  if (found < 0 || b[found] !== COLON) return undefined;
  return found + 1 < end && b[found + 1] === SLASH ? SLOW : undefined;
}

/** The end of the plain path that starts the value, or -1 (rewrite-link.ts's `plainPathEnd`). */
function plainPath(b: Buffer, start: number, end: number, shift: number): number {
  const taken = PATH_Q << shift;
  let segment = start + 1;
  let i = start + 1;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === SLASH) {
      if (!plainSegment(b, segment, i)) return -1;
      segment = i + 1;
    } else if (c === QUESTION || c === HASH) break;
    else if ((BYTES[c]! & taken) === 0) return -1;
  }
  return i === segment || plainSegment(b, segment, i) ? i : -1;
}

function plainSegment(b: Buffer, start: number, end: number): boolean {
  const n = end - start;
  if (n > 2 || n === 0) return n > 0;
  return b[start] !== DOT || (n === 2 && b[start + 1] !== DOT);
}

/** Whether what follows the path is taken as it is: a printable query, a non-empty plain fragment. */
function plainSuffix(b: Buffer, at: number, end: number, shift: number): boolean {
  if (b[at] === QUESTION)
    for (at++; at < end && b[at] !== HASH; at++)
      if ((BYTES[b[at]!]! & (QUERY_Q << shift)) === 0) return false;
  if (at >= end - 1) return at === end; // an empty fragment is dropped with its `#`: not an insertion
  for (let i = at + 1; i < end; i++)
    if ((BYTES[b[i]!]! & (FRAGMENT_Q << shift)) === 0) return false;
  return true;
}

/** Whether the path at `b[start, end)` starts with `prefix`. */
function startsWith(b: Buffer, start: number, end: number, prefix: string): boolean {
  if (prefix.length > end - start) return false;
  for (let k = 0; k < prefix.length; k++) if (b[start + k] !== prefix.charCodeAt(k)) return false;
  return true;
}
