import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ProxyError } from '../errors/proxy-error.js';
import type { ProxyExchange, ProxyResponse, ResponseStage } from '../types/stages.js';
import { bodyRecoder, readTypes, type BodyStageOptions } from './body-target.js';

/** Options of {@link interceptBody}. @since 0.3.0 */
export interface InterceptBodyOptions extends BodyStageOptions {
  /** The most decoded bytes buffered; a larger body fails the request with a 502. */
  maxBytes: number;
}

/**
 * Reads one decoded body and returns the one to send; a string is sent as UTF-8.
 * @since 0.3.0
 */
export type BodyInterceptor = (
  body: Buffer,
  ex: ProxyExchange,
  res: ProxyResponse,
) => Buffer | string | Promise<Buffer | string>;

function readMaxBytes(options: unknown): number {
  const { maxBytes } = options as { maxBytes?: unknown };
  if (typeof maxBytes !== 'number')
    throw new TypeError('interceptBody: `maxBytes` must be a number (bytes)');
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0)
    throw new RangeError('interceptBody: `maxBytes` must be a positive integer (bytes)');
  return maxBytes;
}

function tooLarge(maxBytes: number): ProxyError {
  return new ProxyError('ERR_PROXY_BODY_TOO_LARGE', `response body exceeds ${maxBytes} bytes`);
}

/** A sink keeping every chunk; past `maxBytes` it fails, and pipeline destroys the streams. */
function collector(maxBytes: number, into: Buffer[]): Writable {
  let size = 0;
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) return callback(tooLarge(maxBytes));
      into.push(chunk);
      callback();
    },
  });
}

/** `source` through `coder` to its end, what comes out gathered; a failure destroys both. */
async function drain(maxBytes: number, source: Readable, coder: Transform): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(source, coder, collector(maxBytes, chunks));
  return Buffer.concat(chunks);
}

function toBuffer(value: unknown): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length);
  throw new TypeError('interceptBody: the function must return a Buffer or a string');
}

/** An identity body announcing more than `maxBytes` fails before a byte is read. */
function checkDeclared(res: ProxyResponse, maxBytes: number): void {
  if (res.headers.has('content-encoding')) return;
  const declared = Number(res.headers.get('content-length'));
  if (declared > maxBytes) {
    res.body.destroy();
    throw tooLarge(maxBytes);
  }
}

/**
 * A response stage that buffers each matching body, decoded, up to `maxBytes`, hands it to `fn`
 * and sends what `fn` returns, encoded again in the body's coding, with its Content-Length
 * (docs/stages.md, "interceptBody"). The head waits for the whole body, so a body past `maxBytes`
 * fails cleanly: `ERR_PROXY_BODY_TOO_LARGE` (502) through the responder, the backend's body
 * destroyed, nothing of it sent. HEAD, 204, 206 and 304 answers, other types and unknown codings
 * pass untouched.
 *
 * @param options `types`: the media types; `maxBytes`: the most decoded bytes held.
 * @param fn The new body from the old one.
 * @since 0.3.0
 * @example interceptBody({ types: ['application/json'], maxBytes: 1 << 20 }, (body) => body)
 */
export function interceptBody(options: InterceptBodyOptions, fn: BodyInterceptor): ResponseStage {
  const matches = readTypes(options, 'interceptBody');
  const maxBytes = readMaxBytes(options);
  if (typeof fn !== 'function')
    throw new TypeError('interceptBody: argument `fn` must be a function');
  return async (ex, res) => {
    const codec = bodyRecoder(ex, res, matches);
    if (codec === undefined) return;
    checkDeclared(res, maxBytes);
    const body = await drain(maxBytes, res.body, codec.decode);
    const encoded = await drain(
      Infinity,
      Readable.from([toBuffer(await fn(body, ex, res))]),
      codec.encode,
    );
    res.headers.set('Content-Length', String(encoded.length));
    res.body = Readable.from([encoded], { objectMode: false });
  };
}
