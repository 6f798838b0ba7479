import { isIPv4, isIPv6 } from 'node:net';
import { goQuote } from './strings.js';

/**
 * Go's `net/url` (`Parse`, `URL.String`, `EscapedPath`), as Kubernetes' rewriting transport uses
 * it (docs/differences.md, P13); `path.Clean` and `path.Join` are in `path.ts`. Follows Go 1.26's
 * src/net/url/url.go; see https://pkg.go.dev/net/url.
 *
 * Strings are Go strings: one character per byte (latin1), which is how Node hands over header
 * values. A character above U+00FF counts as its UTF-8 bytes. Text decoded as UTF-8 (HTML
 * attribute values) goes through {@link toByteString} first to get the bytes Go would see.
 */

/** Go's `url.Userinfo`: `password` is `null` when no `:` was written. */
export interface GoUserinfo {
  readonly username: string;
  readonly password: string | null;
}

/** Go's `url.URL`: `host`, `path`, `fragment` and `user` decoded, the `raw*` fields hints. */
export interface GoUrl {
  readonly scheme: string;
  readonly opaque: string;
  readonly user: GoUserinfo | null;
  readonly host: string;
  readonly path: string;
  readonly rawPath: string;
  readonly omitHost: boolean;
  readonly forceQuery: boolean;
  readonly rawQuery: string;
  readonly fragment: string;
  readonly rawFragment: string;
}

/** Go's `*url.Error` from `Parse`: the message is `parse "<url>": <reason>`. */
export class UrlParseError extends Error {
  override readonly name = 'UrlParseError';
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`parse ${goQuote(url)}: ${reason}`);
  }
}

/** A reason without the URL; `parseUrl` wraps it as Go's `Parse` wraps errors. */
class Reason extends Error {}

type Mode = 'path' | 'host' | 'zone' | 'user' | 'fragment';

const isHostMode = (mode: Mode): boolean => mode === 'host' || mode === 'zone';

