/**
 * kubectl proxy's routing (kubectl `pkg/proxy/proxy_server.go`, `NewServer`; docs/cli.md,
 * "Paths"): a Go `ServeMux` with the API prefix and, when `--www` is set, the static prefix; then
 * `stripLeaveSlash` in front of the proxy when the API prefix does not start with `/api`, and
 * `StripPrefix` in front of the file server.
 *
 * Go's mux rules kept here: the longest matching prefix wins; a path that is not clean (`//`, `.`,
 * `..` segments) is redirected with 301 to its clean form; a path that only lacks the trailing
 * slash of a prefix is redirected to it; anything else is 404 `404 page not found\n`. Unlike Go's
 * mux, the path is cleaned after percent-decoding, so `%2e%2e` is redirected too
 * (docs/differences.md, "The command-line proxy's filter, paths and credentials").
 */
import { posix } from 'node:path';

/** Where a request goes. */
export type Route =
  /** To the proxy: `url` is the raw path and query to forward, `path` the decoded path for the filter. */
  | { kind: 'proxy'; url: string; path: string; host?: string }
  /** To the file server: `path` is decoded and clean, relative to the `--www` directory, starting with `/`. */
  | { kind: 'static'; path: string; trailingSlash: boolean }
  | { kind: 'redirect'; location: string }
  | { kind: 'error'; status: number; body: string };

/** The prefixes, each ending in `/` (the flags parser appends it). */
export interface RouteOptions {
  apiPrefix: string;
  /** Set when `--www` is given. */
  wwwPrefix?: string;
}

export const NOT_FOUND: Route = { kind: 'error', status: 404, body: '404 page not found\n' };
const BAD_REQUEST: Route = { kind: 'error', status: 400, body: '400 Bad Request\n' };

/** The request target split into raw path and query; an absolute-form target also gives its host. */
function splitTarget(url: string): { raw: string; query: string; host?: string } | undefined {
  let rest = url;
  let host: string | undefined;
  if (!url.startsWith('/')) {
    const absolute = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/is.exec(url);
    if (!absolute) return undefined;
    host = absolute[1];
    rest = absolute[2].startsWith('/') ? absolute[2] : `/${absolute[2]}`;
  }
  const mark = rest.indexOf('?');
  return mark === -1
    ? { raw: rest, query: '', host }
    : { raw: rest.slice(0, mark), query: rest.slice(mark), host };
}

/**
 * Percent-decodes a path byte by byte, as Go's `url.PathUnescape` does (bytes that are not UTF-8
 * become U+FFFD); `undefined` for a malformed escape, which Go's server answers with 400.
 */
export function unescapePath(raw: string): string | undefined {
  if (!raw.includes('%')) return raw;
  if (/%(?![0-9a-fA-F]{2})/.test(raw)) return undefined;
  const parts = raw.split(/(%[0-9a-fA-F]{2})/);
  const bytes = parts.map((part, i) =>
    i % 2 === 1 ? Buffer.from([parseInt(part.slice(1), 16)]) : Buffer.from(part),
  );
  return Buffer.concat(bytes).toString('utf8');
}

/** Go's `cleanPath`: rooted, `path.Clean`ed, keeping a trailing slash. */
export function cleanPath(path: string): string {
  if (path === '') return '/';
  const rooted = path.startsWith('/') ? path : `/${path}`;
  const clean = posix.normalize(rooted).replace(/\/+$/, '') || '/';
  return rooted.endsWith('/') && clean !== '/' ? `${clean}/` : clean;
}

/** The path as a redirect target: escaped where a URL path must be. */
function escapeForLocation(path: string): string {
  return encodeURI(path).replace(/[?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** kubectl's `stripLeaveSlash`: the prefix removed, a leading `/` put back unless nothing is left. */
function stripLeaveSlash(path: string, prefix: string): string | undefined {
  if (!path.startsWith(prefix)) return undefined;
  const rest = path.slice(prefix.length);
  return rest === '' || rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * Builds the router for the given prefixes.
 *
 * @example
 * const route = createRouter({ apiPrefix: '/custom/' });
 * route('/custom/api/v1/pods?watch=1') // { kind: 'proxy', url: '/api/v1/pods?watch=1', path: '/api/v1/pods' }
 */
export function createRouter(options: RouteOptions): (url: string) => Route {
  const { apiPrefix, wwwPrefix } = options;
  const patterns = [apiPrefix, ...(wwwPrefix === undefined ? [] : [wwwPrefix])].sort(
    (a, b) => b.length - a.length,
  );
  const strip = !apiPrefix.startsWith('/api');

  return (url) => {
    const target = splitTarget(url);
    if (!target) return BAD_REQUEST;
    const path = unescapePath(target.raw);
    if (path === undefined || path.includes('\0')) return BAD_REQUEST;
    const clean = cleanPath(path);
    if (clean !== path)
      return { kind: 'redirect', location: escapeForLocation(clean) + target.query };
    // A prefix's root asked without its slash is redirected, even where a shorter prefix matches.
    const slashed = patterns.find((p) => p === `${path}/`);
    if (slashed) return { kind: 'redirect', location: escapeForLocation(slashed) + target.query };
    const pattern = patterns.find((p) => path.startsWith(p));
    if (pattern === undefined) return NOT_FOUND;
    if (pattern !== apiPrefix) {
      const rest = path.slice(pattern.length);
      return { kind: 'static', path: cleanPath(rest), trailingSlash: path.endsWith('/') };
    }
    if (!strip) return { kind: 'proxy', url: target.raw + target.query, path, host: target.host };
    // The raw path must carry the prefix as written; an escaped prefix (`/cust%6Fm/`) is not stripped.
    const raw = stripLeaveSlash(target.raw, apiPrefix);
    const decoded = stripLeaveSlash(path, apiPrefix);
    if (raw === undefined || decoded === undefined) return NOT_FOUND;
    // Go sends an empty path as `/` on the request line.
    return { kind: 'proxy', url: (raw || '/') + target.query, path: decoded, host: target.host };
  };
}
