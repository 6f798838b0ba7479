import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { forwardedFor } from '../util/forwarded-for.js';
import type { ResolvedOptions } from '../options.js';
import { singleJoiningSlash } from '../util/url.js';
import type { UpgradeRequestInit } from '../types.js';

/**
 * The backend path of an upgrade (spec 4.2, P2): without `useRequestLocation`, the location's
 * own path and query; with it, the request's path and query, after the location's path when
 * `appendLocationPath` is set. `path` and `query` are the request's, relative to the mount.
 */
export function upgradeTarget(options: ResolvedOptions, path: string, query: string | null): string {
  const { location } = options;
  if (!options.useRequestLocation) {
    const own = location.path === '' ? '/' : location.path;
    return location.query === '' ? own : own + '?' + location.query;
  }
  const joined = options.appendLocationPath ? singleJoiningSlash(location.path, path) : path === '' ? '/' : path;
  return query === null ? joined : joined + '?' + query;
}

/**
 * What is sent to the backend for an upgrade (spec 4.3): every client header, hop-by-hop ones
 * included (the backend must see `Connection` and `Upgrade`), X-Forwarded-For appended, Host the
 * client's or, with `useLocationHost`, the location's. Names are lower-case, as Node gives them.
 */
export function upgradeRequestInit(options: ResolvedOptions, req: IncomingMessage, target: string): UpgradeRequestInit {
  // From req.headers, so that what an earlier middleware set there is forwarded too.
  const headers: OutgoingHttpHeaders = { ...req.headers };
  if (options.useLocationHost || headers.host === undefined) headers.host = options.location.host;
  const prior = req.headers['x-forwarded-for'];
  const xff = forwardedFor(req, prior === undefined ? [] : ([] as string[]).concat(prior));
  if (xff !== undefined) headers['x-forwarded-for'] = xff;
  return { method: req.method ?? 'GET', path: target, headers };
}

/**
 * Serializes the request head, Host first. Values that `wrapRequest` produced are checked here:
 * a header that would break the request framing is an error, not an injection.
 * @throws TypeError for an invalid method, path, header name or value.
 */
export function serializeHead(init: UpgradeRequestInit): string {
  const { method, path, headers } = init;
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) throw new TypeError(`invalid method ${JSON.stringify(method)}`);
  if (!/^[\x21-\x7e\x80-\xff]+$/.test(path)) throw new TypeError(`invalid request target ${JSON.stringify(path)}`);
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
