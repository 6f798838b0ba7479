import type { Readable } from 'node:stream';
import { hookError } from '../hooks/run-stages.js';
import type { ExchangeView } from '../hooks/exchange-view.js';
import type { BackendBody, BackendResponse } from '../transport/backend-response.js';
import type { ProxyHeaders, ProxyResponse } from '../types/stages.js';
import { HeaderList } from '../util/header-list.js';
import type { Exchange } from './exchange.js';

function toList(headers: Map<string, string[]>): HeaderList {
  const raw: string[] = [];
  for (const [name, values] of headers) for (const value of values) raw.push(name, value);
  return new HeaderList(raw);
}

/** Any {@link ProxyHeaders} as the map the relay writes, by lower-case name. */
function toMap(headers: ProxyHeaders): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    const values = map.get(lower);
    if (values) values.push(value);
    else map.set(lower, [value]);
  }
  return map;
}

function isReadable(body: unknown): body is Readable {
  const stream = body as Partial<Readable> | null;
  return typeof stream?.on === 'function' && typeof stream.read === 'function';
}

/** What a stage returned or left, checked before anything reaches the client. */
function checked(response: ProxyResponse): ProxyResponse {
  const { status, headers, body } = response;
  if (!Number.isInteger(status) || status < 200 || status > 999)
    throw new TypeError(`invalid response status ${String(status)}`);
  if (typeof headers?.[Symbol.iterator] !== 'function')
    throw new TypeError('response headers must be ProxyHeaders');
  if (!isReadable(body)) throw new TypeError('response body must be a Readable stream');
  return response;
}

/**
 * Runs the user's response stages in order on the backend's answer (docs/stages.md, "Order"),
 * each awaited, and gives the answer back as the relay takes it. A body a stage replaced is
 * framed by Node, its Content-Length held to the truth (`strictContentLength`: a wrong one fails
 * the response instead of desynchronising the connection), without the backend's trailers; the
 * backend's body is released when the response closes. A stage that throws gets the backend's
 * body destroyed and its error to the responder.
 */
export async function runResponseStages(
  ex: Exchange,
  view: ExchangeView,
  response: BackendResponse,
): Promise<BackendResponse> {
  const original = response.body;
  let current: ProxyResponse = {
    status: response.status,
    statusMessage: response.statusMessage,
    headers: toList(response.headers),
    body: original,
  };
  try {
    for (const stage of ex.options.responseStages)
      current = (await stage(view, current)) ?? current;
    checked(current);
  } catch (err) {
    original.destroy();
    const made = (current as Partial<ProxyResponse> | null)?.body;
    if (made !== original && typeof made?.destroy === 'function') made.destroy();
    throw hookError('stage', err);
  }
  const body = current.body as BackendBody;
  if (body !== original) {
    ex.res.strictContentLength = true;
    ex.res.once('close', () => original.destroy());
  }
  return {
    status: current.status,
    statusMessage: typeof current.statusMessage === 'string' ? current.statusMessage : '',
    headers: toMap(current.headers),
    body,
    trailers: body === original ? response.trailers : () => [],
  };
}
