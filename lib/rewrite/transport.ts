import type { BackendResponse } from '../transport/backend-response.js';
import type { RoundTrip } from '../transport/transport.js';
import { ProxyError } from '../errors/proxy-error.js';
import type { Exchange } from '../http/exchange.js';
import { removeCors } from './cors.js';
import { rewriteTarget, setForwardedHeaders } from './forwarded.js';
import type * as HtmlBody from './html/body.js';
import { isHtml } from './html-type.js';
import { rewriteLocation } from './location.js';

let htmlBody: typeof HtmlBody.rewriteHtmlBody | undefined;

/**
 * The HTML rewriter, loaded with the first HTML answer and not when the proxy is made: its
 * scanner, link rules and `entities` (for references in values) would otherwise enlarge the heap of
 * every proxy, which costs collections on large bodies (docs/benchmarks.md, "Transport kinds").
 */
function loadHtmlBody(): typeof HtmlBody.rewriteHtmlBody {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  return (htmlBody ??= (require('./html/body.js') as typeof HtmlBody).rewriteHtmlBody);
}

/**
 * Kubernetes' rewriting transport (docs/rewriting.md), around `roundTrip`, used with
 * `wrapTransport` or when no `transport` is given: X-Forwarded-* on the way out; on the way back
 * the CORS grants removed, then either the Location header or the links of an HTML body rewritten
 * under the proxy's path prefix. It wraps the shared round trip per request (docs/differences.md,
 * P1): nothing is kept on the middleware. A failed round trip becomes Kubernetes' 503
 * `error trying to reach service` (a timeout keeps its 504).
 */
export async function rewritingRoundTrip(
  ex: Exchange,
  roundTrip: RoundTrip,
): Promise<BackendResponse> {
  const target = rewriteTarget(ex);
  setForwardedHeaders(ex, target);
  let response: BackendResponse;
  try {
    response = await roundTrip(ex);
  } catch (err) {
    if (!(err instanceof ProxyError) || err.code === 'ERR_PROXY_BODY_CONSUMED') throw err;
    const status = err.code === 'ERR_PROXY_BACKEND_TIMEOUT' ? 504 : 503;
    throw new ProxyError(err.code, `error trying to reach service: ${err.message}`, {
      status,
      cause: err.cause ?? err,
    });
  }
  removeCors(response);
  // A response with a Location never has its body rewritten (Kubernetes: the Location branch returns first).
  if (!rewriteLocation(ex, response, target) && isHtml(response.headers.get('content-type')?.[0]))
    loadHtmlBody()(ex, response, target);
  return response;
}
