import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createExchange } from './exchange.js';
import { isUpgradeRequest } from './hop-by-hop.js';
import { MountPaths } from './mount.js';
import { resolveOptions } from './options.js';
import { proxyRequest } from './pipeline.js';
import type { UpgradeAwareMiddleware, UpgradeAwareOptions } from './types.js';
import { registerListener, unclaimed } from './upgrade/listener.js';
import { claimedUpgrades, pendingUpgrades } from './upgrade/route-upgrades.js';
import { Upgrades } from './upgrade/upgrades.js';

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
    // Upgrades run before everything else (spec section 2), whichever entry point they use.
    if (isUpgradeRequest(req.headers.connection)) upgrades.fromRequest(req, res);
    else void proxyRequest(createExchange(req, res, resolved));
  }

  function upgrade(this: unknown, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (claimedUpgrades.has(req) || pendingUpgrades.has(req)) return; // another proxy, or routeUpgrades, has it
    const url = mounts.match(req.url ?? '');
    if (url) upgrades.fromUpgradeEvent(req, socket, head, url);
    else unclaimed(upgrade, (this as Server | undefined) ?? (req.socket as { server?: Server }).server, req, socket);
  }
  registerListener(upgrade, mounts);

  const middleware = Object.assign(upgradeAwareProxy, {
    upgrade,
    async close(): Promise<void> {
      upgrades.closeAll();
      if (resolved.ownsTransport) resolved.transport.destroy();
    },
    // Express and Connect tell a mounted sub-application where it is mounted (`mountpath`,
    // the 'mount' event, `route`); these members let them tell the proxy, so that its upgrade
    // listener strips the same mount as the plain requests get, from the very first request.
    handle: upgradeAwareProxy,
    set(): void {},
    emit(): boolean {
      return false;
    },
  });
  for (const name of ['mountpath', 'route']) {
    Object.defineProperty(middleware, name, { get: () => undefined, set: (path: unknown) => mounts.record(path) });
  }
  Object.defineProperty(middleware, 'parent', { get: () => undefined, set: (app: unknown) => mounts.recordParent(app) });
  Object.defineProperty(middleware, 'tunnels', { get: () => upgrades.size, enumerable: true });
  return middleware as unknown as UpgradeAwareMiddleware;
}
