import type { BackendResponse } from '../transport/backend-response.js';
import { ProxyError } from '../errors/proxy-error.js';
import type { Exchange } from '../http/exchange.js';
import { parseUrl } from './go/url.js';
import { rewriteUrl, type RewriteTarget } from './rewrite-url.js';

/**
 * Rewrites the backend's `Location` header (apimachinery transport.go, `Transport.RoundTrip`;
 * docs/rewriting.md, "Response headers" and "The rewriting rules"): a same-host or path-only
 * Location gets the proxy's prefix, another host's is left alone, and the result is escaped by
 * Go's rules (docs/differences.md, P13). Returns false when there is no Location. An unparsable
 * one is Kubernetes' 500 `Internal error occurred: error trying to parse Location header: ...`.
 */
export function rewriteLocation(
  ex: Exchange,
  response: BackendResponse,
  target: RewriteTarget,
): boolean {
  const location = response.headers.get('location')?.[0];
  if (location === undefined || location === '') return false;
  let parsed;
  try {
    parsed = parseUrl(location);
  } catch (err) {
    response.body.resume(); // discarded: the client gets the responder's answer
    throw new ProxyError(
      'ERR_PROXY_BAD_LOCATION',
      `Internal error occurred: error trying to parse Location header: ${(err as Error).message}`,
      { cause: err },
    );
  }
  response.headers.set('location', [
    rewriteUrl(parsed, { host: ex.location.host }, ex.host, target),
  ]);
  return true;
}
