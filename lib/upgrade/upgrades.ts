import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { requestUrl } from '../exchange.js';
import type { MountedUrl } from '../mount.js';
import type { ResolvedOptions } from '../options.js';
import { proxyUpgrade, type UpgradeSource } from './proxy-upgrade.js';
import { pendingUpgrades } from './route-upgrades.js';
import { socketResponse } from './socket-response.js';

const EMPTY = Buffer.alloc(0);

/**
 * The upgrade half of one middleware: its entry points, and the live tunnels so that they can
 * be counted and closed (Node's `server.closeAllConnections()` skips upgraded sockets).
 */
export class Upgrades {
  private readonly live = new Set<() => void>();

  constructor(private readonly options: ResolvedOptions) {}

  /** How many tunnels are open. */
  get size(): number {
    return this.live.size;
  }

  /** From the server's `'upgrade'` event: the raw socket is ours from here on. */
  fromUpgradeEvent(req: IncomingMessage, socket: Duplex, head: Buffer, url: MountedUrl): void {
    // Node removes its own error listener before emitting 'upgrade' (http-proxy PR #495): add ours first.
    socket.on('error', () => socket.destroy());
    this.start({ req, socket, head, res: socketResponse(req, socket), raw: true, ...url });
  }

  /**
   * From the request handler: either an upgrade that `routeUpgrades(app)` sent through the
   * application (its raw socket is waiting), or a plain request whose Connection header asks
   * for an upgrade (Node's parser still owns that socket).
   */
  fromRequest(req: IncomingMessage, res: ServerResponse): void {
    const { path, query } = requestUrl(req);
    const routed = pendingUpgrades.get(req);
    pendingUpgrades.delete(req);
    if (routed) this.start({ req, socket: routed.socket, head: routed.head, res, raw: true, path, query });
    else this.start({ req, socket: req.socket, head: EMPTY, res, raw: false, path, query });
  }

  /** Closes every live tunnel. */
  closeAll(): void {
    for (const close of [...this.live]) close();
  }

  private start(src: UpgradeSource): void {
    let close: (() => void) | undefined;
    void proxyUpgrade(this.options, src, {
      opened: (closeTunnel) => {
        close = closeTunnel;
        this.live.add(closeTunnel);
      },
      closed: () => {
        if (close) this.live.delete(close);
      },
    });
  }
}
