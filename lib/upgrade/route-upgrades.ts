import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { debug } from '../debug.js';
import { socketResponse } from './socket-response.js';

/** An upgrade on its way through an application: its raw socket and early bytes. */
export interface PendingUpgrade {
  socket: Duplex;
  head: Buffer;
}

/** Upgrades dispatched by {@link routeUpgrades}, until a proxy takes them. */
export const pendingUpgrades = new WeakMap<IncomingMessage, PendingUpgrade>();

/** A Connect/Express application, or any `(req, res, next)` handler. */
export type Application = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * An `'upgrade'` listener that routes every upgrade through `app`, as if it were a plain request:
 * the middleware in front of the proxy (authentication, routing, several proxies on one server)
 * applies to upgrades too, and the framework strips the mount. Whatever the application answers
 * is written on the upgrade's socket, which is then closed; an upgrade no route takes gets 404.
 *
 * @example
 * server.on('upgrade', routeUpgrades(app));
 */
export function routeUpgrades(app: Application): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  if (typeof app !== 'function') throw new TypeError('routeUpgrades(app): app must be a function');
  return function routeUpgrade(req, socket, head) {
    socket.on('error', () => socket.destroy());
    const res = socketResponse(req, socket);
    pendingUpgrades.set(req, { socket, head });
    const fallThrough = (err?: unknown): void => {
      if (!pendingUpgrades.delete(req) || res.headersSent) return;
      debug('upgrade %s %s not taken by the application: %s', req.method, req.url, err ?? 'no route');
      res.statusCode = err === undefined ? 404 : 500;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(err === undefined ? 'Not Found\n' : 'Internal Server Error\n');
    };
    try {
      app(req, res, fallThrough);
    } catch (err) {
      fallThrough(err);
    }
  };
}
