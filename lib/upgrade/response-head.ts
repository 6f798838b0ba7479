import type { Duplex } from 'node:stream';

/** Go's http.ReadResponse accepts heads of any size; 64 KiB is ample and bounds what we hold. */
const MAX_HEAD = 64 * 1024;

/** The backend's answer to an upgrade, as far as it was read. */
export interface ResponseHead {
  status: number;
  /** Lower-case names; repeated headers keep every value. */
  headers: Map<string, string[]>;
  /** Every byte read so far: the head exactly as sent, then whatever followed it. */
  raw: Buffer;
  /** Where the head ends in `raw`. */
  headLength: number;
}

/** Parses a complete head (without the blank line); throws Go's message for a malformed one. */
export function parseHead(text: string): { status: number; headers: Map<string, string[]> } {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
  if (!status) throw new Error(`malformed HTTP response ${JSON.stringify(lines[0])}`);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed MIME header line: ${line}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(name);
    const value = line.slice(colon + 1).trim();
    if (values) values.push(value);
    else headers.set(name, [value]);
  }
  return { status: Number(status[1]), headers };
}

/**
 * Reads the backend's response head from `socket`, recording every byte so that a 101 can be
 * replayed to the client byte for byte (spec 4.5). Stops reading at the end of the head; bytes
 * after it stay in `raw`. A backend that closes first gives `unexpected EOF` (Go's text).
 */
export function readResponseHead(socket: Duplex): Promise<ResponseHead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: Error | null, head?: ResponseHead): void => {
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', finish);
      socket.removeListener('close', onEnd);
      socket.pause();
      if (err) reject(err);
      else resolve(head!);
    };
    const onEnd = (): void => finish(new Error(size === 0 ? 'EOF' : 'unexpected EOF'));
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      const raw = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      chunks.splice(0, chunks.length, raw);
      const end = raw.indexOf('\r\n\r\n', Math.max(0, size - chunk.length - 3), 'latin1');
      if (end === -1) {
        if (size > MAX_HEAD) finish(new Error('malformed HTTP response: header too large'));
        return;
      }
      try {
        const { status, headers } = parseHead(raw.subarray(0, end).toString('latin1'));
        finish(null, { status, headers, raw, headLength: end + 4 });
      } catch (err) {
        finish(err as Error);
      }
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', finish);
    socket.resume();
  });
}
