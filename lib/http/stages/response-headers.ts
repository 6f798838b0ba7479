import { hopByHop } from '../../util/hop-by-hop.js';
import type { BuiltinResponseStage } from '../stage-types.js';

/**
 * Removes hop-by-hop headers from the backend's answer, and those its `Connection` names, as Go's
 * ReverseProxy does (`removeHopByHopHeaders`; docs/getting-started.md, "How paths map").
 * `Trailer` stays: it announces the trailers that are forwarded after the body.
 */
export const responseHeaders: BuiltinResponseStage = (_ex, response) => {
  const { headers } = response;
  const te = headers.get('transfer-encoding');
  for (const name of hopByHop(headers.get('connection'))) {
    if (name !== 'trailer') headers.delete(name);
  }
  // Node removed the chunked framing but not other codings (`gzip, chunked`): the body still
  // carries them, and the client must be told; Node re-chunks it.
  if (te !== undefined && !/^\s*chunked\s*$/i.test(te.join(',')))
    headers.set('transfer-encoding', [te.join(', ')]);
  return response;
};
