import { hopByHop } from '../hop-by-hop.js';
import type { ResponseStage } from '../stage-types.js';

/**
 * Removes hop-by-hop headers from the backend's answer (spec 3.4), and those its `Connection`
 * names. `Trailer` stays: it announces the trailers that are forwarded after the body.
 */
export const responseHeaders: ResponseStage = (_ex, response) => {
  const { headers } = response;
  for (const name of hopByHop(headers.connection)) {
    if (name !== 'trailer') delete headers[name];
  }
  return response;
};
