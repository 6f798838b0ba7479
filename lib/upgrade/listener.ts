import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MountPaths } from '../mount.js';
import { socketResponse } from './socket-response.js';

export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Every proxy's `upgrade` listener, with the mounts it covers. */
const proxies = new WeakMap<UpgradeListener, MountPaths>();

export function registerListener(listener: UpgradeListener, mounts: MountPaths): void {
  proxies.set(listener, mounts);
}

/**
 * An upgrade outside this proxy's mounts is left to the server's other `'upgrade'` listeners.
 * When there are none but proxies and no proxy covers the path, nobody would ever answer it:
 * the last proxy listener answers 404 and closes the connection instead of leaving it hanging.
 */
export function unclaimed(self: UpgradeListener, server: Server | undefined, req: IncomingMessage, socket: Duplex): void {
  if (server === undefined || typeof server.listeners !== 'function') return;
  const all = server.listeners('upgrade') as UpgradeListener[];
  const ours = all.filter((listener) => proxies.has(listener));
  if (ours.length !== all.length || ours[ours.length - 1] !== self) return;
  if (ours.some((listener) => proxies.get(listener)!.match(req.url ?? '') !== undefined)) return;
  socket.on('error', () => socket.destroy());
  const res = socketResponse(req, socket);
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end('Not Found\n');
}
