import type { Readable } from 'node:stream';
import { ProxyError } from '../errors/proxy-error.js';
import { hookError } from '../hooks/run-stages.js';
import type { RequestBody } from '../types.js';
import type { Exchange } from './exchange.js';

const CONSUMED =
  'the request body was already read by an earlier middleware; mount the proxy before body parsers';

/** Whether the client's request has a body to forward (chunked, or a non-zero Content-Length). */
function hasBody(ex: Exchange): boolean {
  const { headers } = ex.req;
  return (
    headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0')
  );
}

function isReadable(value: unknown): value is Readable {
  return typeof (value as Partial<Readable> | null)?.pipe === 'function';
}

/** What `requestBody` gave, as bytes or a stream. */
function toBody(value: RequestBody | undefined): Buffer | Readable {
  if (value === undefined) throw new ProxyError('ERR_PROXY_BODY_CONSUMED', CONSUMED);
  if (typeof value === 'string') return Buffer.from(value);
  if (Buffer.isBuffer(value) || isReadable(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length);
  throw new TypeError('requestBody must give a Buffer, a Uint8Array, a string or a Readable');
}

/** The body `requestBody` supplies for a request whose own body a parser has read. */
async function suppliedBody(ex: Exchange): Promise<Buffer | Readable> {
  const supply = ex.options.requestBody;
  if (supply === undefined) throw new ProxyError('ERR_PROXY_BODY_CONSUMED', CONSUMED);
  let value: RequestBody | undefined;
  try {
    value = await supply(ex.req);
  } catch (err) {
    throw hookError('requestBody', err);
  }
  try {
    return toBody(value);
  } catch (err) {
    throw hookError('requestBody', err);
  }
}

/**
 * The body to forward (docs/options.md, "requestBody"): none, the client's request as it streams,
 * or, when an earlier middleware has already read it, what `requestBody` supplies. Without
 * `requestBody` such a request fails: forwarding would hang waiting for bytes that never come.
 * Returns synchronously unless `requestBody` is called.
 * @throws {ProxyError} `ERR_PROXY_BODY_CONSUMED`, or `ERR_PROXY_STAGE` for a failing `requestBody`.
 */
export function bodyToForward(ex: Exchange): Exchange['body'] | Promise<Buffer | Readable> {
  if (!hasBody(ex)) return null;
  const { req } = ex;
  return req.readableEnded || req.readableDidRead ? suppliedBody(ex) : req;
}
