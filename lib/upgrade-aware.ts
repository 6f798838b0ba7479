import type { IncomingMessage, ServerResponse } from 'node:http';
import { createExchange } from './http/exchange.js';
import { isUpgradeRequest } from './util/hop-by-hop.js';
import { MountPaths, hearMounts } from './upgrade/mount.js';
import { resolveOptions } from './options.js';
import { proxyRequest } from './http/pipeline.js';
import type { UpgradeAwareMiddleware, UpgradeAwareOptions } from './types.js';
import { upgradeListener } from './upgrade/listener.js';
import { Upgrades } from './upgrade/registry.js';

/**
 * Creates the proxy: one function that is Connect/Express middleware and a plain
 * `http.createServer` handler, carrying `.upgrade` for the server's `'upgrade'` event. Options are
 * validated and resolved once; both halves share them and one backend transport.
 *
 * @param options - see docs/options.md; `location` is required.
 * @example
 * const proxy = upgradeAware({ location: 'http://127.0.0.1:8080/', useRequestLocation: true });
 * app.use('/proxy', proxy);
 * server.on('upgrade', proxy.upgrade);
 */
export function upgradeAware(options: UpgradeAwareOptions): UpgradeAwareMiddleware {
  const resolved = resolveOptions(options);
  const upgrades = new Upgrades(resolved);
  const mounts = new MountPaths();

  function upgradeAwareProxy(req: IncomingMessage, res: ServerResponse): void {
    // Upgrades run before everything else, whichever entry point they use (docs/upgrades.md,
    // "Upgrades that arrive as plain requests").
    if (isUpgradeRequest(req.headers.connection)) upgrades.fromRequest(req, res);
    else void proxyRequest(createExchange(req, res, resolved));
  }

  const middleware = Object.assign(upgradeAwareProxy, {
    upgrade: upgradeListener(mounts, upgrades),
    async close(): Promise<void> {
      upgrades.closeAll();
      await Promise.all(resolved.owned.map((client) => client.destroy()));
    },
  });
  hearMounts(middleware, mounts);
  Object.defineProperty(middleware, 'tunnels', { get: () => upgrades.size, enumerable: true });
  return middleware as unknown as UpgradeAwareMiddleware;
}
