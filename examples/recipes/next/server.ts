/* Recipe: a Next.js custom server whose upgrades under /api/proxy go to the proxy and the rest to
 * Next (docs/recipes.md, "Next.js"). Plain requests all go to Next, which runs the API route. */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { UpgradeAwareMiddleware } from 'upgrade-aware-proxy';
import { stripPrefix } from './prefix.js';

/** What this recipe uses of the app `next({ dev })` returns. */
export interface NextApp {
  prepare(): Promise<void>;
  getRequestHandler(): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
  getUpgradeHandler(): (req: http.IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>;
}

/**
 * The custom server: one `'upgrade'` listener that gives the proxy its prefix and Next (its HMR
 * socket in development) everything else: one listener, so that each upgrade has exactly one
 * owner (Next's handler knows nothing of the proxy's paths).
 *
 * @example const server = await createNextServer(next({ dev }), proxy); server.listen(3000);
 */
export async function createNextServer(
  app: NextApp,
  proxy: UpgradeAwareMiddleware,
): Promise<http.Server> {
  await app.prepare();
  const handle = app.getRequestHandler();
  const upgrade = app.getUpgradeHandler();
  // Next answers its own errors; a rejection left over must not become an unhandled one.
  const server = http.createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (stripPrefix(req)) proxy.upgrade(req, socket, head);
    else void upgrade(req, socket, head);
  });
  return server;
}
