import type { IncomingMessage } from 'node:http';
import { forwardedFor } from '../../util/forwarded-for.js';
import { hopByHop } from '../../util/hop-by-hop.js';
import { HeaderList } from '../../util/header-list.js';
import type { Exchange } from '../exchange.js';
import type { BuiltinRequestStage } from '../stage-types.js';

/** Methods for which Node's client would invent chunked framing for a request without a body. */
const BODYLESS_BY_DEFAULT = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** A TE line that accepts trailers (RFC 9110 section 10.1.4): the only TE forwarded, as `TE: trailers`. */
const TE_TRAILERS = /(?:^|,)\s*trailers\s*(?:;|,|$)/i;

/** The framing lines the proxy sends, whatever the list says: the body is the proxy's to frame. */
interface Framing {
  contentLength: string | undefined;
  /** The lines that go after the others: `Transfer-Encoding` (and `Trailer`) or `Content-Length: 0`. */
  tail: string[];
}

/** The client's framing (docs/getting-started.md, "How paths map"), or that of a body `requestBody` supplied. */
function framingOf(req: IncomingMessage, body: Exchange['body'], method: string): Framing {
  if (Buffer.isBuffer(body)) return { contentLength: String(body.length), tail: [] };
  if (body !== null && body !== req)
    return { contentLength: undefined, tail: ['Transfer-Encoding', 'chunked'] };
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    // Node removed the chunked framing but not other transfer codings (e.g. `gzip, chunked`):
    // the body is re-chunked and keeps them (Node's parser accepts only lists that end in chunked).
    const tail = ['Transfer-Encoding', te];
    if (req.headers.trailer !== undefined) tail.push('Trailer', req.headers.trailer);
    return { contentLength: undefined, tail };
  }
  const contentLength = req.headers['content-length'];
  if (contentLength === undefined && !BODYLESS_BY_DEFAULT.has(method))
    return { contentLength: undefined, tail: ['Content-Length', '0'] };
  return { contentLength, tail: [] };
}

/**
 * The headers finished for the backend after the user's stages (docs/getting-started.md, "How
 * paths map"): one Host; without hop-by-hop headers and those the list's `Connection` names;
 * `TE: trailers` kept; X-Forwarded-For appended to the list's own; no User-Agent invented. The
 * framing is the proxy's, never a stage's: a Content-Length line stays where it was when it tells
 * the truth, and is replaced otherwise; a chunked body is re-chunked; a request without a body
 * stays without one. A supplied body (`requestBody`) drops `Expect`: it is already here.
 */
export const requestHeaders: BuiltinRequestStage = (ex) => {
  const { req } = ex;
  const list = ex.headers.raw;
  const drop = hopByHop(connectionLines(list));
  const framing = framingOf(req, ex.body, ex.method);
  const supplied = ex.body !== null && ex.body !== req;
  const out: string[] = [];
  const prior: string[] = [];
  let trailers = false;
  let length = false;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    const value = list[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'host') {
      if (out.length === 0) ex.host = value;
      else continue; // one Host, the first: Node keeps the first, Go has only one
    } else if (lower === 'x-forwarded-for') {
      prior.push(value);
      continue;
    } else if (lower === 'te') {
      trailers ||= TE_TRAILERS.test(value);
      continue;
    } else if (lower === 'content-length') {
      if (length || value !== framing.contentLength) continue;
      length = true;
    } else if (drop.has(lower) || (supplied && lower === 'expect')) continue;
    out.push(name, value);
  }
  if (out.length === 0 || out[0]!.toLowerCase() !== 'host')
    out.unshift('Host', (ex.host = ex.location.host));
  if (trailers) out.push('TE', 'trailers');
  const xff = forwardedFor(req, prior);
  if (xff !== undefined) out.push('X-Forwarded-For', xff);
  if (framing.contentLength !== undefined && !length)
    out.push('Content-Length', framing.contentLength);
  out.push(...framing.tail);
  ex.headers = new HeaderList(out);
  return false;
};

/** The `Connection` lines of the list: the names they list are hop-by-hop for this request. */
function connectionLines(list: readonly string[]): string[] | undefined {
  let lines: string[] | undefined;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i]!.length === 10 && list[i]!.toLowerCase() === 'connection')
      (lines ??= []).push(list[i + 1]!);
  }
  return lines;
}
