import type { Socket } from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import { Throttle } from './throttle.js';

function noDelay(socket: Duplex): void {
  (socket as Partial<Socket>).setNoDelay?.(true);
}

/** Bytes that went one way. */
interface Counted {
  bytes: number;
}

/** What a tunnel carried, and which side ended it first. */
export interface TunnelStats {
  /** Bytes from the client to the backend. */
  readonly bytesIn: number;
  /** Bytes from the backend to the client. */
  readonly bytesOut: number;
  /** The side whose end, error or close came first; `'proxy'` when the returned function closed it. */
  readonly closedBy: 'client' | 'backend' | 'proxy';
}

/**
 * Copies `from` into `to` with backpressure and ends `to` when `from` ends. What `pipe()` does,
 * without its error, close and unpipe handling, which the tunnel does once for both directions:
 * three listeners instead of pipe's dozen, on every message's path and in every idle tunnel's heap.
 */
function pump(from: Readable, to: Writable, counted?: Counted): void {
  from.on('data', (chunk: Buffer) => {
    if (counted) counted.bytes += chunk.length;
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
  from.resume(); // the handshake left it paused
}

/**
 * Copies bytes both ways with backpressure until either side ends or fails, then closes both
 * (docs/upgrades.md, "Teardown"). The side that ended has its last bytes delivered to the other
 * before the close; a failure closes both at once. With `maxBytesPerSec` each direction is
 * throttled on its own. Returns a function that closes the tunnel; `onClose` runs once, however
 * it closed.
 */
export function tunnel(
  client: Duplex,
  backend: Duplex,
  maxBytesPerSec: number,
  onClose: (stats: TunnelStats) => void,
): () => void {
  const throttles =
    maxBytesPerSec > 0 ? [new Throttle(maxBytesPerSec), new Throttle(maxBytesPerSec)] : [];
  const fromClient: Counted = { bytes: 0 };
  const fromBackend: Counted = { bytes: 0 };
  let closedBy: TunnelStats['closedBy'] | undefined;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const stream of [client, backend, ...throttles]) stream.destroy();
    onClose({
      bytesIn: fromClient.bytes,
      bytesOut: fromBackend.bytes,
      closedBy: closedBy ?? 'proxy',
    });
  };
  const connect = (
    from: Duplex,
    to: Duplex,
    throttle: Throttle | undefined,
    counted: Counted,
  ): void => {
    if (throttle) {
      pump(from, throttle, counted);
      pump(throttle, to);
    } else {
      pump(from, to, counted);
    }
    // `to` is ended when `from` ends; close both once those last bytes are out. Each event comes
    // once, so `on`: `once` would keep a wrapper per listener for the life of the tunnel.
    from.on('end', () => to.on('finish', close));
  };
  for (const [socket, side] of [
    [client, 'client'],
    [backend, 'backend'],
  ] as const) {
    noDelay(socket);
    const ended = (): void => {
      closedBy ??= side;
      close();
    };
    socket.on('end', () => void (closedBy ??= side));
    socket.on('error', ended);
    socket.on('close', ended);
  }
  connect(client, backend, throttles[0], fromClient);
  connect(backend, client, throttles[1], fromBackend);
  if (client.destroyed || backend.destroyed) close(); // closed before the listeners were on
  return close;
}
