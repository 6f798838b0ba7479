import type { IncomingMessage } from 'node:http';
import { forwardedFor } from '../../util/forwarded-for.js';
import { hopByHop } from '../../util/hop-by-hop.js';
import { forEachRequestHeader, type HeaderLineVisitor } from '../../util/raw-request-headers.js';
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

/** The outgoing lines, each with its name in lower case, Host among them. */
type Lines = (visit: HeaderLineVisitor) => void;

/** After user stages: the lines they left in the list. */
function listLines(list: readonly string[]): Lines {
  return (visit) => {
    for (let i = 0; i < list.length; i += 2) visit(list[i]!.toLowerCase(), list[i]!, list[i + 1]!);
  };
}

/**
 * Without user stages the list was never made (see the client-headers stage): the client's lines
 * straight from the request, the host stage's Host first. One pass, as on every plain request.
 */
function clientLines(ex: Exchange): Lines {
  return (visit) => {
    visit('host', 'Host', ex.host);
    forEachRequestHeader(ex.req, (lower, name, value) => {
      if (lower !== 'host') visit(lower, name, value);
    });
  };
}

/** The `Connection` lines: the names they list are hop-by-hop for this request. */
function connectionOf(ex: Exchange, fromList: boolean): readonly string[] | undefined {
  if (!fromList) {
    const value = ex.req.headers.connection;
    return typeof value === 'string' ? [value] : value;
  }
  const list = ex.headers.raw;
  let lines: string[] | undefined;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i]!.length === 10 && list[i]!.toLowerCase() === 'connection')
      (lines ??= []).push(list[i + 1]!);
  }
  return lines;
}

/**
 * The headers finished for the backend after the user's stages (docs/getting-started.md, "How
 * paths map"): one Host, first; without hop-by-hop headers and those `Connection` names;
 * `TE: trailers` kept; X-Forwarded-For appended to the list's own; no User-Agent invented. The
 * framing is the proxy's, never a stage's: a Content-Length line stays where it was when it tells
 * the truth, and is replaced otherwise; a chunked body is re-chunked; a request without a body
 * stays without one. A supplied body (`requestBody`) drops `Expect`: it is already here.
 */
export const requestHeaders: BuiltinRequestStage = (ex) => {
  const { req } = ex;
  const fromList = ex.options.requestStages.length > 0;
  const drop = hopByHop(connectionOf(ex, fromList));
  const framing = framingOf(req, ex.body, ex.method);
  const supplied = ex.body !== null && ex.body !== req;
  const out: string[] = ['Host', ex.location.host];
  const prior: string[] = [];
  let trailers = false;
  let length = false;
  let host = false;
  (fromList ? listLines(ex.headers.raw) : clientLines(ex))((lower, name, value) => {
    if (lower === 'host') {
      // One Host, the first, put first: Node keeps the first, Go has only one.
      if (host) return;
      host = true;
      out[0] = name;
      out[1] = value;
    } else if (lower === 'x-forwarded-for') prior.push(value);
    else if (lower === 'te') trailers ||= TE_TRAILERS.test(value);
    else if (lower === 'content-length') {
      if (!length && value === framing.contentLength) {
        length = true;
        out.push(name, value);
      }
    } else if (!drop.has(lower) && !(supplied && lower === 'expect')) out.push(name, value);
  });
  ex.host = out[1]!;
  if (trailers) out.push('TE', 'trailers');
  const xff = forwardedFor(req, prior);
  if (xff !== undefined) out.push('X-Forwarded-For', xff);
  if (framing.contentLength !== undefined && !length)
    out.push('Content-Length', framing.contentLength);
  out.push(...framing.tail);
  ex.headers.raw = out;
  return false;
};
