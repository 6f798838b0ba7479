import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { requestUrl } from '../util/url.js';
import type { MountedUrl } from './mount.js';
import type { ResolvedOptions } from '../options.js';
import type { NodeAgent } from '../types/clients.js';
import type { Location } from '../util/location.js';
import type * as ProxyUpgrade from './proxy-upgrade.js';
import type { UpgradeHooks, UpgradeSource } from './proxy-upgrade.js';
import { claimedUpgrades, pendingUpgrades } from './route-upgrades.js';
import { socketResponse } from './socket-response.js';

const EMPTY = Buffer.alloc(0);

let upgradePath: typeof ProxyUpgrade.proxyUpgrade | undefined;

/**
 * The upgrade path (the handshake, the dial, the tunnel), loaded on the first upgrade: a proxy that
 * never takes one does not keep its modules in its heap, which is part of what sets V8 marking on
 * large bodies (docs/benchmarks.md, "Transport kinds").
 */
function loadUpgradePath(): typeof ProxyUpgrade.proxyUpgrade {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  return (upgradePath ??= (require('./proxy-upgrade.js') as typeof ProxyUpgrade).proxyUpgrade);
}

/** Shared, not a closure: a listener that lives as long as the tunnel must not keep the request alive. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/**
 * Runs `start` once `res` may write on its connection. Node runs pipelined requests' handlers at
 * once but gives the socket to one response at a time: while an earlier response is still being
 * written, `res.socket` is null. An upgrade that arrives as a plain request may write the
 * backend's error answer straight onto the socket, so it waits for its turn, as Go's server,
 * which reads the next request only once the previous response is done, makes it wait.
 */
function whenItsTurn(res: ServerResponse, start: () => void): void {
  if (res.socket) start();
  else res.once('socket', start);
}

/**
 * The upgrade half of one middleware: its entry points, and every client connection it holds
 * (being set up or tunnelling) so that they can be counted and closed. Node's
 * `server.closeAllConnections()` skips upgraded sockets, so the proxy has to do this itself.
 */
export class UpgradeRegistry {
  private readonly held = new Set<Duplex>();
  private open = 0;
  // One set of listeners for all connections, none made per connection: every idle tunnel's heap counts.
  private readonly forget: (this: Duplex) => void;
  private closing = false;
  private readonly hooks: UpgradeHooks = hooksOf(this);

  /** @param agentFor - what dials the upgrade connections to a location: the transport's. */
  constructor(
    private readonly options: ResolvedOptions,
    private readonly agentFor: (location: Location) => NodeAgent,
  ) {
    const { held } = this;
    this.forget = function (this: Duplex) {
      held.delete(this);
    };
  }

  /** How many tunnels are open. */
  get size(): number {
    return this.open;
  }

  /** @internal What {@link hooksOf} reports: a tunnel opened or closed, and whether `closeAll()` ran. */
  count(change: 1 | -1): void {
    this.open += change;
  }

  /** @internal */
  get closingAll(): boolean {
    return this.closing;
  }

  /** From the server's `'upgrade'` event: the raw socket is ours from here on. */
  fromUpgradeEvent(req: IncomingMessage, socket: Duplex, head: Buffer, url: MountedUrl): void {
    // Node removes its own error listener before emitting 'upgrade' (http-proxy PR #495): add ours first.
    socket.on('error', destroyOnError);
    this.start({
      req,
      socket,
      head,
      response: () => socketResponse(req, socket),
      raw: true,
      ...url,
    });
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
    const response = (): ServerResponse => res;
    if (routed)
      this.start({
        req,
        socket: routed.socket,
        head: routed.head,
        response,
        raw: true,
        path,
        query,
      });
    else
      whenItsTurn(res, () =>
        this.start({ req, socket: req.socket, head: EMPTY, response, raw: false, path, query }),
      );
  }

  /** Closes every connection being upgraded or tunnelling. */
  closeAll(): void {
    this.closing = true; // for good: the sockets report their close later, and the middleware is done
    for (const socket of [...this.held]) socket.destroy();
  }

  private start(src: UpgradeSource): void {
    const { socket } = src;
    claimedUpgrades.add(src.req);
    this.held.add(socket);
    socket.on('close', this.forget); // 'close' comes once: `once` would add a wrapper per connection
    void loadUpgradePath()(this.options, this.agentFor, src, this.hooks);
  }
}

/** The hooks one registry gives every upgrade: one object, no closure per connection. */
function hooksOf(registry: UpgradeRegistry): UpgradeHooks {
  return {
    opened: () => registry.count(1),
    closed: () => registry.count(-1),
    get closingAll() {
      return registry.closingAll;
    },
  };
}
