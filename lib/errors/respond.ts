import type { IncomingMessage, ServerResponse } from 'node:http';
import { debug } from '../util/debug.js';
import { ProxyError, messageOf } from './proxy-error.js';
import type { ResolvedOptions } from '../options.js';
import { defaultResponder } from './responder.js';

/**
 * Hands an error to the responder, if the response has not started; otherwise destroys the
 * connection. A responder that throws falls back to the default one: no error of the proxy, nor
 * of a user's responder, may crash the process.
 */
export function respond(
  options: ResolvedOptions,
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
): void {
  const error =
    err instanceof Error ? err : new ProxyError('ERR_PROXY_BACKEND_UNREACHABLE', messageOf(err));
  debug('%s %s: %s', req.method, req.url, error.message);
  if (res.destroyed) return; // the client has gone: nobody to answer
  if (!req.complete) req.resume(); // discard the rest of an upload we will not forward
  if (res.headersSent) {
    res.destroy();
    return;
  }
  try {
    options.responder.error(error, req, res);
  } catch (thrown) {
    debug('the responder threw: %s', messageOf(thrown));
    if (res.headersSent) res.destroy();
    else defaultResponder.error(error, req, res);
  }
}
