import { goQuote } from './strings.js';
import type { GoUrl } from './url.js';

/**
 * Go's percent-encoding rules per URL part (`shouldEscape`, `escape`, `unescape`,
 * `URL.EscapedPath`, `URL.EscapedFragment` in Go 1.26's src/net/url/url.go), on Go strings: one
 * character per byte, a character above U+00FF counting as its UTF-8 bytes (url.ts says why).
 */

/** Which part of a URL a string is, as Go's `encoding` constants name them. */
export type Mode = 'path' | 'host' | 'zone' | 'user' | 'fragment';

/**
 * A reason without the URL (Go's `EscapeError`, `InvalidHostError` and `parse`'s own errors);
 * `parseUrl` and `parsePath` (url.ts) wrap it as Go's `Parse` wraps errors.
 */
export class Reason extends Error {}

const isHostMode = (mode: Mode): boolean => mode === 'host' || mode === 'zone';

const UPPER_HEX = '0123456789ABCDEF';

/** Go's `shouldEscape(c, mode)` for one byte. */
function shouldEscape(c: number, mode: Mode): boolean {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9]/.test(ch)) return false; // RFC 3986 §2.3 unreserved (alphanum)
  // §3.2.2 sub-delims, plus ':' and '[]' of host:port and '<>"' that Parse rejects anyway.
  if (isHostMode(mode) && `!$&'()*+,;=:[]<>"`.includes(ch)) return false;
  if ('-_.~'.includes(ch)) return false; // §2.3 unreserved (mark)
  if ('$&+,/:;=?@'.includes(ch)) {
    // §2.2 reserved: a path escapes only '?', userinfo '@/?:', a fragment nothing.
    if (mode === 'path') return ch === '?';
    if (mode === 'user') return '@/?:'.includes(ch);
    if (mode === 'fragment') return false;
  }
  // go.dev/issue/19917: a fragment keeps the sub-delims '!()*'.
  return !(mode === 'fragment' && '!()*'.includes(ch));
}

const percent = (b: number): string => '%' + UPPER_HEX[b >> 4] + UPPER_HEX[b & 15];

/** Per mode, which of the bytes 0-255 `shouldEscape` names (filled on first use). */
const ESCAPED = new Map<Mode, Uint8Array>();

function escapeTable(mode: Mode): Uint8Array {
  let table = ESCAPED.get(mode);
  if (table === undefined) {
    table = Uint8Array.from({ length: 256 }, (_, c) => (shouldEscape(c, mode) ? 1 : 0));
    ESCAPED.set(mode, table);
  }
  return table;
}

/** Whether `escape(s, mode)` is `s`: no byte to escape (the common case, checked by table). */
function unchangedByEscape(s: string, mode: Mode): boolean {
  const table = escapeTable(mode);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || table[c] === 1) return false;
  }
  return true;
}

/** Go's `escape(s, mode)`: %XX (upper-case) for every byte `shouldEscape` names. */
export function escape(s: string, mode: Mode): string {
  if (unchangedByEscape(s, mode)) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c > 0xff) out += [...Buffer.from(ch, 'utf8')].map(percent).join('');
    else out += shouldEscape(c, mode) ? percent(c) : ch;
  }
  return out;
}

/** Go's `unescape(s, mode)`: every `%` needs two hex digits; a host takes only a few escapes. */
export function unescape(s: string, mode: Mode): string {
  if (!isHostMode(mode) && !s.includes('%')) return s; // nothing to check or decode
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      checkEscape(s.slice(i, i + 3), mode);
      i += 2;
    } else if (isHostMode(mode) && s.charCodeAt(i) < 0x80 && shouldEscape(s.charCodeAt(i), mode)) {
      throw new Reason(`invalid character ${goQuote(s[i] as string)} in host name`);
    }
  }
  return s.replace(/%[0-9A-Fa-f]{2}/g, (hex) => String.fromCharCode(parseInt(hex.slice(1), 16)));
}

/** Go's `EscapeError` cases for one `%XX`. */
function checkEscape(three: string, mode: Mode): void {
  if (!/^%[0-9A-Fa-f]{2}$/.test(three)) throw new Reason(`invalid URL escape ${goQuote(three)}`);
  const v = parseInt(three.slice(1), 16);
  // RFC 3986 §3.2.2: a host %-encodes only non-ASCII bytes; RFC 6874 adds %25 before a zone,
  // where Go accepts only escapes of bytes a host could hold as they are (and space).
  const badHost = mode === 'host' && v < 0x80 && three !== '%25';
  const badZone = mode === 'zone' && three !== '%25' && v !== 0x20 && shouldEscape(v, 'host');
  if (badHost || badZone) throw new Reason(`invalid URL escape ${goQuote(three)}`);
}

/** Go's `validEncoded`: RFC 3986 pchar, '[' ']' and '%' allowed as written. */
function validEncoded(s: string, mode: Mode): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (!`!$&'()*+,;=:@[]%`.includes(ch) && (c > 0xff || shouldEscape(c, mode))) return false;
  }
  return true;
}

function tryUnescape(s: string, mode: Mode): string | null {
  try {
    return unescape(s, mode);
  } catch (err) {
    if (err instanceof Reason) return null;
    throw err;
  }
}

/** Go's `URL.EscapedPath`: the raw path if it is validly encoded and decodes to the path. */
export function escapedPath(u: Pick<GoUrl, 'path' | 'rawPath'>): string {
  const raw = u.rawPath;
  if (raw !== '' && validEncoded(raw, 'path') && tryUnescape(raw, 'path') === u.path) return raw;
  return u.path === '*' ? '*' : escape(u.path, 'path'); // go.dev/issue/11202
}

/** Go's `escape(path, encodePath)`: A–Z a–z 0–9 `-_.~$&+,/:;=@` stay, the rest is %XX. */
export function escapePath(path: string): string {
  return escape(path, 'path');
}

/** Go's `URL.EscapedFragment`, the fragment's counterpart of `EscapedPath`. */
export function escapedFragment(u: GoUrl): string {
  const raw = u.rawFragment;
  const valid = raw !== '' && validEncoded(raw, 'fragment');
  if (valid && tryUnescape(raw, 'fragment') === u.fragment) return raw;
  return escape(u.fragment, 'fragment');
}
