// Go's regular expressions for the request filter: each case is what Go's regexp (as kubectl proxy
// uses it) says, where JavaScript's own reading of the same pattern says otherwise.
import { Re2Error, re2ToRegExp } from '../../lib/cli/re2.js';

const matches = (pattern: string, text: string): boolean => re2ToRegExp(pattern).test(text);

describe('re2ToRegExp', () => {
  it.each([
    // `.` stops at `\n` only; JavaScript's also stops at `\r`, U+2028 and U+2029.
    ['^a.b$', 'a\rb', true],
    ['^a.b$', 'a\u2028b', true],
    ['^a.b$', 'a\u2029b', true],
    ['^a.b$', 'a\nb', false],
    // One `.` is one code point, as one rune in Go.
    ['^.$', '😀', true],
    ['^..$', '😀', false],
    // `(?s)`: `.` takes `\n` too.
    ['(?s)^a.b$', 'a\nb', true],
    // `(?i)` at the start, which JavaScript's RegExp refuses.
    ['(?i)^localhost$', 'LocalHost', true],
    ['(?i)(?s)^A.B$', 'a\nb', true],
    // `(?m)`: `^` and `$` at `\n` only, not at `\r` as JavaScript's `m` flag has them.
    ['(?m)^b$', 'a\nb\nc', true],
    ['(?m)^b$', 'a\rb\rc', false],
    // `\A` and `\z` are the text's start and end (JavaScript reads `A` and `z`).
    ['\\Aab\\z', 'ab', true],
    ['^ab\\z', 'abz', false],
    ['(?m)\\Ab$', 'a\nb', false],
    // `\s` is ASCII: no `\v`, no U+00A0.
    ['^\\s$', '\v', false],
    ['^\\s$', '\u00a0', false],
    ['^\\S$', '\u00a0', true],
    ['^[\\S]$', '\u00a0', true],
    ['^[\\S]$', ' ', false],
    // Escapes JavaScript reads otherwise: `\a` is BEL, `\Q...\E` literal, octal, `\x{...}`.
    ['^\\a$', '\x07', true],
    ['^\\Qa.b*\\E$', 'a.b*', true],
    ['^\\Qa.b*\\E$', 'aXb', false],
    ['^\\101$', 'A', true],
    ['^\\x{1F600}$', '😀', true],
    // Classes: `]` first is literal, ASCII classes by name, `[` inside is literal.
    ['^[]a]+$', 'a]a', true],
    ['^[[:alpha:]]+$', 'abcXYZ', true],
    ['^[[:digit:][:punct:]]+$', '1-2.', true],
    ['^[[:alpha:]]+$', 'ab1', false],
    ['^[a[]$', '[', true],
    // `(?P<name>...)` is a named group.
    ['^(?P<v>v\\d)$', 'v1', true],
  ])('%j against %j is %s, as in Go', (pattern, text, expected) => {
    expect(matches(pattern, text)).toBe(expected);
  });

  it.each([
    ['\\1', 'backreference'],
    ['(a)\\k<x>', 'named backreference'],
    ['(?=a)', 'lookahead'],
    ['(?<!a)b', 'lookbehind'],
    ['\\q', 'unknown escape'],
    ['\\pL', 'Unicode class'],
    ['a(?i)b', 'flags after the start'],
    ['(?U)a+', 'ungreedy'],
    ['a{1001}', 'count over 1000'],
    ['[a', 'unclosed class'],
    ['a\\', 'trailing backslash'],
  ])('refuses %j (%s)', (pattern) => {
    expect(() => re2ToRegExp(pattern)).toThrow(Re2Error);
  });

  it("runs kubectl's default patterns on V8's linear-time engine", () => {
    for (const pattern of [
      '^.*',
      '^/api/.*/pods/.*/exec',
      '^/api/.*/pods/.*/attach',
      '^localhost$',
      '^127\\.0\\.0\\.1$',
      '^\\[::1\\]$',
      '^$',
    ]) {
      expect({ pattern, flags: re2ToRegExp(pattern).flags }).toEqual({ pattern, flags: 'l' });
    }
  });
});
