/* Recipe: a Next.js pages-router API route that proxies /api/proxy/* (docs/recipes.md, "Next.js").
 * Next hands an API route Node's own request and response, so the proxy streams the body itself;
 * upgrades never reach a route: the custom server (server.ts of this recipe) takes them. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { upgradeAware } from 'upgrade-aware-proxy';

/**
 * Next's route options: no body parsing (the proxy forwards the body as it streams in), and the
 * response is ended by someone else (Next would otherwise warn "API resolved without sending a
 * response").
 */
export const config = { api: { bodyParser: false, externalResolver: true } };

/** One proxy for the route module (the backend from BACKEND_URL). */
export const proxy = upgradeAware({
  location: process.env.BACKEND_URL ?? 'http://127.0.0.1:8080/',
  useRequestLocation: true,
});

/** Where Next serves this file; the backend gets the paths under it. */
const PREFIX = '/api/proxy';

/**
 * The route handler. `req.url` is the whole path here (`/api/proxy/a?b`): the prefix is removed,
 * and the whole URL kept in `req.originalUrl` as Connect keeps a mount's, so that the rewriting
 * transport writes links and redirects under the prefix.
 */
export default function handler(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? PREFIX;
  const rest = url.slice(PREFIX.length);
  (req as { originalUrl?: string }).originalUrl = url;
  req.url = rest.startsWith('/') ? rest : '/' + rest;
  proxy(req, res);
}
