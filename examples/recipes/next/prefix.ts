/* The path prefix both halves of the Next.js recipe serve the proxy under. */
import type { IncomingMessage } from 'node:http';

/** Where the API route `pages/api/proxy/[...path].ts` lives, and so the proxy's prefix. */
export const PREFIX = '/api/proxy';

/**
 * Removes `prefix` from `req.url` when the path is under it (at a segment boundary) and keeps the
 * whole URL in `req.originalUrl`, as Connect does for a mount, so that the rewriting transport
 * writes links and redirects under the prefix. Returns false when the path is elsewhere.
 *
 * @example stripPrefix(req, '/api/proxy') // '/api/proxy/x?y' -> req.url '/x?y'
 */
export function stripPrefix(req: IncomingMessage, prefix = PREFIX): boolean {
  const url = req.url ?? '';
  const rest = url.slice(prefix.length);
  if (!url.startsWith(prefix) || !/^(?:[/?]|$)/.test(rest)) return false;
  (req as { originalUrl?: string }).originalUrl = url;
  req.url = rest.startsWith('/') ? rest : '/' + rest;
  return true;
}
