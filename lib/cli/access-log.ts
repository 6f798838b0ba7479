/**
 * One line per request and per tunnel on stderr:
 *
 *     2026-11-25T22:45:47.123Z 127.0.0.1 GET /api/v1/pods 200 in=312 out=1234 3.2ms
 *     2026-11-25T22:45:49.001Z 127.0.0.1 GET /ws 101 tunnel in=2048 out=4096 12.51s
 *
 * `in` and `out` are the bytes read from and written to the client's connection for this exchange,
 * headers included. The status is `-` when no answer was sent, and the line ends with `aborted`
 * when the client left before the answer was complete. A tunnel's status is what the proxy's
 * diagnostics channels said of it (or what the server answered itself), not read off the wire. Control characters in the path are escaped,
 * so a request cannot forge a line.
 */
import dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

// The package's public channel names (docs/observability.md): the CLI uses the public API only.
const TUNNEL_OPEN = 'upgrade-aware-proxy:tunnel:open';
const REQUEST_END = 'upgrade-aware-proxy:request:end';

/** Logs requests and tunnels as they end. */
export interface AccessLog {
  /** Call when a plain request arrives; the line is written when its response closes. */
  request(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Call when an upgrade request arrives; the line is written when its connection closes, with
   * the status the proxy published for it, or the one given to {@link AccessLog.answered}.
   */
  tunnel(req: IncomingMessage, socket: Duplex): void;
  /** Call when the server answers an upgrade itself (a redirect, a 403 from the filter, a 404). */
  answered(req: IncomingMessage, status: number): void;
}

interface Counted {
  bytesRead?: number;
  bytesWritten?: number;
}

/** Where each keep-alive connection stood when its previous exchange was logged. */
const marks = new WeakMap<object, { read: number; written: number }>();

function bytesOf(socket: Counted | null | undefined): { read: number; written: number } {
  if (!socket) return { read: 0, written: 0 };
  const now = { read: socket.bytesRead ?? 0, written: socket.bytesWritten ?? 0 };
  const last = marks.get(socket) ?? { read: 0, written: 0 };
  marks.set(socket, now);
  return { read: now.read - last.read, written: now.written - last.written };
}

/** The path for the log, with control characters and spaces escaped. */
export function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\x00-\x20\x7f-\x9f\\]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** `3.2ms`, `12.51s`. */
export function duration(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)}ms` : `${(ms / 1000).toFixed(2)}s`;
}

/** What the log reads of a channel message. */
interface Fields {
  req?: unknown;
  status?: unknown;
}

/** Upgrades waiting for their status from the proxy's channels, by request. */
const pending = new WeakMap<object, { status: string }>();
/** How many upgrades are being logged: the channels are listened to only while there are any. */
let logging = 0;

/**
 * Takes a status for a pending upgrade from a channel message. Anyone may publish on these names:
 * a message of another shape is ignored, and nothing here can throw into the publisher.
 */
function settle(message: unknown, status?: number): void {
  try {
    const fields = typeof message === 'object' && message !== null ? (message as Fields) : {};
    const { req } = fields;
    const entry = typeof req === 'object' && req !== null && pending.get(req);
    const found = status ?? fields.status;
    if (entry && typeof found === 'number' && found > 0) entry.status = String(found);
  } catch {
    // A getter that throws: Node would rethrow a subscriber's error as an uncaught exception.
  }
}

const onTunnelOpen = (message: unknown): void => settle(message, 101);
const onRequestEnd = (message: unknown): void => settle(message);

/**
 * One subscriber per process, however many logs, and only while an upgrade is being logged: the
 * upgrade's status comes from the proxy, a 101 on `tunnel:open`, any other answer on
 * `request:end` (docs/observability.md). A subscriber makes the proxy observe every request, so
 * none is left behind.
 */
function listen(): void {
  if (logging++ > 0) return;
  dc.subscribe(TUNNEL_OPEN, onTunnelOpen);
  dc.subscribe(REQUEST_END, onRequestEnd);
}

function unlisten(): void {
  if (--logging > 0) return;
  dc.unsubscribe(TUNNEL_OPEN, onTunnelOpen);
  dc.unsubscribe(REQUEST_END, onRequestEnd);
}

/**
 * Builds an access log writing through `write` (one call per line, newline included).
 *
 * @example const log = createAccessLog((line) => process.stderr.write(line));
 */
export function createAccessLog(write: (line: string) => void): AccessLog {
  // The URL as the client sent it, read on arrival: routing strips prefixes from `req.url` later.
  // The client's address too: a closed socket no longer tells it.
  const arrival = (req: IncomingMessage): ((fields: string) => void) => {
    const { url, method } = req;
    const who = req.socket.remoteAddress ?? '-';
    return (fields) =>
      write(
        `${new Date().toISOString()} ${who} ${method ?? '-'} ${printable(url ?? '')} ${fields}\n`,
      );
  };
  return {
    request(req, res) {
      const start = performance.now();
      const line = arrival(req);
      // Kept: Node sets `req.socket` to null once the request's body has been read to its end.
      const { socket } = req;
      res.once('close', () => {
        const { read, written } = bytesOf(socket);
        const status = res.headersSent ? String(res.statusCode) : '-';
        const end = res.writableFinished ? '' : ' aborted';
        line(`${status} in=${read} out=${written} ${duration(performance.now() - start)}${end}`);
      });
    },
    tunnel(req, socket) {
      listen();
      const start = performance.now();
      const line = arrival(req);
      const entry = { status: '-' };
      pending.set(req, entry);
      socket.once('close', () => {
        const { read, written } = bytesOf(socket as Counted);
        const took = duration(performance.now() - start);
        // The proxy publishes `request:end` from a 'close' listener added after this one.
        process.nextTick(() => {
          unlisten();
          line(`${entry.status} tunnel in=${read} out=${written} ${took}`);
        });
      });
    },
    answered(req, status) {
      const entry = pending.get(req);
      if (entry) entry.status = String(status);
    },
  };
}
