import { ProxyError } from '../errors/proxy-error.js';

/**
 * A `101 Switching Protocols` to a plain request: nothing asked for a switch, so nothing can be
 * relayed (Go's ReverseProxy refuses it as `backend tried to switch protocol`). Both transports
 * answer with this error and close the backend connection.
 */
export function unexpectedUpgrade(): ProxyError {
  return new ProxyError(
    'ERR_PROXY_BAD_RESPONSE',
    'backend tried to switch protocols on a request that asked for no upgrade',
  );
}

/** A response head larger than the backend client accepts (`maxResponseHeaderSize`, or a given dispatcher's own limit). */
export function headersTooLarge(cause: unknown): ProxyError {
  return new ProxyError(
    'ERR_PROXY_BAD_RESPONSE',
    'backend response headers exceeded the size limit',
    { cause },
  );
}
