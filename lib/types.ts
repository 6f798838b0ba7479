import type {
  Agent as HttpAgent,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
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

/**
 * Receives every error that happens before the response has started.
 * In the `'upgrade'` listener `res` is a `ServerResponse` bound to the raw socket; the socket is
 * closed after the responder has answered.
 */
export interface ErrorResponder {
  error(err: Error, req: IncomingMessage, res: ServerResponse): void;
}

/** The plain-function form of an {@link ErrorResponder}. */
export type ErrorResponderFunction = (
  err: Error,
  req: IncomingMessage,
  res: ServerResponse,
) => void;

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
}

/**
 * Options of {@link upgradeAware}: the Kubernetes `UpgradeAwareHandler` fields in camelCase, with
 * Kubernetes' defaults. See docs/options.md.
 */
export interface UpgradeAwareOptions {
  /** The backend. A location without a scheme gets `http`. */
  location: string | URL;
  /** A request that is not an upgrade gets the responder with a 400 `Upgrade request required`. @default false */
  upgradeRequired?: boolean;
  /** Join the location's path in front of the outgoing path. @default false */
  appendLocationPath?: boolean;
  /** Forward the incoming path and query (scheme and host still from `location`). @default false */
  useRequestLocation?: boolean;
  /** Send `Host: <location host>` instead of the client's Host. @default false */
  useLocationHost?: boolean;
  /**
   * The backend client: an `http.Agent`/`https.Agent`, or an undici `Dispatcher` for the HTTP path
   * (upgrades then use `upgradeTransport.agent`, or an agent of the middleware's own).
   * @default an undici Agent owned by the middleware (and a keep-alive agent of its own for upgrades)
   */
  transport?: NodeAgent | UndiciDispatcher;
  /** What dials upgrade requests. @default transport when it is an agent, else a keep-alive agent owned by the middleware */
  upgradeTransport?: UpgradeTransport;
  /** Wrap the transport with the rewriting transport; also happens whenever `transport` is not given. @default false */
  wrapTransport?: boolean;
  /** Flush interval (ms) while streaming a response body; `-1` flushes after every chunk. @default 200 */
  flushInterval?: number;
  /** Bytes per second, each direction of an upgraded connection; `0` is unlimited. @default 0 */
  maxBytesPerSec?: number;
  /** Receives every error that happens before the response has started. @default the default responder */
  responder?: ErrorResponder | ErrorResponderFunction;
  /** A backend 3xx with a `Location` header becomes a 502. @default false */
  rejectForwardingRedirects?: boolean;
  /**
   * Milliseconds to wait for the backend's response head (Go's `ResponseHeaderTimeout`); then the
   * request is aborted and the responder gets a 504. `0` waits forever. @default 60000
   */
  responseHeaderTimeout?: number;
  /**
   * The largest backend response head, in bytes, that the middleware's own backend client accepts
   * (Node's HTTP client, and the undici Agent made when no `transport` is given); a larger head
   * gives a 502. A `Dispatcher` you pass keeps its own `maxHeaderSize`.
   * @default 1048576 (1 MiB)
   * @since 0.2.0
   * @example upgradeAware({ location, maxResponseHeaderSize: 64 * 1024 })
   */
  maxResponseHeaderSize?: number;
}

/** The function `upgradeAware()` returns: Connect/Express middleware, plain request handler and upgrade listener. */
export interface UpgradeAwareMiddleware {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** Listener for the server's `'upgrade'` event. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** How many upgraded connections (tunnels) are open now. */
  readonly tunnels: number;
  /** Ends live upgraded connections and releases the transport the middleware owns. */
  close(): Promise<void>;
}
