import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { requestUrl, singleJoiningSlash } from '../util/url.js';
import { forwardedFor } from '../util/forwarded-for.js';
import type { ResolvedOptions } from '../options.js';
import { assertOneHost, forEachRequestHeader } from '../util/raw-request-headers.js';
import { forwardedHeaders, isForwardedHeader } from '../rewrite/forwarded.js';
import { pathPrepend } from '../rewrite/rewrite-url.js';
import type { UpgradeRequestInit } from '../types/clients.js';
import type { OutgoingRequest } from '../hooks/exchange-view.js';
import { HeaderList } from '../util/header-list.js';
import type { Location } from '../util/location.js';

/**
 * The backend path of an upgrade (docs/upgrades.md, "Backend path"): without
 * `useRequestLocation`, the location's own path and query; with it, the request's path and query,
 * after the location's path when `appendLocationPath` is set. `path` and `query` are the
 * request's, relative to the mount.
 */
export function upgradeTarget(
  options: ResolvedOptions,
  location: Location,
  path: string,
  query: string | null,
): string {
  if (!options.useRequestLocation) {
    const own = location.path === '' ? '/' : location.path;
    return location.query === '' ? own : own + '?' + location.query;
  }
  const joined = options.appendLocationPath
    ? singleJoiningSlash(location.path, path)
    : path === ''
      ? '/'
      : path;
  return query === null ? joined : joined + '?' + query;
}

/** One upgrade request: the request, and its path and query relative to the proxy's mount. */
export interface UpgradeRequest {
  readonly req: IncomingMessage;
  readonly path: string;
  readonly query: string | null;
}

/**
 * The rewriting transport's X-Forwarded-Uri/Host/Proto, with the HTTP path's values: the path
 * prefix is the incoming path (mount included) with the backend path, before the location's path
 * is joined in front, trimmed from its end.
 */
function setForwarded(
  options: ResolvedOptions,
  src: UpgradeRequest,
  headers: OutgoingHttpHeaders,
  out: OutgoingRequest,
): void {
  const { path, mount } = requestUrl(src.req);
  const prefix = pathPrepend(
    mount + path,
    options.useRequestLocation ? src.path : out.location.path,
  );
  const target = out.target;
  const lines = forwardedHeaders(src.req, prefix, target);
  for (let i = 0; i < lines.length; i += 2) headers[lines[i]!.toLowerCase()] = lines[i + 1]!;
}

/**
 * The upgrade request as the user's stages see it (docs/upgrades.md, "Headers"): the backend
 * path, and every client header line, hop-by-hop ones included (the backend must see
 * `Connection` and `Upgrade`), a repeated name on separate lines, with what a middleware did to
 * `req.headers` applied as on the HTTP path (see {@link forEachRequestHeader}); Host first, the
 * client's or, with `useLocationHost`, the location's.
 * @throws {ProxyError} `ERR_PROXY_BAD_REQUEST` for a request with two Host lines.
 */
export function upgradeRequest(
  options: ResolvedOptions,
  src: UpgradeRequest,
  location: Location,
): OutgoingRequest {
  const { req } = src;
  assertOneHost(req);
  const client = req.headers.host;
  const raw = ['host', options.useLocationHost || client === undefined ? location.host : client];
  forEachRequestHeader(req, (lower, _name, value) => {
    if (lower !== 'host') raw.push(lower, value);
  });
  return {
    method: req.method ?? 'GET',
    target: upgradeTarget(options, location, src.path, src.query),
    headers: new HeaderList(raw),
    location,
  };
}

/** Adds one header line under its lower-case name; a repeated name becomes a list, one line per item. */
function addLine(headers: OutgoingHttpHeaders, name: string, value: string): void {
  const earlier = headers[name];
  if (earlier === undefined) headers[name] = value;
  else if (Array.isArray(earlier)) earlier.push(value);
  else headers[name] = [String(earlier), value];
}

/** The headers that frame a plain request's body, which the upgrade path forwards as it came. */
const FRAMING = ['content-length', 'transfer-encoding'] as const;

/**
 * What is written to the backend for an upgrade, after the user's stages: their headers, one Host,
 * Content-Length and Transfer-Encoding the client's whatever a stage did, X-Forwarded-For appended
 * to the list's own; with the rewriting transport on, the list's
 * X-Forwarded-Uri/Host/Proto replaced by the proxy's own, as on the HTTP path. Names are
 * lower-case. This is what `upgradeTransport.wrapRequest` gets.
 */
export function upgradeRequestInit(
  options: ResolvedOptions,
  src: UpgradeRequest,
  out: OutgoingRequest,
): UpgradeRequestInit {
  const headers: OutgoingHttpHeaders = {};
  const prior: string[] = [];
  const { req } = src;
  // By index over the flat list: its iterator would make a generator and a pair per line.
  const { raw } = out.headers;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (lower === 'x-forwarded-for') prior.push(value);
    else if (lower === 'host') headers.host ??= value;
    else if (lower === 'content-length' || lower === 'transfer-encoding') {
      // The body is the client's, framed as it framed it: a stage's own value never goes out.
      if (headers[lower] === undefined && value === req.headers[lower]) headers[lower] = value;
    } else if (!(options.rewrite && isForwardedHeader(lower))) addLine(headers, lower, value);
  }
  headers.host ??= out.location.host;
  for (const name of FRAMING) headers[name] ??= req.headers[name];
  const xff = forwardedFor(src.req, prior);
  if (xff !== undefined) headers['x-forwarded-for'] = xff;
  if (options.rewrite) setForwarded(options, src, headers, out);
  return { method: out.method, path: out.target, headers };
}

/**
 * Serializes the request head, Host first. Values that `wrapRequest` produced are checked here:
 * a header that would break the request framing is an error, not an injection.
 * @throws TypeError for an invalid method, path, header name or value.
 */
export function serializeHead(init: UpgradeRequestInit): string {
  const { method, path, headers } = init;
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method))
    throw new TypeError(`invalid method ${JSON.stringify(method)}`);
  if (!/^[\x21-\x7e\x80-\xff]+$/.test(path))
    throw new TypeError(`invalid request target ${JSON.stringify(path)}`);
  let host = '';
  let rest = '';
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    validateHeaderName(name);
    let lines = '';
    for (const line of Array.isArray(value) ? value : [String(value)]) {
      validateHeaderValue(name, line);
      lines += `${name}: ${line}\r\n`;
    }
    if (name.length === 4 && name.toLowerCase() === 'host') host += lines;
    else rest += lines;
  }
  return `${method} ${path} HTTP/1.1\r\n${host}${rest}\r\n`;
}
