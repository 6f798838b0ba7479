import { pipeline, type Duplex } from 'node:stream';
import type { ProxyExchange, ProxyResponse, ResponseStage } from '../types/stages.js';
import { bodyRecoder, readTypes, type BodyStageOptions } from './body-target.js';

/**
 * Makes the stream one response's decoded body goes through: plain bytes in, plain bytes out.
 * Called once per matching response, it must return a new stream each time.
 * @since 0.3.0
 */
export type BodyTransformFactory = (ex: ProxyExchange, res: ProxyResponse) => Duplex;

function isDuplex(value: unknown): value is Duplex {
  const stream = value as Partial<Duplex> | null;
  return (
    typeof stream === 'object' &&
    stream !== null &&
    typeof stream.pipe === 'function' &&
    typeof stream.write === 'function' &&
    typeof stream.end === 'function'
  );
}

/**
 * A response stage that streams each matching body through the user's Transform, in the body's
 * own content coding: decoded, transformed, encoded again (gzip, deflate, br), with backpressure
 * throughout and no more held than the streams' buffers (docs/stages.md, "transformBody").
 * Content-Length, ETag, Content-MD5 and Accept-Ranges go; HEAD, 204, 206 and 304 answers, other
 * types and unknown codings pass untouched. A stream error once the head is out ends the
 * client's connection, as a backend failing midway does.
 *
 * @param options `types`: the media types to transform (`text/html`, `text/*`).
 * @param factory A new Transform for each response.
 * @since 0.3.0
 * @example transformBody({ types: ['text/html'] }, () => new Upcase())
 */
export function transformBody(
  options: BodyStageOptions,
  factory: BodyTransformFactory,
): ResponseStage {
  const matches = readTypes(options, 'transformBody');
  if (typeof factory !== 'function')
    throw new TypeError('transformBody: argument `factory` must be a function');
  return (ex, res) => {
    const codec = bodyRecoder(ex, res, matches);
    if (codec === undefined) return;
    const transform = factory(ex, res);
    if (!isDuplex(transform))
      throw new TypeError('transformBody: the factory must return a Transform stream');
    res.headers.delete('content-length');
    // The callback only swallows the error: pipeline has destroyed every stream with it, so the
    // relay sees the last one fail.
    res.body = pipeline(res.body, codec.decode, transform, codec.encode, () => {});
  };
}
