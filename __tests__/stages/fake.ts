// A ProxyExchange and a ProxyResponse as the core hands them to a user's stage, for unit tests of
// the ready-made stages: the request and response objects are real (from a RequestSource), the
// headers a HeaderList, the body any stream.
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { HeaderList } from '../../lib/util/header-list.js';
import type { ProxyExchange, ProxyResponse } from '../../lib/types/stages.js';
import { head, type RequestSource } from '../helpers/exchange.js';

/** An exchange for `method /path` received by `source`, with these outgoing header lines. */
export async function fakeExchange(
  source: RequestSource,
  init: { method?: string; headers?: string[] } = {},
): Promise<ProxyExchange> {
  const method = init.method ?? 'GET';
  const { req, res } = await source.send(
    head(`${method} /p HTTP/1.1`, 'Host: a', 'Connection: close'),
  );
  return {
    req,
    res,
    isUpgrade: false,
    method,
    path: '/p',
    location: new URL('http://backend.local/'),
    headers: new HeaderList(init.headers ?? ['Host', 'backend.local']),
  };
}

/** A backend's answer: 200, these header lines, this body (default: none). */
export function fakeResponse(
  init: { status?: number; headers?: string[]; body?: Buffer | string | Readable } = {},
): ProxyResponse {
  const { body = '' } = init;
  return {
    status: init.status ?? 200,
    statusMessage: '',
    headers: new HeaderList(init.headers ?? []),
    body: body instanceof Readable ? body : Readable.from([Buffer.from(body)]),
  };
}

/** The lines of `headers` as `[name, value]` pairs. */
export function lines(headers: ProxyResponse['headers']): [string, string][] {
  return [...headers];
}

/** The whole body of `res`. */
export function bodyOf(res: ProxyResponse): Promise<Buffer> {
  return buffer(res.body);
}
