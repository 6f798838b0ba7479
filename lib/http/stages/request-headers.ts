import { forwardedFor } from '../../util/forwarded-for.js';
import { hopByHop } from '../../util/hop-by-hop.js';
import { forEachRequestHeader } from '../../util/raw-request-headers.js';
import type { RequestStage } from '../stage-types.js';

/** Methods for which Node's client would invent chunked framing for a request without a body. */
const BODYLESS_BY_DEFAULT = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** A TE line that accepts trailers (RFC 9110 section 10.1.4): the only TE forwarded, as `TE: trailers`. */
const TE_TRAILERS = /(?:^|,)\s*trailers\s*(?:;|,|$)/i;

/** `Connection` as a list of lines, whatever a middleware put in req.headers. */
function connectionLines(value: string | string[] | undefined): readonly string[] | undefined {
  return typeof value === 'string' ? [value] : value;
}

/**
 * The headers sent to the backend (docs/getting-started.md, "How paths map"): the client's lines
 * as it sent them, repeated names on separate lines, with what a middleware set, changed or
 * deleted in `req.headers` applied (see {@link forEachRequestHeader}); without hop-by-hop headers
 * and those the client's `Connection` names; `TE: trailers` kept; X-Forwarded-For appended; no
 * User-Agent invented. Framing follows the client's: a Content-Length is kept, a chunked body is
 * re-chunked, a request without a body stays without one.
 */
export const requestHeaders: RequestStage = (ex) => {
  const { req } = ex;
  const drop = hopByHop(connectionLines(req.headers.connection));
  const out: string[] = ['Host', ex.host];
  const prior: string[] = [];
  let trailers = false;
  forEachRequestHeader(req, (lower, name, value) => {
    if (lower === 'x-forwarded-for') prior.push(value);
    else if (lower === 'te') trailers ||= TE_TRAILERS.test(value);
    else if (lower !== 'host' && !drop.has(lower)) out.push(name, value);
  });
  if (trailers) out.push('TE', 'trailers');
  const xff = forwardedFor(req, prior);
  if (xff !== undefined) out.push('X-Forwarded-For', xff);
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    // Node removed the chunked framing but not other transfer codings (e.g. `gzip, chunked`):
    // the body is re-chunked and keeps them (Node's parser accepts only lists that end in chunked).
    out.push('Transfer-Encoding', te);
    if (req.headers.trailer !== undefined) out.push('Trailer', req.headers.trailer);
  } else if (
    req.headers['content-length'] === undefined &&
    !BODYLESS_BY_DEFAULT.has(req.method ?? 'GET')
  ) {
    out.push('Content-Length', '0');
  }
  ex.headers = out;
  return false;
};
