import { assertOneHost } from '../../util/raw-request-headers.js';
import type { BuiltinRequestStage } from '../stage-types.js';

/**
 * The outgoing Host: the client's (a reverse proxy does not change it), or the location's with
 * `useLocationHost`. A request without Host (HTTP/1.0) gets the location's. A request with two
 * Host lines gets 400 (`ERR_PROXY_BAD_REQUEST`): Node keeps the first, Go refuses it.
 */
export const host: BuiltinRequestStage = (ex) => {
  assertOneHost(ex.req);
  const client = ex.req.headers.host;
  ex.host =
    ex.options.useLocationHost || client === undefined || client === '' ? ex.location.host : client;
  return false;
};
