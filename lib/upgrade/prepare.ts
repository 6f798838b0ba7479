import { ProxyError, messageOf } from '../errors/proxy-error.js';
import { ExchangeView } from '../hooks/exchange-view.js';
import { resolveLocation } from '../hooks/location.js';
import { runRequestStages } from '../hooks/run-stages.js';
import type { ResolvedOptions } from '../options.js';
import type { UpgradeRequestInit } from '../types/clients.js';
import type { Location } from '../util/location.js';
import { upgradeRequest, upgradeRequestInit } from './backend-request.js';
import type { UpgradeSource } from './proxy-upgrade.js';

/** What an upgrade writes, and where. */
export interface PreparedUpgrade {
  readonly location: Location;
  readonly init: UpgradeRequestInit;
}

async function wrap(
  options: ResolvedOptions,
  init: UpgradeRequestInit,
): Promise<UpgradeRequestInit> {
  const copy = { ...init, headers: { ...init.headers } };
  try {
    return await options.wrapRequest!(copy);
  } catch (err) {
    throw err instanceof ProxyError
      ? err
      : new ProxyError('ERR_PROXY_WRAP_REQUEST', messageOf(err), { cause: err });
  }
}

/** The user's stages, then `wrapRequest`: each may be asynchronous. */
async function prepareAsync(
  options: ResolvedOptions,
  src: UpgradeSource,
): Promise<PreparedUpgrade | null> {
  const location = await resolveLocation(options, src.req);
  const out = upgradeRequest(options, src, location);
  if (options.requestStages.length > 0) {
    const view = new ExchangeView(src.req, () => src.response(), true, out);
    if (await runRequestStages(options.requestStages, view)) return null;
  }
  const init = upgradeRequestInit(options, src, out);
  return { location, init: options.wrapRequest ? await wrap(options, init) : init };
}

/**
 * The upgrade request before anything is dialled (docs/upgrades.md, "Headers"): the backend for
 * this request (the `location` function's, if any), the user's request stages with
 * `ex.isUpgrade` true, the proxy's own headers, then `upgradeTransport.wrapRequest`. Null when a
 * stage answered the client itself: nothing then reaches a backend. With a fixed location and
 * neither stages nor `wrapRequest`, nothing can wait: the request is made at once, without a
 * promise (a throw is then the caller's to catch).
 */
export function prepareUpgrade(
  options: ResolvedOptions,
  src: UpgradeSource,
): PreparedUpgrade | null | Promise<PreparedUpgrade | null> {
  const { location } = options;
  if (location === undefined || options.requestStages.length > 0 || options.wrapRequest)
    return prepareAsync(options, src);
  return {
    location,
    init: upgradeRequestInit(options, src, upgradeRequest(options, src, location)),
  };
}
