import type { TLSSocket } from 'node:tls';
import type { Exchange } from '../http/exchange.js';
import { pathPrepend, forwardedUri, type RewriteTarget } from './rewrite-url.js';

const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;

/**
 * What the rewriting transport knows of the incoming request (Kubernetes' `Transport` fields,
 * spec 5.1): the scheme and host of an absolute-form request target, as Go's `req.URL` has them
 * (empty for the usual origin-form, so rewritten links stay path-only and work under any scheme
 * and host the client used), and the path prefix in front of the backend path (P4: under an
 * Express mount, the mount comes from `req.originalUrl`).
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

/** Removes the client's X-Forwarded-Uri/Host/Proto lines from a flat raw header list, in one pass. */
function dropClientForwarded(headers: string[]): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i]!.length <= 17 && FORWARDED.test(headers[i]!)) headers.splice(i, 2);
  }
}

/**
 * The X-Forwarded-* headers the rewriting transport sends (spec 5.2 step 1), always set by the
 * proxy, so a client's own value never passes as if the proxy had set it: X-Forwarded-Uri is the
 * prefix joined with the escaped outgoing path (P3, P13); X-Forwarded-Host is the Host the client
 * asked for (removed when it sent none); X-Forwarded-Proto is `https` on a TLS connection, else `http`.
 */
export function setForwardedHeaders(ex: Exchange, target: RewriteTarget): void {
  const mark = ex.target.indexOf('?');
  const path = mark === -1 ? ex.target : ex.target.slice(0, mark);
  const { req } = ex;
  dropClientForwarded(ex.headers);
  // Canonical names, as for the other headers the proxy sets itself (Host, X-Forwarded-For).
  ex.headers.push('X-Forwarded-Uri', forwardedUri(target.pathPrepend, path));
  if (req.headers.host) ex.headers.push('X-Forwarded-Host', req.headers.host);
  ex.headers.push('X-Forwarded-Proto', (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http');
}
