import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedOptions } from './options.js';

/**
 * One proxied request on its way through the stages: what came in (read-only) and what will be
 * sent to the backend (filled in by the stages). Everything per request lives here, never on
 * the shared middleware (docs/differences.md, P1).
 */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly options: ResolvedOptions;
  /** The incoming path relative to the mount, raw; `''` for a mount root asked without its slash. */
  readonly path: string;
  /** The raw query without `?`, or null when the request line had no `?`. */
  readonly query: string | null;
  /** The mount path in front of `path` (Express/Connect `app.use('/proxy', ...)`), raw; `''` unmounted. */
  readonly mount: string;
  /** Outgoing path and query, as written on the request line. Set by the target-url stage. */
  target: string;
  /** The path the backend would get before joining; empty means the root redirect applies. */
  forwardedPath: string;
  /** Outgoing `Host`. Set by the host stage. */
  host: string;
  /**
   * Outgoing headers as a flat raw list `[name, value, ...]`, Host first, the client's names as it
   * sent them and a repeated name on separate lines. Set by the request-headers stage.
   */
  headers: string[];
}

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
export function requestUrl(req: IncomingMessage): { path: string; query: string | null; mount: string } {
  const split = splitUrl(req.url ?? '');
  const { query } = split;
  const original = (req as { originalUrl?: unknown }).originalUrl;
  if (typeof original !== 'string' || original === req.url) return { path: split.path, query, mount: '' };
  // Under a mount, Express leaves an absolute-form target's root as `http://host`, without its `/`.
  const url = split.path === '' ? '/' : split.path;
  const full = splitUrl(original).path;
  if (full.endsWith(url)) return { path: url, query, mount: full.slice(0, full.length - url.length) };
  // Express turns a mount root asked without its slash (`/proxy`) into `/`.
  if (url === '/' && !full.endsWith('/')) return { path: '', query, mount: full };
  return { path: url, query, mount: '' };
}

/** A new exchange for one request on the HTTP path. */
export function createExchange(req: IncomingMessage, res: ServerResponse, options: ResolvedOptions): Exchange {
  const { path, query, mount } = requestUrl(req);
  return { req, res, options, path, query, mount, target: '', forwardedPath: '', host: '', headers: [] };
}
