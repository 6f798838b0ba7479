import { ProxyError, messageOf } from '../errors/proxy-error.js';
import { headersTooLarge, unexpectedUpgrade } from './bad-response.js';

/** Codes of a backend that took too long: a 504. undici's head timeout never fires (ours runs instead), but is mapped all the same. */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
/** A response head over the client's limit: Node's parser and undici's. */
const OVERFLOW_CODES = new Set(['HPE_HEADER_OVERFLOW', 'UND_ERR_HEADERS_OVERFLOW']);

/**
 * The error a backend request is aborted with when its client has gone before the response was
 * fully written: the same code and text as on the upgrade path (docs/errors.md,
 * `ERR_PROXY_BACKEND_ABORTED`). Nobody is left to answer, so it only reaches the debug log.
 */
export function clientLeft(): ProxyError {
  return new ProxyError('ERR_PROXY_BACKEND_ABORTED', 'the client closed the connection');
}

/** The text of a client error: undici wraps the socket's error, whose own message is Node's (`connect ECONNREFUSED ...`). */
function messageFor(err: unknown, code: string): string {
  if (!code.startsWith('UND_ERR_')) return messageOf(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : messageOf(err);
}

/**
 * What either transport's client failed with, as the error the responder gets (docs/errors.md,
 * "Backend errors on the HTTP path"): a timeout is `ERR_PROXY_BACKEND_TIMEOUT`, a head too large
 * or a 101 to a plain request `ERR_PROXY_BAD_RESPONSE`, anything else
 * `ERR_PROXY_BACKEND_UNREACHABLE`; a ProxyError (the head timer's, the 1xx limit's, the client
 * leaving) stays as it is.
 */
export function backendError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  const code = String((err as { code?: unknown } | null)?.code);
  if (OVERFLOW_CODES.has(code)) return headersTooLarge(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT')
    return new ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'timeout awaiting response headers', {
      cause: err,
    });
  // undici's answer to a 101 for a request that asked for no upgrade (dispatcher/client-h1.js).
  if (code === 'UND_ERR_SOCKET' && messageOf(err) === 'bad upgrade') return unexpectedUpgrade();
  const proxyCode = TIMEOUT_CODES.has(code)
    ? 'ERR_PROXY_BACKEND_TIMEOUT'
    : 'ERR_PROXY_BACKEND_UNREACHABLE';
  return new ProxyError(proxyCode, messageFor(err, code), { cause: err });
}
