import { forwardedFor } from '../forwarded-for.js';
import { hopByHop } from '../hop-by-hop.js';
import type { RequestStage } from '../stage-types.js';

/** Methods for which Node's client would invent chunked framing for a request without a body. */
const BODYLESS_BY_DEFAULT = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/**
 * The headers sent to the backend (spec 3.3): the client's, in order and case, without hop-by-hop
 * headers and without those the client's `Connection` names; `TE: trailers` kept; X-Forwarded-For
 * appended; no User-Agent invented. Framing follows the client's: a Content-Length is kept, a
 * chunked body is re-chunked, and a request without a body stays without one.
 */
export const requestHeaders: RequestStage = (ex) => {
  const { req } = ex;
  const raw = req.rawHeaders;
  const drop = hopByHop(req.headersDistinct.connection);
  const out: string[] = ['Host', ex.host];
  const prior: string[] = [];
  let trailers = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'host') continue;
    if (name === 'x-forwarded-for') prior.push(raw[i + 1]!);
    else if (name === 'te') trailers ||= /(?:^|,)\s*trailers\s*(?:;|,|$)/i.test(raw[i + 1]!);
    else if (!drop.has(name)) out.push(raw[i]!, raw[i + 1]!);
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
