import type { RequestStage } from '../stage-types.js';

/**
 * The outgoing Host: the client's (a reverse proxy does not change it), or the location's with
 * `useLocationHost`. A request without Host (HTTP/1.0) gets the location's.
 */
export const host: RequestStage = (ex) => {
  const client = ex.req.headers.host;
  ex.host = ex.options.useLocationHost || client === undefined || client === '' ? ex.options.location.host : client;
  return false;
};
