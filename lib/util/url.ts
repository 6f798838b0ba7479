import type { IncomingMessage } from 'node:http';

/** Splits a request target into path and query; absolute-form targets keep only path and query (docs/differences.md, P10). */
export function splitUrl(url: string): { path: string; query: string | null } {
  let start = 0;
  if (url.charCodeAt(0) !== 47 /* / */ && url !== '*') {
    const authority = url.indexOf('://');
    if (authority !== -1) {
      const slash = url.slice(authority + 3).search(/[/?]/);
      start = slash === -1 ? url.length : authority + 3 + slash;
    }
  }
  const mark = url.indexOf('?', start);
  return mark === -1
    ? { path: url.slice(start), query: null }
    : { path: url.slice(start, mark), query: url.slice(mark + 1) };
}

/** The request's path and query relative to the mount Express or Connect stripped, and that mount. */
export function requestUrl(req: IncomingMessage): {
  path: string;
  query: string | null;
  mount: string;
} {
  const split = splitUrl(req.url ?? '');
  const { query } = split;
  const original = (req as { originalUrl?: unknown }).originalUrl;
  if (typeof original !== 'string' || original === req.url)
    return { path: split.path, query, mount: '' };
  // Under a mount, Express leaves an absolute-form target's root as `http://host`, without its `/`.
  const url = split.path === '' ? '/' : split.path;
  const full = splitUrl(original).path;
  if (full.endsWith(url))
    return { path: url, query, mount: full.slice(0, full.length - url.length) };
  // Express turns a mount root asked without its slash (`/proxy`) into `/`.
  if (url === '/' && !full.endsWith('/')) return { path: '', query, mount: full };
  return { path: url, query, mount: '' };
}

/** Joins two raw paths with exactly one `/` between them; two empty paths give `/` (Go's singleJoiningSlash). */
export function singleJoiningSlash(a: string, b: string): string {
  const aSlash = a.endsWith('/');
  const bSlash = b.startsWith('/');
  if (aSlash && bSlash) return a + b.slice(1);
  if (!aSlash && !bSlash) return a + '/' + b;
  return a + b;
}
