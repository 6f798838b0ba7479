import { Readable } from 'node:stream';
import type { BuiltinResponseStage } from '../stage-types.js';

const MESSAGE = Buffer.from(
  'the backend attempted to redirect this request, which is not permitted',
);

/**
 * `rejectForwardingRedirects` (CVE-2022-3172): a 3xx that carries a Location becomes a 502 with
 * Kubernetes' exact body and none of the backend's headers; a 3xx without Location (a 304)
 * passes. The backend's body is discarded.
 */
export const rejectRedirects: BuiltinResponseStage = (ex, response) => {
  const { status, headers } = response;
  if (
    !ex.options.rejectForwardingRedirects ||
    status < 300 ||
    status > 399 ||
    !headers.get('location')?.[0]
  )
    return response;
  response.body.resume();
  return {
    status: 502,
    statusMessage: 'Bad Gateway',
    headers: new Map([
      ['content-type', ['text/plain; charset=utf-8']],
      ['content-length', [String(MESSAGE.length)]],
    ]),
    body: Readable.from([MESSAGE]),
    trailers: () => [],
  };
};
