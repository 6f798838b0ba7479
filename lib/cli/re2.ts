/**
 * Go's regular expressions (RE2 syntax, as kubectl proxy compiles its filter patterns) translated to
 * JavaScript ones that match the same strings, so that a pattern means here what it means to
 * kubectl. What differs and how it is translated:
 * - `.` matches any character but `\n` (JavaScript's also stops at `\r`, U+2028 and U+2029), and a
 *   whole code point; under `(?s)` it matches `\n` too.
 * - Under `(?m)`, `^` and `$` are at `\n` only (JavaScript's `m` also stops at `\r`, U+2028 and U+2029).
 * - `\A` and `\z` are the start and end of the text (in JavaScript, `A` and `z`).
 * - `\s` is `[\t\n\f\r ]` (JavaScript's adds `\v` and Unicode spaces); `\a` is BEL; `\Q...\E` is
 *   literal text; `(?P<name>` names a group; `[[:alpha:]]` and the other ASCII classes; octal
 *   `\012`; `\x{10FFFF}`; a `]` first in a class is literal.
 * - Leading flags `(?i)`, `(?s)`, `(?m)` become JavaScript's; flags later in the pattern, `(?U)`,
 *   `\pN`, lookaround and backreferences are refused (Go refuses the last two, too).
 * Case folding is JavaScript's, which differs from Go's for a few letters (`ſ`, the Kelvin sign).
 */
import { setFlagsFromString } from 'node:v8';

// V8's non-backtracking engine (the `l` flag) runs in time linear in the input, as RE2 does. The
// backtracking engine takes quadratic time on `^/api/.*/pods/.*/exec` against a path of many
// `/pods/` (seconds for 100 KB), and a request head may be 1 MiB.
setFlagsFromString('--enable-experimental-regexp-engine');

/** Any code point but `\n`: a surrogate pair is one character, as a rune is to Go. */
const DOT = '(?:[^\\n\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])';
const DOT_ALL = '(?:[^\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])';

/** RE2's ASCII classes, as JavaScript class contents. */
const POSIX: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '\\x21-\\x7E',
  lower: 'a-z',
  print: '\\x20-\\x7E',
  punct: '\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Escapes that mean the same in both, given as is. */
const SAME = new Set(['d', 'D', 'w', 'W', 'b', 'B', 'f', 't', 'n', 'r', 'v']);

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
}

/** A pattern Go would refuse, or one this translation does not support. */
export class Re2Error extends Error {
  override name = 'Re2Error';
}

const hex4 = (code: number): string => `\\u${code.toString(16).padStart(4, '0')}`;
const literal = (text: string, inClass: boolean): string =>
  [...text]
    .map((c) => (/[\\^$.*+?()[\]{}|/-]/.test(c) || (inClass && c === ']') ? `\\${c}` : c))
    .join('');

/** A code point as JavaScript source; one beyond U+FFFF is a surrogate pair, impossible in a class. */
function codePoint(code: number, inClass: boolean): string {
  if (code > 0x10ffff) throw new Re2Error('invalid escape: code point out of range');
  if (code <= 0xffff) return hex4(code);
  if (inClass)
    throw new Re2Error('a code point beyond U+FFFF in a character class is not supported');
  const text = String.fromCodePoint(code);
  return `(?:${hex4(text.charCodeAt(0))}${hex4(text.charCodeAt(1))})`;
}

/** Translates the escape at `src[at] === '\\'`; returns the JavaScript source and where to go on. */
function escape(src: string, at: number, inClass: boolean): [string, number] {
  const c = src[at + 1];
  if (c === undefined) throw new Re2Error('trailing backslash');
  if (SAME.has(c)) return [`\\${c}`, at + 2];
  if (c === 's') return [inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]', at + 2];
  if (c === 'S')
    return [inClass ? '\\x00-\\x08\\x0B\\x0E-\\x1F\\x21-\\uFFFF' : '[^\\t\\n\\f\\r ]', at + 2];
  if (c === 'a') return ['\\x07', at + 2];
  if (c === 'Q') {
    const end = src.indexOf('\\E', at + 2);
    const text = src.slice(at + 2, end === -1 ? undefined : end);
    return [literal(text, inClass), end === -1 ? src.length : end + 2];
  }
  const octal = /^(?:0[0-7]{0,2}|[1-7][0-7]{1,2})/.exec(src.slice(at + 1));
  if (octal) return [codePoint(parseInt(octal[0], 8), inClass), at + 1 + octal[0].length];
  const hex = /^x(?:([0-9A-Fa-f]{2})|\{([0-9A-Fa-f]{1,8})\})/.exec(src.slice(at + 1));
  if (hex) return [codePoint(parseInt(hex[1] ?? hex[2]!, 16), inClass), at + 1 + hex[0].length];
  if (c.charCodeAt(0) < 0x80 && !/[0-9A-Za-z]/.test(c)) return [`\\${c}`, at + 2];
  throw new Re2Error(`invalid or unsupported escape \\${c}`);
}

