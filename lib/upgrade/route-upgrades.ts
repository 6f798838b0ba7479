import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { debug } from '../util/debug.js';
import { socketResponse } from './socket-response.js';

/** An upgrade on its way through an application: its raw socket and early bytes. */
export interface PendingUpgrade {
  socket: Duplex;
  head: Buffer;
}

/** Upgrades dispatched through an application, until a proxy takes them. */
export const pendingUpgrades = new WeakMap<IncomingMessage, PendingUpgrade>();

/** Upgrades a proxy has taken: no other listener or proxy may take them again. */
export const claimedUpgrades = new WeakSet<IncomingMessage>();

/** A Connect/Express application, or any `(req, res, next)` handler. */
export type Application = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * An `'upgrade'` listener that routes every upgrade through `app`, as if it were a plain request:
 * the middleware in front of the proxy (authentication, routing, several proxies on one server)
 * applies to upgrades too, and the framework strips the mount. Whatever the application answers
 * is written on the upgrade's socket, which is then closed; an upgrade no route takes gets 404.
 *
 * @example
 * server.on('upgrade', routeUpgrades(app));
 */
export function routeUpgrades(
  app: Application,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  if (typeof app !== 'function') throw new TypeError('routeUpgrades(app): app must be a function');
  return function routeUpgrade(req, socket, head) {
    if (claimedUpgrades.has(req) || pendingUpgrades.has(req)) return; // a proxy's own listener took it
    dispatch(app, req, socket, head, (res, err) => {
      debug(
        'upgrade %s %s not taken by the application: %s',
        req.method,
        req.url,
        err ?? 'no route',
      );
      res.statusCode = err === undefined ? 404 : 500;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(err === undefined ? 'Not Found\n' : 'Internal Server Error\n');
    });
  };
}

/**
 * Sends an upgrade through `app` with a response bound to its socket; a proxy on the way takes
 * it (see `UpgradeRegistry.fromRequest`). `notTaken` runs when the application passes it on unanswered.
 */
export function dispatch(
  app: Application,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  notTaken: (res: ServerResponse, err?: unknown) => void,
): void {
  socket.on('error', () => socket.destroy());
  const res = socketResponse(req, socket);
  pendingUpgrades.set(req, { socket, head });
  const fallThrough = (err?: unknown): void => {
    if (pendingUpgrades.delete(req) && !res.headersSent) notTaken(res, err);
  };
  try {
    app(req, res, fallThrough);
  } catch (err) {
    fallThrough(err);
  }
}
