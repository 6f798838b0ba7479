import type { IncomingMessage, ServerResponse } from 'node:http';
import { createExchange } from './http/exchange.js';
import { isUpgradeRequest } from './util/hop-by-hop.js';
import { MountPaths, learnMountsFromFramework } from './upgrade/mount.js';
import { resolveOptions } from './options.js';
import { proxyRequest } from './http/pipeline.js';
import { createTransport } from './transport/transport.js';
import type { UpgradeAwareMiddleware, UpgradeAwareOptions } from './types.js';
import { upgradeListener } from './upgrade/listener.js';
import { UpgradeRegistry } from './upgrade/registry.js';

/**
 * Creates the proxy: one function that is Connect/Express middleware and a plain
 * `http.createServer` handler, carrying `.upgrade` for the server's `'upgrade'` event. Options are
 * validated and resolved once, and the backend clients made once (`transport/transport.ts`); both
 * halves share them.
 *
 * @param options - see docs/options.md; `location` is required.
 * @example
 * const proxy = upgradeAware({ location: 'http://127.0.0.1:8080/', useRequestLocation: true });
 * app.use('/proxy', proxy);
 * server.on('upgrade', proxy.upgrade);
 */
export function upgradeAware(options: UpgradeAwareOptions): UpgradeAwareMiddleware {
  const resolved = resolveOptions(options);
  const transport = createTransport(resolved);
  const { roundTrip } = transport;
  const upgrades = new UpgradeRegistry(resolved, transport.agentFor);
  const mounts = new MountPaths();

  function upgradeAwareProxy(req: IncomingMessage, res: ServerResponse): void {
    // Upgrades run before everything else, whichever entry point they use (docs/upgrades.md,
    // "Upgrades that arrive as plain requests").
    if (isUpgradeRequest(req.headers.connection)) upgrades.fromRequest(req, res);
    else void proxyRequest(createExchange(req, res, resolved), roundTrip);
  }

  const middleware = Object.assign(upgradeAwareProxy, {
    upgrade: upgradeListener(mounts, upgrades),
    async close(): Promise<void> {
      upgrades.closeAll();
      await transport.close();
    },
  });
  learnMountsFromFramework(middleware, mounts);
  Object.defineProperty(middleware, 'tunnels', { get: () => upgrades.size, enumerable: true });
  return middleware as unknown as UpgradeAwareMiddleware;
}
