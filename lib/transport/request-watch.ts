import { ProxyError } from '../errors/proxy-error.js';
import type { Exchange } from '../http/exchange.js';
import { relayInformational } from '../http/informational.js';
import { clientLeft } from './backend-error.js';

/** How many 1xx answers may precede the final one: Go's transport allows 5 (net/http `max1xxResponses`). */
export const MAX_INFORMATIONAL = 5;

/** What a watch aborts: its backend request. */
export interface Abortable {
  destroy(err: ProxyError): unknown;
}

/**
 * What both transports watch while one backend request is in flight, so that the rules live
 * once: the client leaving aborts the request with {@link clientLeft}, whether it is still
 * uploading or already downloading; the `responseHeaderTimeout` clock, which 1xx answers do not
 * restart (undici's own header timer does); and the count of 1xx answers, of which more than
 * {@link MAX_INFORMATIONAL} fail the request with `ERR_PROXY_BAD_RESPONSE`. Aborting is
 * `request.destroy(err)`: Node's request, or the undici handler, which aborts its own.
 */
export class RequestWatch {
  readonly #ex: Exchange;
  readonly #request: Abortable;
  #timer: NodeJS.Timeout | undefined;
  #count = 0;
  #answered = false;
  #refused = false;
  /** The response's 'close' listener: once the response is fully written, nothing is left to abort. */
  readonly #clientClosed = (): void => {
    if (!this.#ex.res.writableFinished) this.#request.destroy(clientLeft());
  };

  constructor(ex: Exchange, request: Abortable) {
    this.#ex = ex;
    this.#request = request;
    // `on`, not `once`: 'close' comes once, and `once` would wrap the listener on every request.
    ex.res.on('close', this.#clientClosed);
  }

  /** The request can be aborted from now on: one whose client has already gone is aborted at once. */
  connected(): void {
    if (this.#ex.res.destroyed) this.#clientClosed();
  }

  /** The request is fully written: the clock starts, unless the head came before the upload ended. */
  sent(): void {
    const ms = this.#ex.options.responseHeaderTimeout;
    if (this.#answered || ms === 0 || this.#timer !== undefined) return;
    // The watch as the timer's argument: a closure would be made for every request.
    this.#timer = setTimeout(RequestWatch.#expire, ms, this);
  }

  static #expire(watch: RequestWatch): void {
    watch.#request.destroy(
      new ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'timeout awaiting response headers'),
    );
  }

  /** A 1xx arrived: relayed, or past the limit the request fails. */
  informational(status: number, statusMessage: string, raw: readonly string[]): void {
    if (this.#answered) return;
    if (++this.#count <= MAX_INFORMATIONAL) {
      relayInformational(this.#ex, status, statusMessage, raw);
      return;
    }
    this.done();
    this.#refused = true;
    this.#request.destroy(
      new ProxyError(
        'ERR_PROXY_BAD_RESPONSE',
        `too many 1xx informational responses (more than ${MAX_INFORMATIONAL})`,
      ),
    );
  }

  /**
   * Whether too many 1xx failed the request. Node's parser may still deliver a final head that came
   * in the same packet, before the abort's error: it must not be taken.
   */
  get refused(): boolean {
    return this.#refused;
  }

  /** The final head arrived, or the request failed: the clock stops for good. */
  done(): void {
    this.#answered = true;
    clearTimeout(this.#timer);
  }

  /** The request is over (its body has ended, or it failed): the client leaving no longer aborts it. */
  release(): void {
    this.#ex.res.removeListener('close', this.#clientClosed);
  }
}
