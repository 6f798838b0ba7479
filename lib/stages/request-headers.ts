import type { ProxyExchange, RequestStage } from '../types/stages.js';
import {
  applyEdits,
  readHeaderNames,
  readHeaderValues,
  type HeaderEdit,
  type HeaderValues,
} from './header-edits.js';

/**
 * The request must carry exactly one Host (RFC 9112 section 3.2): a backend that sees none or
 * two may pick another virtual host than the proxy meant.
 */
function checkHost(edits: readonly HeaderEdit[], fn: string): readonly HeaderEdit[] {
  for (const [name, value] of edits) {
    if (name.toLowerCase() === 'host' && (value === null || value.length !== 1))
      throw new RangeError(`${fn}: \`host\` takes exactly one value; it cannot be removed`);
  }
  return edits;
}

function requestStage(edits: readonly HeaderEdit[]): RequestStage {
  return (ex: ProxyExchange) => applyEdits(ex.headers, edits);
}

/**
 * A request stage that sets (a string, or a list for one line each) or removes (`null`) headers
 * of the outgoing request, on plain requests and upgrades alike (docs/stages.md,
 * "setRequestHeaders"). Content-Length and Transfer-Encoding are refused: they frame the body.
 *
 * @param headers Values by name, case-insensitive; checked now (TypeError, RangeError).
 * @since 0.3.0
 * @example stages: { request: [setRequestHeaders({ 'x-tenant': 'a', cookie: null })] }
 */
export function setRequestHeaders(headers: HeaderValues): RequestStage {
  return requestStage(
    checkHost(readHeaderValues(headers, 'setRequestHeaders'), 'setRequestHeaders'),
  );
}

/**
 * A request stage that removes every line of each name from the outgoing request.
 *
 * @param names Header names, case-insensitive; not Host, Content-Length or Transfer-Encoding.
 * @since 0.3.0
 * @example stages: { request: [removeRequestHeaders(['cookie', 'authorization'])] }
 */
export function removeRequestHeaders(names: readonly string[]): RequestStage {
  return requestStage(
    checkHost(readHeaderNames(names, 'removeRequestHeaders'), 'removeRequestHeaders'),
  );
}
