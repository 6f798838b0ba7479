/**
 * One line per request and per tunnel on stderr:
 *
 *     2026-11-25T22:45:47.123Z 127.0.0.1 GET /api/v1/pods 200 in=312 out=1234 3.2ms
 *     2026-11-25T22:45:49.001Z 127.0.0.1 GET /ws 101 tunnel in=2048 out=4096 12.51s
 *
 * `in` and `out` are the bytes read from and written to the client's connection for this exchange,
 * headers included. The status is `-` when no answer was sent, and the line ends with `aborted`
 * when the client left before the answer was complete. Control characters in the path are escaped,
 * so a request cannot forge a line.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Logs requests and tunnels as they end. */
export interface AccessLog {
  /** Call when a plain request arrives; the line is written when its response closes. */
  request(req: IncomingMessage, res: ServerResponse): void;
  /** Call when an upgrade request arrives; the line is written when its connection closes. */
  tunnel(req: IncomingMessage, socket: Duplex): void;
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

/**
 * The status of the first response line written on a socket, read as it goes out through
 * `write` or `end` (both are watched until the first chunk, then put back).
 */
function watchStatus(socket: Duplex): () => string {
  let status = '-';
  const { write, end } = socket;
  const restore = (): void => {
    socket.write = write;
    socket.end = end;
  };
  const read = (chunk: unknown): void => {
    const head =
      typeof chunk === 'string'
        ? chunk.slice(0, 16)
        : Buffer.isBuffer(chunk)
          ? chunk.toString('latin1', 0, 16)
          : '';
    status = /^HTTP\/\d\.\d (\d{3})/.exec(head)?.[1] ?? status;
  };
  socket.write = function (this: Duplex, chunk: unknown, ...rest: unknown[]): boolean {
    restore();
    read(chunk);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Duplex['write'];
  socket.end = function (this: Duplex, chunk?: unknown, ...rest: unknown[]): Duplex {
    restore();
    if (typeof chunk !== 'function') read(chunk);
    return (end as (...args: unknown[]) => Duplex).call(this, chunk, ...rest);
  } as Duplex['end'];
  return () => status;
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
      res.once('close', () => {
        const { read, written } = bytesOf(req.socket);
        const status = res.headersSent ? String(res.statusCode) : '-';
        const end = res.writableFinished ? '' : ' aborted';
        line(`${status} in=${read} out=${written} ${duration(performance.now() - start)}${end}`);
      });
    },
    tunnel(req, socket) {
      const start = performance.now();
      const line = arrival(req);
      const status = watchStatus(socket);
      socket.once('close', () => {
        const { read, written } = bytesOf(socket as Counted);
        line(`${status()} tunnel in=${read} out=${written} ${duration(performance.now() - start)}`);
      });
    },
  };
}
