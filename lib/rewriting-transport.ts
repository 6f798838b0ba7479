import type { BackendResponse } from './backend-response.js';
import { ProxyError } from './errors.js';
import type { Exchange } from './exchange.js';
import { roundTrip } from './transport.js';

/**
 * Kubernetes' rewriting transport, used with `wrapTransport` or when no `transport` is given.
 * It is derived per request from the configured transport (spec P1): nothing is kept on the
 * middleware. A failed round trip becomes Kubernetes' 503 `error trying to reach service`
 * (a timeout keeps its 504).
 */
export async function rewritingRoundTrip(ex: Exchange): Promise<BackendResponse> {
  try {
    return await roundTrip(ex);
  } catch (err) {
    if (!(err instanceof ProxyError) || err.code === 'ERR_PROXY_BODY_CONSUMED') throw err;
    const status = err.code === 'ERR_PROXY_BACKEND_TIMEOUT' ? 504 : 503;
    throw new ProxyError(err.code, `error trying to reach service: ${err.message}`, { status, cause: err.cause ?? err });
  }
}
