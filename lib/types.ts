import type {
  Agent as HttpAgent,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Duplex, Readable } from 'node:stream';

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
  /**
   * Opens the connection an upgrade is written on, instead of the agent's `createConnection` (Go's
   * `DialContext`). For an https location a plain socket gets TLS on top, with the agent's TLS
   * settings; a `TLSSocket` is used as it is. A rejection goes to the responder (`ERR_PROXY_DIAL`).
   * @since 0.3.0
   * @example upgradeTransport: { dial: (url) => net.connect({ path: '/run/backend.sock' }) }
   */
  dial?(location: URL): Duplex | Promise<Duplex>;
}

/**
 * Headers of an outgoing request or of a backend's answer, as a user's stage sees them. Names are
 * case-insensitive; iteration yields `[name, value]` pairs in wire order, a repeated name once per
 * line.
 * @since 0.3.0
 */
export interface ProxyHeaders extends Iterable<[string, string]> {
  /** The value, repeated lines joined with `, ` (as Fetch's `Headers`); undefined when absent. */
  get(name: string): string | undefined;
  /** Every line's value, in order (use it for `Set-Cookie`). */
  getAll(name: string): string[];
  has(name: string): boolean;
  /** Replaces every line of `name` with one line (or one line per item of a list), where the first was. */
  set(name: string, value: string | readonly string[]): void;
  /** Adds a line at the end. */
  append(name: string, value: string): void;
  /** Removes every line of `name`. */
  delete(name: string): void;
}

/**
 * One proxied request, as a user's stage sees it (docs/stages.md). Everything here belongs to
 * this request alone.
 * @since 0.3.0
 */
export interface ProxyExchange {
  readonly req: IncomingMessage;
  /** Where a request stage that answers the client itself writes; on an upgrade, bound to the client's socket. */
  readonly res: ServerResponse;
  /** True on the upgrade path: no response stage runs, and `res` is the way to refuse. */
  readonly isUpgrade: boolean;
  /** The outgoing method. */
  method: string;
  /** The outgoing path and query, raw, as written on the request line. */
  path: string;
  /** The backend chosen for this request. */
  readonly location: URL;
  /** The outgoing headers, Host first; hop-by-hop headers are removed after the user's stages. */
  readonly headers: ProxyHeaders;
}

/**
 * The backend's answer, as a user's response stage sees it; never on an upgrade.
 * @since 0.3.0
 */
export interface ProxyResponse {
  status: number;
  /** The reason phrase; empty gives Node's default for the status. */
  statusMessage: string;
  readonly headers: ProxyHeaders;
  /** The body; replace it with another stream to change it (Content-Length is then yours to fix). */
  body: Readable;
}

/**
 * A user's request stage: reads or changes the outgoing request. Returning `true` means it has
 * answered the client itself through `ex.res`. A throw or rejection goes to the responder.
 * @since 0.3.0
 */
export type RequestStage = (ex: ProxyExchange) => void | boolean | Promise<void | boolean>;

/**
 * A user's response stage: reads or changes the backend's answer, or returns another one.
 * A throw or rejection goes to the responder while nothing has been sent.
 * @since 0.3.0
 */
export type ResponseStage = (
  ex: ProxyExchange,
  res: ProxyResponse,
) => void | ProxyResponse | Promise<void | ProxyResponse>;

/** The user's stages, run in order around the built-in ones (docs/stages.md, "Order"). @since 0.3.0 */
export interface ProxyStages {
  request?: readonly RequestStage[];
  response?: readonly ResponseStage[];
}

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
