import type { IncomingMessage } from 'node:http';
import { ProxyError } from '../errors/proxy-error.js';
import type { Exchange } from '../http/exchange.js';

/** Whether the client's request has a body to forward (chunked, or a non-zero Content-Length). */
export function hasBody(req: IncomingMessage): boolean {
  const { headers } = req;
  return (
    headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0')
  );
}

/**
 * The client's request as the body to forward, or null when it has none.
 * @throws ProxyError `ERR_PROXY_BODY_CONSUMED` when an earlier middleware already read the body:
 * forwarding would hang waiting for bytes that never come.
 */
export function bodyOf(ex: Exchange): IncomingMessage | null {
  const { req } = ex;
  if (!hasBody(req)) return null;
  if (req.readableEnded || req.readableDidRead) {
    throw new ProxyError(
      'ERR_PROXY_BODY_CONSUMED',
      'the request body was already read by an earlier middleware; mount the proxy before body parsers',
    );
  }
  return req;
}
