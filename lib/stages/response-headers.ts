import type { ProxyExchange, ProxyResponse, ResponseStage } from '../types/stages.js';
import {
  applyEdits,
  readHeaderNames,
  readHeaderValues,
  type HeaderEdit,
  type HeaderValues,
} from './header-edits.js';

/**
 * Removes from `ex.res` what the application set before the proxy ran (Express's X-Powered-By,
 * say), so that a removal holds whether or not those headers are in `res.headers`. A header set
 * here goes into `res.headers`, which the proxy writes over the application's.
 */
function clearApplication(ex: ProxyExchange, edits: readonly HeaderEdit[]): void {
  if (ex.res.headersSent) return;
  for (const [name, value] of edits) if (value === null) ex.res.removeHeader(name);
}

function responseStage(edits: readonly HeaderEdit[]): ResponseStage {
  return (ex: ProxyExchange, res: ProxyResponse) => {
    clearApplication(ex, edits);
    applyEdits(res.headers, edits);
  };
}

/**
 * A response stage that sets (a string, or a list for one line each) or removes (`null`)
 * headers of the answer, over both the backend's and the application's (docs/stages.md,
 * "setResponseHeaders"). Content-Length and Transfer-Encoding are refused: they frame the body.
 *
 * @param headers Values by name, case-insensitive; checked now (TypeError, RangeError).
 * @since 0.3.0
 * @example stages: { response: [setResponseHeaders({ 'x-frame-options': 'DENY' })] }
 */
export function setResponseHeaders(headers: HeaderValues): ResponseStage {
  return responseStage(readHeaderValues(headers, 'setResponseHeaders'));
}

/**
 * A response stage that removes every line of each name from the answer, whether the backend or
 * the application set it.
 *
 * @param names Header names, case-insensitive; not Content-Length or Transfer-Encoding.
 * @since 0.3.0
 * @example stages: { response: [removeResponseHeaders(['x-powered-by', 'server'])] }
 */
export function removeResponseHeaders(names: readonly string[]): ResponseStage {
  return responseStage(readHeaderNames(names, 'removeResponseHeaders'));
}
