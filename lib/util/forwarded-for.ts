import type { IncomingMessage } from 'node:http';

/**
 * The `X-Forwarded-For` value to send: earlier values joined with `, `, then the client's address
 * (docs/getting-started.md, "How paths map"). Undefined when the client has no IP address (a unix
 * socket) and sent none.
 */
export function forwardedFor(req: IncomingMessage, prior: readonly string[]): string | undefined {
  let ip = req.socket.remoteAddress;
  if (ip !== undefined && ip.startsWith('::ffff:') && ip.includes('.')) ip = ip.slice(7);
  // Joined without a new array: this runs on every request.
  const before = prior.length === 0 ? undefined : prior.join(', ');
  if (ip === undefined) return before;
  return before === undefined ? ip : `${before}, ${ip}`;
}
