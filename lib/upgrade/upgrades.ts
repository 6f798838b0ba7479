import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { requestUrl } from '../exchange.js';
import type { ResolvedOptions } from '../options.js';
import { proxyUpgrade, type UpgradeSource } from './proxy-upgrade.js';
import { socketResponse } from './socket-response.js';

const EMPTY = Buffer.alloc(0);

/**
 * The upgrade half of one middleware: both entry points, and the live tunnels so that they can
 * be counted and closed (Node's `server.closeAllConnections()` skips upgraded sockets).
 */
export class Upgrades {
  private readonly live = new Set<() => void>();

  constructor(private readonly options: ResolvedOptions) {}

  /** How many tunnels are open. */
  get size(): number {
    return this.live.size;
  }

  /** The server's `'upgrade'` event: the raw socket is ours from here on. */
  fromUpgradeEvent(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node removes its own error listener before emitting 'upgrade' (http-proxy PR #495): add ours first.
    socket.on('error', () => socket.destroy());
    const { path, query } = requestUrl(req);
    this.start({ req, socket, head, res: socketResponse(req, socket), raw: true, path, query });
  }

  /** An upgrade that reached the request handler: Node's parser still owns the socket. */
  fromRequest(req: IncomingMessage, res: ServerResponse): void {
    const { path, query } = requestUrl(req);
    this.start({ req, socket: req.socket, head: EMPTY, res, raw: false, path, query });
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
