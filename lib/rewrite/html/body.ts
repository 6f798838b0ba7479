import { pipeline } from 'node:stream';
import type { BackendResponse } from '../../transport/backend-response.js';
import { debug } from '../../util/debug.js';
import type { Exchange } from '../../http/exchange.js';
import { recode } from '../codec.js';
import { isHtml } from '../html-type.js';
import { createHtmlRewriter } from './rewriter.js';
import { createLinkRewrite, linkPlan } from '../rewrite-link.js';
import { linkBytes } from './link-bytes.js';
import type { RewriteTarget } from '../rewrite-url.js';

/**
 * Rewrites the links of an HTML body as it streams (docs/rewriting.md, "HTML links" and "Encodings"): `text/html` in any case
 * and with parameters; the body decoded and re-encoded in the coding it came in (gzip, deflate in
 * either form, br); an unknown coding passes untouched; a body-less answer (HEAD, 204, 304) passes.
 * The length changes, so Content-Length goes; Node frames the body anew.
 */
export function rewriteHtmlBody(
  ex: Exchange,
  response: BackendResponse,
  target: RewriteTarget,
): void {
  const { headers, status } = response;
  if (
    !isHtml(headers.get('content-type')?.[0]) ||
    ex.req.method === 'HEAD' ||
    status === 204 ||
    status === 304
  )
    return;
  const codec = recode(headers.get('content-encoding')?.join(', '));
  if (codec === null) {
    debug(
      'unknown encoding %s for text/html: links not rewritten',
      headers.get('content-encoding'),
    );
    return;
  }
  headers.delete('content-length');
  const context = { sourceHost: ex.location.host, requestHost: ex.host, target };
  const plan = linkPlan(context);
  response.body = pipeline(
    response.body,
    codec.decode,
    createHtmlRewriter(createLinkRewrite(context, plan), linkBytes(plan)),
    codec.encode,
    () => {},
  );
}
