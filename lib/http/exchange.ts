import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { ResolvedOptions } from '../options.js';
import { HeaderList } from '../util/header-list.js';
import type { Location } from '../util/location.js';
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
  /** The backend of this request: the fixed location, or what the `location` function gave. */
  location: Location;
  /** Outgoing method: the client's, unless a user's stage changed it. */
  method: string;
  /** Outgoing path and query, as written on the request line. Set by the target-url stage. */
  target: string;
  /** The path the backend would get before joining; empty means the root redirect applies. */
  forwardedPath: string;
  /** Outgoing `Host`. Set by the host stage; a user's stage may change it through `headers`. */
  host: string;
  /**
   * Outgoing headers in wire order, Host first, the client's names as it sent them and a repeated
   * name on separate lines. Filled by the client-headers stage, finished by the request-headers
   * stage after the user's stages.
   */
  headers: HeaderList;
  /**
   * The body to forward: the client's request, what `requestBody` supplied when a parser had
   * already read it, or null for none. Set by the request-headers stage.
   */
  body: IncomingMessage | Readable | Buffer | null;
}

/**
 * A new exchange for one request on the HTTP path. `location` is the fixed location; with a
 * `location` function the pipeline sets it before the stages run.
 */
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
    location: options.location!,
    method: req.method ?? 'GET',
    target: '',
    forwardedPath: '',
    host: '',
    headers: new HeaderList(),
    body: null,
  };
}
