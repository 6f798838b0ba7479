import { forwardedFor } from '../../util/forwarded-for.js';
import { hopByHop } from '../../util/hop-by-hop.js';
import type { RequestStage } from '../stage-types.js';

/** Methods for which Node's client would invent chunked framing for a request without a body. */
const BODYLESS_BY_DEFAULT = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/**
 * The headers sent to the backend (spec 3.3): the request's, without hop-by-hop headers and
 * without those the client's `Connection` names; `TE: trailers` kept; X-Forwarded-For appended;
 * no User-Agent invented. They are read from `req.headers`, so a header an earlier middleware set
 * there (as Go code sets `req.Header`) is forwarded too. Framing follows the client's: a
 * Content-Length is kept, a chunked body is re-chunked, a request without a body stays without one.
 */
export const requestHeaders: RequestStage = (ex) => {
  const { req } = ex;
  const { headers } = req;
  const drop = hopByHop(typeof headers.connection === 'string' ? [headers.connection] : undefined);
  const out: string[] = ['Host', ex.host];
  const prior: string[] = [];
  let trailers = false;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name === 'host') continue;
    const lines = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [String(value)];
    if (name === 'x-forwarded-for') prior.push(...lines);
    else if (name === 'te') trailers ||= lines.some((line) => /(?:^|,)\s*trailers\s*(?:;|,|$)/i.test(line));
    else if (!drop.has(name)) for (const line of lines) out.push(name, line);
  }
  if (trailers) out.push('TE', 'trailers');
  const xff = forwardedFor(req, prior);
  if (xff !== undefined) out.push('X-Forwarded-For', xff);
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    // Node removed the chunked framing but not other transfer codings (e.g. `gzip, chunked`):
    // the body is re-chunked and keeps them (Node's parser accepts only lists that end in chunked).
    out.push('Transfer-Encoding', te);
    if (req.headers.trailer !== undefined) out.push('Trailer', req.headers.trailer);
  } else if (req.headers['content-length'] === undefined && !BODYLESS_BY_DEFAULT.has(req.method ?? 'GET')) {
    out.push('Content-Length', '0');
  }
  ex.headers = out;
  return false;
};
