import { UrlParseError, formatUrl, parsePath, type GoUrl } from './go/url.js';
import { escapePath, escapedPath } from './go/escape.js';
import { joinPath } from './go/path.js';

/**
 * Kubernetes' rewriting transport on URLs (apimachinery pkg/util/proxy/transport.go;
 * docs/rewriting.md, "What it changes"; docs/differences.md, P3, P4 and P13). Paths are Go strings
 * (see go/url.ts): raw ones as sent on the wire, and the path prefix decoded, as Kubernetes'
 * `PathPrepend` (taken from `URL.Path`) is.
 */

/** What the proxy knows of the incoming request (Kubernetes' `Transport` fields). */
export interface RewriteTarget {
  /** Scheme the client used, or `''`: links then stay scheme-less. */
  readonly scheme: string;
  /** Host the client used, or `''`: links then become path-only. */
  readonly host: string;
  /** Decoded path the proxy is mounted at, from {@link pathPrepend}. */
  readonly pathPrepend: string;
}

/** Go's `path.Join` drops a trailing slash; Kubernetes puts it back when the path had one. */
function keepTrailingSlash(joined: string, original: string): string {
  return original.endsWith('/') && !joined.endsWith('/') ? joined + '/' : joined;
}

/**
 * Kubernetes' `rewriteURL` (docs/rewriting.md, "The rewriting rules"): a link or Location to the
 * backend gets the proxy's scheme, host and path prefix; anything else is only re-serialized,
 * escaped by Go's rules.
 * @param u The parsed link or Location.
 * @param source The backend URL the response came from (its `host` is `host[:port]`).
 * @param sourceRequestHost The `Host` header sent to the backend.
 * @param t The proxy's side.
 * @example
 * const t = { scheme: '', host: '', pathPrepend: '/p' };
 * rewriteUrl(parseUrl('/a'), { host: 'b:80' }, 'b:80', t); // '/p/a'
 */
export function rewriteUrl(
  u: GoUrl,
  source: { host: string },
  sourceRequestHost: string,
  t: RewriteTarget,
): string {
  // 1. Another host (exact string, port included) is not ours to rewrite.
  const otherHost = u.host !== '' && u.host !== source.host && u.host !== sourceRequestHost;
  // 2. Nor is anything without an absolute path: relative refs, mailto:, `http://host`, `#top`.
  if (otherHost || !u.path.startsWith('/')) return formatUrl(u);
  // 3. The proxy's scheme and host replace the backend's, unless both are unknown and the URL
  //    already names the host the backend was asked for.
  const keep = u.host === sourceRequestHost && t.scheme === '' && t.host === '';
  const moved = keep ? u : { ...u, scheme: t.scheme, host: t.host };
  // 4. A path already under the prefix (plain string prefix, not per segment) is left as it is.
  if (u.path.startsWith(t.pathPrepend)) return formatUrl(moved);
  // 5. path.Join(prefix, path), which also cleans `.`, `..` and `//`.
  return formatUrl({ ...moved, path: keepTrailingSlash(joinPath(t.pathPrepend, u.path), u.path) });
}

/** Go's `req.URL.EscapedPath()` for a path as sent on the wire. */
function escapedWirePath(raw: string): string {
  try {
    return escapedPath(parsePath(raw));
  } catch (err) {
    if (!(err instanceof UrlParseError)) throw err;
    // Go's server answers 400 to a bad escape and Node lets it through: keep the valid %XX
    // and escape the rest.
    const parts = raw.split(/(%[0-9A-Fa-f]{2})/);
    return parts.map((part, i) => (i % 2 === 1 ? part : escapePath(part))).join('');
  }
}

/**
 * `X-Forwarded-Uri` (docs/rewriting.md, "Request headers"): path.Join(prefix, escaped outgoing
 * path), plus `/` when the outgoing path ends with one. The prefix is escaped too (a decoded
 * prefix could hold bytes a header cannot; docs/differences.md, P13), and the root gives `/`,
 * never Kubernetes' `//` (docs/differences.md, P3).
 * @param prefix The decoded path prefix ({@link pathPrepend}).
 * @param outgoingPath The path sent to the backend, as on the wire, without the query.
 * @example forwardedUri('/proxy', '/a b/') // '/proxy/a%20b/'
 */
export function forwardedUri(prefix: string, outgoingPath: string): string {
  // The common case, on every request: nothing to escape, decode or clean.
  if (isPlain(outgoingPath) && (prefix === '' || isPlain(prefix)))
    return prefix.replace(/\/$/, '') + outgoingPath || '/';
  const escaped = escapedWirePath(outgoingPath);
  const joined = joinPath(escapePath(prefix), escaped);
  // The decoded path ends with '/' exactly when its escaped form ends with '/' or %2F.
  const slash = escaped.endsWith('/') || /%2f$/i.test(escaped);
  return (slash ? keepTrailingSlash(joined, '/') : joined) || '/';
}

/**
 * A path of `/`-separated segments that need no escaping and no cleaning: no `%`, no empty,
 * `.` or `..` segment, only characters Go's path escaping keeps. For these, the raw, decoded,
 * escaped and cleaned forms are the same string (the trailing slash aside).
 */
const PLAIN = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9\-_.~$&+,:;=@]+)*\/?$/;

function isPlain(path: string): boolean {
  return path !== '' && PLAIN.test(path);
}

/** `URL.Path` of a raw path; a path with a bad escape (Node accepts it) is taken as it is. */
function decodedPath(raw: string): string {
  try {
    return parsePath(raw).path;
  } catch (err) {
    if (err instanceof UrlParseError) return raw;
    throw err;
  }
}

/**
 * The path prefix (docs/rewriting.md, "The path prefix"; docs/differences.md, P4): the original
 * request path (Express: the path of `req.originalUrl`) with the backend path trimmed as a suffix,
 * as Kubernetes' `defaultProxyTransport` trims `Location.Path`: when the incoming path ends with
 * `/` and the suffix does not, the suffix gets one first; a path that does not end with the
 * suffix is kept whole. Both paths raw, without query; the result is decoded.
 * @example pathPrepend('/a/test/location', '/location') // '/a/test'
 */
export function pathPrepend(originalPath: string, backendPath: string): string {
  const plain = isPlain(originalPath) && (backendPath === '' || isPlain(backendPath));
  const incoming = plain ? originalPath : decodedPath(originalPath);
  let suffix = plain ? backendPath : decodedPath(backendPath);
  if (incoming.endsWith('/') && !suffix.endsWith('/')) suffix += '/';
  return incoming.endsWith(suffix) ? incoming.slice(0, incoming.length - suffix.length) : incoming;
}
