import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { debug } from '../util/debug.js';
import { ProxyError, messageOf } from '../errors/proxy-error.js';
import type { ResolvedOptions } from '../options.js';
import type { NodeAgent } from '../types/clients.js';
import { respond } from '../errors/respond.js';
import type { Location } from '../util/location.js';
import { ClientWatch } from './client-watch.js';
import { actOnStatus, endOnSocketClose } from './act-on-status.js';
import { handshake, type Answered } from './handshake.js';
import { observe, type Observation } from '../hooks/channels.js';

/** One upgrade request, from either entry point. */
export interface UpgradeSource {
  readonly req: IncomingMessage;
  /** The client's connection. */
  readonly socket: Duplex;
  /** Bytes the client sent after the request head (the `'upgrade'` event's `head`): held until a 101. */
  readonly head: Buffer;
  /** Where the responder answers: the request's own response, or one made on the raw socket when needed. */
  response(): ServerResponse;
  /** True when the socket is ours (the `'upgrade'` event); false when Node's HTTP parser still reads it. */
  readonly raw: boolean;
  /** Path and query relative to the proxy's mount. */
  readonly path: string;
  readonly query: string | null;
}

/** What the upgrade tells its owner about an established tunnel. */
export interface UpgradeHooks {
  opened(): void;
  closed(): void;
  /** True while the owner closes every connection (`close()`): a tunnel ended then was closed by the proxy. */
  readonly closingAll: boolean;
}

/** A client that left gets nothing: both connections are closed, whatever the handshake was doing. */
function abandon(src: UpgradeSource, backend: Duplex | undefined, reason: string): void {
  backend?.destroy();
  src.socket.destroy();
  debug(
    'upgrade %s %s: the client left during the handshake (%s)',
    src.req.method,
    src.req.url,
    reason,
  );
}

/** The handshake's deadline: a timer's callback with its argument, no closure per handshake. */
function expire(run: UpgradeRun): void {
  run.failed(new ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'timeout awaiting response headers'));
}

/**
 * One upgrade while the backend is asked. Three things may end the wait, whichever comes first:
 * the handshake's answer or failure, `responseHeaderTimeout`, or the client leaving. One object
 * with methods, settled once: no promise race, no timer promise, no closure per outcome.
 */
class UpgradeRun {
  private backend: Duplex | undefined;
  private settled = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly seen: Observation | undefined;
  private readonly watch: ClientWatch;

  constructor(
    private readonly options: ResolvedOptions,
    agentFor: (location: Location) => NodeAgent,
    private readonly src: UpgradeSource,
    private readonly hooks: UpgradeHooks,
  ) {
    this.seen = observe(src.req);
    this.watch = new ClientWatch(src.socket, src.raw, src.head, () => this.left());
    const ms = options.responseHeaderTimeout;
    if (ms > 0) this.timer = setTimeout(expire, ms, this);
    handshake(options, agentFor, src, (made) => this.attach(made)).then(
      (result) => this.answered(result),
      (err: unknown) => this.failed(err),
    );
    if (this.watch.gone) this.left();
  }

  /** The backend's connection once open; destroyed when it comes after the end of the wait. */
  private attach(made: Duplex): void {
    if (this.settled || this.watch.gone) made.destroy();
    else this.backend = made;
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    return true;
  }

  private left(): void {
    this.failed(new ProxyError('ERR_PROXY_BACKEND_ABORTED', 'the client closed the connection'));
  }

  private answered(result: Answered | null): void {
    if (this.settled) return;
    if (this.watch.gone) return this.left();
    const { src, seen } = this;
    if (result === null) {
      this.settle();
      this.watch.stop(); // a stage answered: the early bytes go nowhere
      if (seen) endOnSocketClose(seen, src, () => src.response().statusCode);
      return;
    }
    try {
      actOnStatus(
        this.options,
        src,
        result.backend,
        result.response,
        this.watch.stop(),
        this.hooks,
        seen,
      );
      this.settle();
    } catch (err) {
      this.failed(err);
    }
  }

  /** Everything before the switch that went wrong goes to the responder, unless the client left. */
  failed(err: unknown): void {
    if (!this.settle()) return;
    const { src, seen, watch } = this;
    watch.stop();
    seen?.error(err);
    if (watch.gone) {
      seen?.end(0, true);
      return abandon(src, this.backend, messageOf(err));
    }
    this.backend?.destroy();
    const res = src.response();
    if (seen) endOnSocketClose(seen, src, () => res.statusCode);
    respond(this.options, src.req, res, err);
  }
}

/**
 * The upgrade path (docs/upgrades.md): ask the backend, then act on its status. 101: the client
 * gets the backend's head byte for byte, the backend the client's early bytes, then the tunnel. Below
 * 400: the responder gets `invalid upgrade response` and nothing of the backend's answer reaches
 * the client (the CVE-2020-8559 fix). 400 and above: the answer is relayed and both connections
 * closed (the CVE-2018-1002105 fix). Every error before the switch goes to the responder; the
 * handshake as a whole gets `responseHeaderTimeout`. A client that leaves ends it at once.
 */
export function proxyUpgrade(
  options: ResolvedOptions,
  agentFor: (location: Location) => NodeAgent,
  src: UpgradeSource,
  hooks: UpgradeHooks,
): void {
  new UpgradeRun(options, agentFor, src, hooks);
}
