/* Recipe: the proxy in webpack-dev-server 5 through its `setupMiddlewares(middlewares, devServer)`
 * option (docs/recipes.md, "webpack-dev-server"). */
import { upgradeAware } from 'upgrade-aware-proxy';
import type { UpgradeAwareOptions } from 'upgrade-aware-proxy';

/** The one field of the `devServer` argument this recipe uses: the HTTP server it listens with. */
export interface DevServerLike {
  server?: { on(event: string, listener: (...args: never[]) => void): unknown } | null;
}

/**
 * A `setupMiddlewares` function that mounts the proxy at `path`, in front of the dev server's own
 * middleware, and gives it the server's upgrades under `path`. webpack-dev-server 5 creates
 * `devServer.server` before it calls `setupMiddlewares`; 4.x creates it after, hence the check.
 *
 * @example devServer: { setupMiddlewares: proxyMiddlewares('/api', { location: 'http://127.0.0.1:8080/', useRequestLocation: true }) }
 */
export function proxyMiddlewares(path: string, options: UpgradeAwareOptions) {
  const proxy = upgradeAware(options);
  // Generic in the entry type, so that it fits webpack-dev-server's own `Middleware` type.
  return <M>(middlewares: M[], devServer: DevServerLike): M[] => {
    if (!devServer.server)
      throw new Error('upgrade-aware-proxy needs webpack-dev-server 5 or later');
    devServer.server.on('upgrade', proxy.upgrade);
    devServer.server.on('close', () => void proxy.close());
    // webpack-dev-server mounts `{ path, middleware }` with `app.use(path, middleware)`, which
    // tells the proxy its mount for both kinds of request.
    middlewares.unshift({ name: 'upgrade-aware-proxy', path, middleware: proxy } as M);
    return middlewares;
  };
}
