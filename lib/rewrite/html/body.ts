import { pipeline } from 'node:stream';
import type { BackendResponse } from '../../transport/backend-response.js';
import { debug } from '../../util/debug.js';
import type { Exchange } from '../../http/exchange.js';
import { recode } from '../codec.js';
import { fromByteString, toByteString } from '../go/strings.js';
import { formatUrl, parseUrl } from '../go/url.js';
import { createHtmlRewriter } from './rewriter.js';
import { rewriteUrl, type RewriteTarget } from '../rewrite-url.js';

const HTML = /^\s*text\/html\s*(?:;|$)/i;

function isHtml(contentType: string | undefined): boolean {
  return contentType !== undefined && HTML.test(contentType);
}

/** The rewrite of one link attribute; undefined keeps the value's bytes when nothing but escaping would change (docs/differences.md, P5). */
function linkRewriter(ex: Exchange, target: RewriteTarget): (value: string) => string | undefined {
  const source = { host: ex.location.host };
  return (value) => {
    let parsed;
    try {
      parsed = parseUrl(toByteString(value));
    } catch {
      return undefined; // Kubernetes leaves a value that is not a URL as it is
    }
    const rewritten = rewriteUrl(parsed, source, ex.host, target);
    return rewritten === formatUrl(parsed) ? undefined : fromByteString(rewritten);
  };
}

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
  response.body = pipeline(
    response.body,
    codec.decode,
    createHtmlRewriter(linkRewriter(ex, target)),
    codec.encode,
    () => {},
  );
}
