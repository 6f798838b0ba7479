// The options of upgradeAware() and the middleware it returns; the types they name are in types/.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { NodeAgent, UndiciDispatcher, UpgradeTransport } from './types/clients.js';
import type { ErrorResponder, ErrorResponderFunction } from './types/responder.js';
import type { ProxyStages } from './types/stages.js';

/** `location` as a function: the backend for one request. @since 0.3.0 */
export type LocationFunction = (req: IncomingMessage) => string | URL | Promise<string | URL>;

/** What `requestBody` may supply: the bytes to forward, whole or as a stream. @since 0.3.0 */
export type RequestBody = Buffer | Uint8Array | string | Readable;

/**
 * Options of {@link upgradeAware}: the Kubernetes `UpgradeAwareHandler` fields in camelCase, with
 * Kubernetes' defaults. See docs/options.md.
 */
export interface UpgradeAwareOptions {
  /**
   * The backend. A location without a scheme gets `http`. A function is called once per request
   * (and per upgrade) and may return a promise; its result is validated as a fixed location is,
   * and a failure goes to the responder (`ERR_PROXY_RESOLVE_LOCATION`).
   */
  location: string | URL | LocationFunction;
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
  /**
   * The user's request and response stages (docs/stages.md).
   * @since 0.3.0
   * @example stages: { request: [setRequestHeaders({ 'x-tenant': 'a' })] }
   */
  stages?: ProxyStages;
  /**
   * The body to forward when an earlier middleware (a body parser) has already read the
   * request's: called only then, its length sent as Content-Length (a stream goes chunked).
   * Without it such a request gets `ERR_PROXY_BODY_CONSUMED`.
   * @since 0.3.0
   * @example requestBody: (req) => (req as { rawBody?: Buffer }).rawBody
   */
  requestBody?: (
    req: IncomingMessage,
  ) => RequestBody | undefined | Promise<RequestBody | undefined>;
  /**
   * Milliseconds to establish the backend connection (TCP and TLS), both paths; `0` leaves it to
   * the operating system.
   * @default 30000 (Go's DefaultTransport and kubectl dial with 30 s)
   * @since 0.3.0
   */
  connectTimeout?: number;
  /**
   * Reach the backend through the proxy named by `HTTPS_PROXY`/`HTTP_PROXY`, except for hosts in
   * `NO_PROXY` (as Go's default transport does), on both paths; upgrades through a CONNECT tunnel.
   * @default false
   * @since 0.3.0
   */
  proxyFromEnvironment?: boolean;
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
