// The backend clients a user may give: Node's agents, an undici dispatcher, the upgrade transport.
import type { Agent as HttpAgent, OutgoingHttpHeaders } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';

/**
 * Node's `http.Agent` or `https.Agent`: connection pool, TLS settings and dialer of the backend
 * leg. See docs/options.md#transport.
 * @since 0.2.0
 * @example const transport: NodeAgent = new https.Agent({ keepAlive: true, ca });
 */
export type NodeAgent = HttpAgent | HttpsAgent;

/**
 * An undici `Dispatcher` (`Agent`, `Pool` or `Client` of the `undici` package), as the backend
 * client of the HTTP path: markedly cheaper per request than Node's HTTP client. Only its shape
 * is named here, so a dispatcher from the application's own copy of undici, of another version,
 * is accepted too. See docs/options.md#transport.
 * @since 0.2.0
 * @example const transport: UndiciDispatcher = new undici.Agent({ connections: 128 });
 */
export interface UndiciDispatcher {
  dispatch(options: object, handler: object): boolean;
  destroy(): Promise<void>;
}

/**
 * The former name of {@link NodeAgent}.
 * @deprecated Use `NodeAgent`: `Agent` reads as undici's `Agent`, which is a `UndiciDispatcher`.
 */
export type Agent = NodeAgent;

/**
 * The former name of {@link UndiciDispatcher}.
 * @deprecated Use `UndiciDispatcher`: `Dispatcher` reads as undici's own type of that name.
 */
export type Dispatcher = UndiciDispatcher;

/** What `upgradeTransport.wrapRequest` receives and returns. */
export interface UpgradeRequestInit {
  method: string;
  /** Path and query, as written on the request line. */
  path: string;
  /** A copy the function may change. */
  headers: OutgoingHttpHeaders;
}

/** What dials upgrade requests (Kubernetes' `UpgradeRequestRoundTripper`). */
export interface UpgradeTransport {
  /** Dials the upgrade leg; `transport` is used when unset. */
  agent?: NodeAgent;
  /** May change method, path and headers (for example add `Authorization`); a rejection goes to the responder. */
  wrapRequest?(init: UpgradeRequestInit): UpgradeRequestInit | Promise<UpgradeRequestInit>;
  /**
   * Opens the connection an upgrade is written on, instead of the agent's `createConnection` (Go's
   * `DialContext`). For an https location a plain socket gets TLS on top, with the agent's TLS
   * settings; a `TLSSocket` is used as it is. A rejection goes to the responder (`ERR_PROXY_DIAL`).
   * @since 0.3.0
   * @example upgradeTransport: { dial: (url) => net.connect({ path: '/run/backend.sock' }) }
   */
  dial?(location: URL): Duplex | Promise<Duplex>;
}
