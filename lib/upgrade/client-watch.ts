import type { Duplex } from 'node:stream';

/** Bytes a client may send before the backend has switched; past that the client is paused. */
export const EARLY_LIMIT = 64 * 1024;

/**
 * Watches an upgrade's client while the backend is asked, and holds what it sends meanwhile.
 *
 * - A client that sends FIN or resets has left: `left` resolves at once, so that the handshake is
 *   abandoned and both connections closed then, not at `responseHeaderTimeout`. Node's server
 *   sockets are half-open, so nobody else would close a client that only sent FIN.
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
  /** Resolves when the client leaves (never, once {@link stop} has run). */
  readonly left: Promise<'left'>;
  private readonly early: Buffer[] = [];
  private size = 0;
  private readonly onData = (chunk: Buffer): void => this.hold(chunk);
  private readonly onGone: () => void;

  constructor(
    private readonly socket: Duplex,
    private readonly raw: boolean,
    head: Buffer,
  ) {
    let leave!: (value: 'left') => void;
    this.left = new Promise((resolve) => (leave = resolve));
    this.onGone = () => {
      this.gone = true;
      leave('left');
    };
    socket.once('end', this.onGone);
    socket.once('close', this.onGone);
    if (socket.destroyed || socket.readableEnded) this.onGone();
    if (!raw) return;
    if (head.length > 0) this.hold(head);
    socket.on('data', this.onData);
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
