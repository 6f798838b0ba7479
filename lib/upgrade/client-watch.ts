import type { Duplex } from 'node:stream';

/** Bytes a client may send before the backend has switched; past that the client is paused. */
export const EARLY_LIMIT = 64 * 1024;

/**
 * Watches an upgrade's client while the backend is asked, and holds what it sends meanwhile.
 *
 * - A client that sends FIN or resets has left: `onLeave` runs (and `left` resolves) at once, so
 *   that the handshake is abandoned and both connections closed then, not at
 *   `responseHeaderTimeout`. Node's server sockets are half-open, so nobody else would close a
 *   client that only sent FIN.
 * - Bytes that follow the request head (the `'upgrade'` event's `head`, then whatever the raw
 *   socket delivers) are held, never written with the request head: a backend that refuses the
 *   upgrade on a keep-alive connection would read them as further requests, sent with the proxy's
 *   identity (CVE-2018-1002105). They are handed over only for a 101; past
 *   {@link EARLY_LIMIT} the client is no longer read.
 *
 * On a plain request (`raw` false) Node's HTTP parser reads the socket: nothing is held, and
 * only the end and close of the connection are watched.
 */
export class ClientWatch {
  /** True once the client has left. */
  gone = false;
  private leftPromise: Promise<'left'> | undefined;
  private leave: ((value: 'left') => void) | undefined;
  private readonly early: Buffer[] = [];
  private size = 0;
  private readonly onData = (chunk: Buffer): void => this.hold(chunk);
  private readonly onGone = (): void => {
    if (this.gone) return;
    this.gone = true;
    this.leave?.('left');
    this.onLeave?.();
  };

  /**
   * @param onLeave - runs once when the client leaves while watched; not for a client that was
   *   gone already when the watch began ({@link gone} is then true at once).
   */
  constructor(
    private readonly socket: Duplex,
    private readonly raw: boolean,
    head: Buffer,
    private readonly onLeave?: () => void,
  ) {
    // `on`, not `once`: `stop` removes both, and `once` would make a wrapper for each.
    socket.on('end', this.onGone);
    socket.on('close', this.onGone);
    this.gone = socket.destroyed || socket.readableEnded;
    if (!raw) return;
    if (head.length > 0) this.hold(head);
    socket.on('data', this.onData);
  }

  /** Resolves when the client leaves (never, once {@link stop} has run); made only when asked for. */
  get left(): Promise<'left'> {
    this.leftPromise ??= this.gone
      ? Promise.resolve('left')
      : new Promise((resolve) => (this.leave = resolve));
    return this.leftPromise;
  }

  /** Stops watching and hands over what the client sent early, oldest first; the raw socket stays paused. */
  stop(): Buffer[] {
    if (this.raw) this.socket.pause();
    this.socket.removeListener('data', this.onData);
    this.socket.removeListener('end', this.onGone);
    this.socket.removeListener('close', this.onGone);
    return this.early.splice(0);
  }

  private hold(chunk: Buffer): void {
    this.early.push(chunk);
    this.size += chunk.length;
    if (this.size >= EARLY_LIMIT) this.socket.pause();
  }
}
