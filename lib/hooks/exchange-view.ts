import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyExchange } from '../types/stages.js';
import type { HeaderList } from '../util/header-list.js';
import type { Location } from '../util/location.js';

/** What a user's stage may change of the outgoing request, on either path. */
export interface OutgoingRequest {
  method: string;
  /** Path and query, raw, as on the request line. */
  target: string;
  headers: HeaderList;
  readonly location: Location;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_TARGET = /^[\x21-\x7e\x80-\xff]+$/;

/**
 * The exchange as a user's stage sees it ({@link ProxyExchange}): a view on the request's own
 * outgoing state, made only when there are user stages. What a stage writes is checked here, so
 * that it cannot break the request line.
 */
export class ExchangeView implements ProxyExchange {
  readonly #out: OutgoingRequest;
  readonly #makeRes: () => ServerResponse;
  #res: ServerResponse | undefined;
  #url: URL | undefined;

  /** @param res - the response a stage answers through; made on first use (an upgrade's is bound to its socket). */
  constructor(
    readonly req: IncomingMessage,
    res: () => ServerResponse,
    readonly isUpgrade: boolean,
    out: OutgoingRequest,
  ) {
    this.#makeRes = res;
    this.#out = out;
  }

  get res(): ServerResponse {
    return (this.#res ??= this.#makeRes());
  }

  get method(): string {
    return this.#out.method;
  }

  set method(value: string) {
    if (typeof value !== 'string' || !TOKEN.test(value))
      throw new TypeError(`invalid method ${JSON.stringify(value)}`);
    this.#out.method = value;
  }

  get path(): string {
    return this.#out.target;
  }

  set path(value: string) {
    if (typeof value !== 'string' || !REQUEST_TARGET.test(value))
      throw new TypeError(`invalid request target ${JSON.stringify(value)}`);
    this.#out.target = value;
  }

  get location(): URL {
    return (this.#url ??= new URL(this.#out.location.href));
  }

  get headers(): HeaderList {
    return this.#out.headers;
  }
}
