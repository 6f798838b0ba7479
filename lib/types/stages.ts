// What a user's stage sees and returns: the exchange, its headers, the backend's answer (docs/stages.md).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

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
