import { forEachRequestHeader } from '../../util/raw-request-headers.js';
import type { BuiltinRequestStage } from '../stage-types.js';

/**
 * The outgoing headers as the user's stages see them: the host stage's Host first, then the
 * client's lines as it sent them, repeated names on separate lines, with what a middleware set,
 * changed or deleted in `req.headers` applied (see {@link forEachRequestHeader}). Hop-by-hop
 * headers are still in: the request-headers stage removes them after the user's stages, as Go's
 * ReverseProxy cleans up after its Director. Without user request stages nobody would look: the
 * request-headers stage then reads the client's lines itself, in the one pass it makes anyway.
 */
export const clientHeaders: BuiltinRequestStage = (ex) => {
  if (ex.options.requestStages.length === 0) return false;
  const out: string[] = ['Host', ex.host];
  forEachRequestHeader(ex.req, (lower, name, value) => {
    if (lower !== 'host') out.push(name, value);
  });
  ex.headers.raw = out;
  return false;
};