const EMPTY: GoUrl = Object.freeze({
  scheme: '',
  opaque: '',
  user: null,
  host: '',
  path: '',
  rawPath: '',
  omitHost: false,
  forceQuery: false,
  rawQuery: '',
  fragment: '',
  rawFragment: '',
});

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
function escape(s: string, mode: Mode): string {
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
function unescape(s: string, mode: Mode): string {
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

/** Go's `setPath`: `rawPath` is kept only when it differs from the default encoding of the path. */
export function parsePath(raw: string): { path: string; rawPath: string } {
  try {
    const path = unescape(raw, 'path');
    return { path, rawPath: escape(path, 'path') === raw ? '' : raw };
  } catch (err) {
    throw err instanceof Reason ? new UrlParseError(raw, err.message) : err;
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
function escapedFragment(u: GoUrl): string {
  const raw = u.rawFragment;
  const valid = raw !== '' && validEncoded(raw, 'fragment');
  if (valid && tryUnescape(raw, 'fragment') === u.fragment) return raw;
  return escape(u.fragment, 'fragment');
}

/** Go's `getScheme`: `[A-Za-z][A-Za-z0-9+.-]*:`; a leading ':' is an error. */
function getScheme(raw: string): [string, string] {
  if (raw.startsWith(':')) throw new Reason('missing protocol scheme');
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(raw);
  return m ? [m[1] as string, raw.slice(m[0].length)] : ['', raw];
}

/** A lone trailing '?' is ForceQuery; otherwise the query is everything after the first '?'. */
function splitQuery(rest: string): { rest: string; rawQuery: string; forceQuery: boolean } {
  const q = rest.indexOf('?');
  if (q < 0) return { rest, rawQuery: '', forceQuery: false };
  if (q === rest.length - 1) return { rest: rest.slice(0, q), rawQuery: '', forceQuery: true };
  return { rest: rest.slice(0, q), rawQuery: rest.slice(q + 1), forceQuery: false };
}

function checkPort(colonPort: string): void {
  if (/^(:[0-9]*)?$/.test(colonPort)) return;
  throw new Reason(`invalid port ${goQuote(colonPort)} after host`);
}

/** Go's `parseHost`: host[:port], or an IPv6 literal in brackets. */
function parseHost(scheme: string, host: string): string {
  const open = host.lastIndexOf('[');
  if (open > 0) throw new Reason('invalid IP-literal');
  if (open === 0) return parseIpLiteral(host);
  // go.dev/issue/75223: http(s) hosts hold one colon; other schemes take the last as the port.
  const strict = scheme === 'http' || scheme === 'https';
  const colon = strict ? host.indexOf(':') : host.lastIndexOf(':');
  if (colon >= 0) checkPort(host.slice(colon));
  return unescape(host, 'host');
}

/** RFC 3986 §3.2.2 and RFC 6874: `[v6addr%25zone]:port`; only IPv6 may stand in brackets. */
function parseIpLiteral(host: string): string {
  const close = host.lastIndexOf(']');
  if (close < 0) throw new Reason("missing ']' in host");
  const colonPort = host.slice(close + 1);
  checkPort(colonPort);
  const name = host.slice(1, close);
  const z = name.indexOf('%25');
  const ip = unescape(z < 0 ? name : name.slice(0, z), 'host');
  const address = z < 0 ? ip : ip + unescape(name.slice(z), 'zone');
  // Go asks netip.ParseAddr; node:net's checks agree on the forms that matter here.
  if (isIPv4(address)) throw new Reason('invalid IP-literal');
  const pct = address.indexOf('%');
  if (!isIPv6(pct < 0 ? address : address.slice(0, pct)) || pct === address.length - 1) {
    throw new Reason(`invalid host: ParseAddr(${goQuote(address)}): unable to parse IP`);
  }
  return `[${address}]${unescape(colonPort, 'host')}`;
}

/** Go's `parseAuthority`: userinfo ends at the last '@'. */
function parseAuthority(scheme: string, authority: string): Pick<GoUrl, 'user' | 'host'> {
  const at = authority.lastIndexOf('@');
  const host = parseHost(scheme, authority.slice(at + 1));
  if (at < 0) return { user: null, host };
  const info = authority.slice(0, at);
  // Go's validUserinfo: RFC 3986 §3.2.1 userinfo, plus '@' (go.dev/issue/3439).
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(info)) {
    throw new Reason('net/url: invalid userinfo');
  }
  const colon = info.indexOf(':');
  if (colon < 0) return { user: { username: unescape(info, 'user'), password: null }, host };
  const username = unescape(info.slice(0, colon), 'user');
  return { user: { username, password: unescape(info.slice(colon + 1), 'user') }, host };
}

/** RFC 3986 §4.2: a first segment with a colon reads as a scheme. */
function firstSegmentHasColon(path: string): boolean {
  const colon = path.indexOf(':');
  if (colon < 0) return false;
  const slash = path.indexOf('/');
  return slash < 0 || colon < slash;
}

/** Go's `parse(rawURL, false)`: a URL or any relative reference, without its fragment. */
function parseReference(raw: string): GoUrl {
  // eslint-disable-next-line no-control-regex -- Go rejects exactly these bytes
  if (/[\x00-\x1f\x7f]/.test(raw)) {
    throw new Reason('net/url: invalid control character in URL');
  }
  if (raw === '*') return { ...EMPTY, path: '*' };
  const [scheme, afterScheme] = getScheme(raw);
  const { rest, rawQuery, forceQuery } = splitQuery(afterScheme);
  const base = { ...EMPTY, scheme: scheme.toLowerCase(), rawQuery, forceQuery };
  if (!rest.startsWith('/')) {
    if (base.scheme !== '') return { ...base, opaque: rest }; // RFC 3986 rootless path
    // RFC 3986 §3.3, go.dev/issue/16822: not to be mistaken for a scheme.
    if (firstSegmentHasColon(rest)) {
      throw new Reason('first path segment in URL cannot contain colon');
    }
  }
  if (rest.startsWith('//') && (base.scheme !== '' || !rest.startsWith('///'))) {
    const slash = rest.indexOf('/', 2);
    const end = slash < 0 ? rest.length : slash;
    const authority = parseAuthority(base.scheme, rest.slice(2, end));
    return { ...base, ...authority, ...parsePath(rest.slice(end)) };
  }
  // go.dev/issue/46059: `scheme:/path` keeps its missing authority.
  return { ...base, omitHost: base.scheme !== '' && rest.startsWith('/'), ...parsePath(rest) };
}

/**
 * Go's `url.Parse`: the scheme is lower-cased, the host kept as written (escapes decoded), the
 * query kept byte for byte, the path and fragment decoded with their raw forms kept as hints.
 * @throws UrlParseError with Go's message, e.g. `parse "/%zz": invalid URL escape "%zz"`.
 * @example parseUrl('http://Host/a%2Fb?q') // { host: 'Host', path: '/a/b', rawPath: '/a%2Fb', … }
 */
export function parseUrl(text: string): GoUrl {
  const hash = text.indexOf('#');
  const head = hash < 0 ? text : text.slice(0, hash);
  const frag = hash < 0 ? '' : text.slice(hash + 1);
  const url = withReason(head, () => parseReference(head));
  if (frag === '') return url;
  const fragment = withReason(text, () => unescape(frag, 'fragment'));
  return { ...url, fragment, rawFragment: escape(fragment, 'fragment') === frag ? '' : frag };
}

function withReason<T>(url: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof Reason) throw new UrlParseError(url, err.message);
    if (err instanceof UrlParseError) throw new UrlParseError(url, err.reason);
    throw err;
  }
}

/** `[scheme:][//[userinfo@]host]` as Go's `String` writes it. */
function formatOrigin(u: GoUrl): string {
  let out = u.scheme === '' ? '' : `${u.scheme}:`;
  if (u.scheme === '' && u.host === '' && u.user === null) return out;
  if (u.omitHost && u.host === '' && u.user === null) return out;
  if (u.host !== '' || u.path !== '' || u.user !== null) out += '//';
  if (u.user !== null) {
    const { username, password } = u.user;
    out += escape(username, 'user');
    out += (password === null ? '' : ':' + escape(password, 'user')) + '@';
  }
  return out + escape(u.host, 'host');
}

/**
 * Go's `URL.String()`: no dot-segment resolution, no slash added after a bare host, the query
 * as it came, `./` before a relative path whose first segment has a colon (RFC 3986 §4.2).
 * @example formatUrl(parseUrl('/a b')) // '/a%20b'
 */
export function formatUrl(u: GoUrl): string {
  const origin = formatOrigin(u);
  let out = origin;
  if (u.opaque !== '') {
    out += u.opaque;
  } else {
    const path = escapedPath(u);
    if (path !== '' && path[0] !== '/' && u.host !== '') out += '/';
    else if (origin === '' && firstSegmentHasColon(path)) out += './';
    out += path;
  }
  if (u.forceQuery || u.rawQuery !== '') out += `?${u.rawQuery}`;
  if (u.fragment !== '') out += `#${escapedFragment(u)}`;
  return out;
}
