import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedOptions } from '../options.js';
import { requestUrl } from '../util/url.js';

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

/** A new exchange for one request on the HTTP path. */
export function createExchange(
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedOptions,
): Exchange {
  const { path, query, mount } = requestUrl(req);
  return {
    req,
    res,
    options,
    path,
    query,
    mount,
    target: '',
    forwardedPath: '',
    host: '',
    headers: [],
  };
}
