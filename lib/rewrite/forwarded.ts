import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Exchange } from '../http/exchange.js';
import { pathPrepend, forwardedUri, type RewriteTarget } from './rewrite-url.js';

const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;

/**
 * What the rewriting transport knows of the incoming request (Kubernetes' `Transport` fields):
 * the scheme and host of an absolute-form request target, as Go's `req.URL` has them
 * (empty for the usual origin-form, so rewritten links stay path-only and work under any scheme
 * and host the client used), and the path prefix in front of the backend path (under an Express
 * mount, the mount comes from `req.originalUrl`: docs/differences.md, P4).
 */
export function rewriteTarget(ex: Exchange): RewriteTarget {
  const url = ex.req.url ?? '';
  const absolute = url.charCodeAt(0) === 47 /* / */ ? null : ABSOLUTE_FORM.exec(url);
  return {
    scheme: absolute ? absolute[1]!.toLowerCase() : '',
    host: absolute ? absolute[2]! : '',
    pathPrepend: pathPrepend(ex.mount + ex.path, ex.forwardedPath),
  };
}

const FORWARDED = /^x-forwarded-(?:uri|host|proto)$/i;

/** True for X-Forwarded-Uri, -Host and -Proto in any case: the headers only the proxy may set. */
export function isForwardedHeader(name: string): boolean {
  // By length first (15 to 17 characters): most names are shorter or longer, and skip the regex.
  return name.length >= 15 && name.length <= 17 && FORWARDED.test(name);
}

/** Removes the client's X-Forwarded-Uri/Host/Proto lines from a flat raw header list, in one pass. */
function dropClientForwarded(headers: string[]): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (isForwardedHeader(headers[i]!)) headers.splice(i, 2);
  }
}

/**
 * The X-Forwarded-* headers the proxy sets itself (docs/rewriting.md, "Request headers"), as a
 * flat `[name, value, ...]` list with canonical names, as for the other headers the proxy sets
 * (Host, X-Forwarded-For): X-Forwarded-Uri is the prefix joined with the escaped outgoing path;
 * X-Forwarded-Host is the Host the client asked for (left out when it sent none);
 * X-Forwarded-Proto is `https` on a TLS connection, else `http`. The HTTP path and upgrades share it.
 * @param req The incoming request.
 * @param prefix The decoded path prefix ({@link pathPrepend}).
 * @param target The outgoing path and query, as on the request line.
 * @example forwardedHeaders(req, '/proxy', '/a?x=1') // ['X-Forwarded-Uri', '/proxy/a', 'X-Forwarded-Host', ...]
 */
export function forwardedHeaders(req: IncomingMessage, prefix: string, target: string): string[] {
  const mark = target.indexOf('?');
  const out = [
    'X-Forwarded-Uri',
    forwardedUri(prefix, mark === -1 ? target : target.slice(0, mark)),
  ];
  if (req.headers.host) out.push('X-Forwarded-Host', req.headers.host);
  out.push('X-Forwarded-Proto', (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http');
  return out;
}

/**
 * The rewriting transport's X-Forwarded-* headers on the HTTP path: always the proxy's own
 * ({@link forwardedHeaders}), every line of the same names the client sent removed first, so a
 * client's value never passes as if the proxy had set it.
 */
export function setForwardedHeaders(ex: Exchange, target: RewriteTarget): void {
  dropClientForwarded(ex.headers.raw);
  ex.headers.raw.push(...forwardedHeaders(ex.req, target.pathPrepend, ex.target));
}
