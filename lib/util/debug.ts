import { debuglog } from 'node:util';

/** Silent unless `NODE_DEBUG=upgrade-aware-proxy` is set. */
export const debug = debuglog('upgrade-aware-proxy');
