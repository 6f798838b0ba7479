/**
 * `connectTimeout` (docs/options.md, "connectTimeout"): the time a backend connection may take to
 * be established, TCP and TLS, through a forward proxy included; used by both paths.
 */
import { isIPv6 } from 'node:net';
import type tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { isTlsSocket } from './tls-modules.js';

/** `host:port` as Go writes an address: an IPv6 host in brackets. */
export function hostPort(hostname: string, port: number): string {
  return isIPv6(hostname) ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/** True while a TLS socket has not finished its handshake (the Finished message exists only after it). */
export function handshaking(socket: Duplex | undefined): boolean {
  return isTlsSocket(socket) && socket.getFinished() === undefined;
}

/**
 * Go's texts for a connection that was not ready in time: `net/http: TLS handshake timeout` while
 * a TLS handshake runs, else `dial tcp <address>: i/o timeout`. It has no `ETIMEDOUT` code: it is
 * a backend that could not be reached, not one that was slow to answer.
 */
export function connectTimeoutError(socket: Duplex | undefined, address: string): Error {
  const tlsPhase = handshaking(socket) && (socket as tls.TLSSocket).connecting === false;
  return new Error(
    tlsPhase ? 'net/http: TLS handshake timeout' : `dial tcp ${address}: i/o timeout`,
  );
}

/**
 * One connection being established within `ms` (0: no limit). Every socket made on the way (the
 * proxy's, the TLS one on top) is tracked, so that the timer can destroy whichever is pending; a
 * socket that arrives after the time is up is destroyed too.
 */
export class ConnectDeadline {
  readonly #ms: number;
  readonly #address: string;
  readonly #sockets: Duplex[] = [];
  #expired = false;

  /**
   * @param ms - the limit; 0 for none.
   * @param address - `host:port` of the backend, for the message.
   */
  constructor(ms: number, address: string) {
    this.#ms = ms;
    this.#address = address;
  }

  /** Records a socket made for this connection; returns it. */
  track<T extends Duplex>(socket: T): T {
    if (this.#expired) socket.destroy();
    else this.#sockets.push(socket);
    return socket;
  }

  /** Resolves with `work`'s socket if it is ready in time; otherwise destroys what was made and rejects. */
  run<T extends Duplex>(work: Promise<T>): Promise<T> {
    if (this.#ms <= 0) return work;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.#expire(reject), this.#ms);
      work.then(
        (socket) => {
          clearTimeout(timer);
          if (this.#expired) socket.destroy();
          else resolve(socket);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  #expire(reject: (err: Error) => void): void {
    this.#expired = true;
    const err = connectTimeoutError(this.#sockets.at(-1), this.#address);
    for (const socket of this.#sockets) socket.destroy();
    reject(err);
  }
}
