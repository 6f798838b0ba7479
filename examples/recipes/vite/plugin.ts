/* Recipe: the proxy as a Vite plugin (docs/recipes.md, "Vite"). `configureServer` runs before Vite
 * adds its own middleware, so the proxy sees its paths first; the dev server's HTTP server gets the
 * upgrade listener, beside Vite's HMR socket, which takes only its own upgrades. */
import type { Plugin } from 'vite';
import { upgradeAware } from 'upgrade-aware-proxy';
import type { UpgradeAwareOptions } from 'upgrade-aware-proxy';

/**
 * A Vite plugin that proxies `path` and everything under it, upgrades included. In middleware
 * mode Vite has no HTTP server of its own: wire `proxy.upgrade` on yours.
 *
 * @example export default defineConfig({ plugins: [upgradeAwarePlugin('/api', { location: 'http://127.0.0.1:8080/', useRequestLocation: true })] });
 */
export function upgradeAwarePlugin(path: string, options: UpgradeAwareOptions): Plugin {
  const proxy = upgradeAware(options);
  return {
    name: 'upgrade-aware-proxy',
    configureServer(server) {
      // Connect's `use(path, app)` tells the proxy its mount, for both kinds of request.
      server.middlewares.use(path, proxy);
      server.httpServer?.on('upgrade', proxy.upgrade);
      server.httpServer?.on('close', () => void proxy.close());
    },
  };
}
