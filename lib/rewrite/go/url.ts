import { goQuote } from './strings.js';
import { Reason, escape, escapedFragment, escapedPath, unescape } from './escape.js';
import { parseAuthority } from './authority.js';

/**
 * Go's `net/url` (`Parse`, `URL.String`), as Kubernetes' rewriting transport uses it
 * (docs/differences.md, P13). Follows Go 1.26's src/net/url/url.go; see
 * https://pkg.go.dev/net/url. The escaping rules and `EscapedPath` are in `escape.ts`, the
 * authority (`parseAuthority`, `parseHost`) in `authority.ts`; `path.Clean` and `path.Join` are in
 * `path.ts`.
 *
 * Strings are Go strings: one character per byte (latin1), which is how Node hands over header
 * values. A character above U+00FF counts as its UTF-8 bytes. Text decoded as UTF-8 (HTML
 * attribute values) goes through `toByteString` (strings.ts) first to get the bytes Go would see.
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

/** Go's `setPath`: `rawPath` is kept only when it differs from the default encoding of the path. */
export function parsePath(raw: string): { path: string; rawPath: string } {
  try {
    const path = unescape(raw, 'path');
    return { path, rawPath: escape(path, 'path') === raw ? '' : raw };
  } catch (err) {
    throw err instanceof Reason ? new UrlParseError(raw, err.message) : err;
  }
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