/** Translates a character class starting at `src[at] === '['`. */
function charClass(src: string, at: number): [string, number] {
  let out = '[';
  let i = at + 1;
  if (src[i] === '^') out += src[i++];
  if (src[i] === ']') {
    // A `]` first in a class is literal in Go; in JavaScript, `[]` is an empty class.
    out += '\\]';
    i++;
  }
  while (i < src.length && src[i] !== ']') {
    const posix = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
    if (posix) {
      const set = POSIX[posix[2]!];
      if (!set || posix[1]) throw new Re2Error(`unsupported character class ${posix[0]}`);
      [out, i] = [out + set, i + posix[0].length];
    } else if (src[i] === '\\') {
      const [text, next] = escape(src, i, true);
      [out, i] = [out + text, next];
    } else {
      [out, i] = [out + (src[i] === '[' ? '\\[' : src[i]), i + 1];
    }
  }
  if (i >= src.length) throw new Re2Error('missing closing ]');
  return [`${out}]`, i + 1];
}

/** Translates `(` at `src[at]`: groups Go accepts, named groups in JavaScript's spelling. */
function group(src: string, at: number): [string, number] {
  const rest = src.slice(at);
  if (!rest.startsWith('(?')) return ['(', at + 1];
  if (rest.startsWith('(?:')) return ['(?:', at + 3];
  if (rest.startsWith('(?P<')) return ['(?<', at + 4];
  if (/^\(\?<[A-Za-z_]/.test(rest)) return ['(?<', at + 3];
  if (/^\(\?(?:[=!]|<[=!])/.test(rest))
    throw new Re2Error('lookaround is not supported (Go refuses it)');
  throw new Re2Error('flags are supported only at the start of the pattern, as (?i)');
}

/** The pattern's leading flag groups (`(?i)`, `(?sm)`), and where the rest starts. */
function leadingFlags(src: string): [Flags, number] {
  const flags: Flags = { i: false, s: false, m: false };
  let at = 0;
  for (let m = /^\(\?([imsU-]+)\)/.exec(src); m; m = /^\(\?([imsU-]+)\)/.exec(src.slice(at))) {
    const [on, off = ''] = m[1]!.split('-');
    if (`${on}${off}`.includes('U')) throw new Re2Error('the ungreedy flag (?U) is not supported');
    for (const f of on!) flags[f as keyof Flags] = true;
    for (const f of off) flags[f as keyof Flags] = false;
    at += m[0].length;
  }
  return [flags, at];
}

/** One token outside a class: its JavaScript source and where to go on. */
function token(src: string, at: number, flags: Flags): [string, number] {
  const c = src[at]!;
  // `\A` and `\z` are `^` and `$` unless `(?m)` moved those to lines.
  if (c === '\\' && src[at + 1] === 'A') return [flags.m ? '(?<![\\s\\S])' : '^', at + 2];
  if (c === '\\' && src[at + 1] === 'z') return [flags.m ? '(?![\\s\\S])' : '$', at + 2];
  if (c === '\\') return escape(src, at, false);
  if (c === '[') return charClass(src, at);
  if (c === '(') return group(src, at);
  if (c === '.') return [flags.s ? DOT_ALL : DOT, at + 1];
  if (c === '^' && flags.m) return ['(?<![^\\n])', at + 1];
  if (c === '$' && flags.m) return ['(?![^\\n])', at + 1];
  const repeat = /^\{(\d+)(?:,(\d*))?\}/.exec(src.slice(at));
  if (repeat && Math.max(Number(repeat[1]), Number(repeat[2] || 0)) > 1000) {
    throw new Re2Error('bad repetition operator: counts go up to 1000');
  }
  return [c, at + 1];
}

/**
 * Compiles a Go regular expression to a JavaScript one that matches the same strings, run by V8's
 * linear-time engine when the translation allows it.
 *
 * @throws {Re2Error} when Go would refuse the pattern or the translation does not support it.
 * @throws {SyntaxError} when JavaScript refuses the translation (an unbalanced parenthesis...).
 * @example re2ToRegExp('^a.b$').test('a\rb') // true, as in Go; /^a.b$/ gives false
 */
export function re2ToRegExp(pattern: string): RegExp {
  const [flags, start] = leadingFlags(pattern);
  let source = '';
  for (let at = start; at < pattern.length;) {
    const [text, next] = token(pattern, at, flags);
    [source, at] = [source + text, next];
  }
  const jsFlags = flags.i ? 'i' : '';
  try {
    return new RegExp(source, `${jsFlags}l`);
  } catch {
    // Not runnable in linear time (the lookaround of `(?m)`, `(?i)`, long counts): backtracking.
    return new RegExp(source, jsFlags);
  }
}
