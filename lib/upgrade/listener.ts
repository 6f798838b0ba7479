import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MountPaths } from './mount.js';
import { claimedUpgrades, pendingUpgrades } from './route-upgrades.js';
import type { UpgradeRegistry } from './registry.js';
import { socketResponse } from './socket-response.js';

export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Every proxy's `upgrade` listener, with the mounts it covers. */
const proxies = new WeakMap<UpgradeListener, MountPaths>();

/**
 * A proxy's `'upgrade'` listener: it takes the upgrades under the proxy's mounts (all of them when
 * unmounted), with the path relative to the mount, and only those no other listener has taken.
 */
export function upgradeListener(mounts: MountPaths, upgrades: UpgradeRegistry): UpgradeListener {
  function upgrade(this: unknown, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (claimedUpgrades.has(req) || pendingUpgrades.has(req)) return; // another proxy, or routeUpgrades, has it
    const url = mounts.match(req.url ?? '');
    if (url) upgrades.fromUpgradeEvent(req, socket, head, url);
    else
      unclaimed(
        upgrade,
        (this as Server | undefined) ?? (req.socket as { server?: Server }).server,
        req,
        socket,
      );
  }
  proxies.set(upgrade, mounts);
  return upgrade;
}

/**
 * An upgrade outside this proxy's mounts is left to the server's other `'upgrade'` listeners.
 * When there are none but proxies and no proxy covers the path, nobody would ever answer it:
 * the last proxy listener answers 404 and closes the connection instead of leaving it hanging.
 */
function unclaimed(
  self: UpgradeListener,
  server: Server | undefined,
  req: IncomingMessage,
  socket: Duplex,
): void {
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
