import type { Duplex } from 'node:stream';

/**
 * Go's http.ReadResponse accepts heads of any size; 1 MiB takes any head a real backend sends
 * (cookies and tokens included) and bounds what is held.
 */
export const MAX_HEAD = 1024 * 1024;

const BLANK_LINE = Buffer.from('\r\n\r\n', 'latin1');

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
 * Where the blank line that ends a head starts, counted from the start of `chunk` (negative when
 * it began in `tail`, the last bytes before `chunk`), or undefined when it is not there yet.
 */
function blankLine(tail: Buffer, chunk: Buffer): number | undefined {
  if (tail.length > 0) {
    const seam = Buffer.concat([tail, chunk.subarray(0, 3)]).indexOf(BLANK_LINE);
    if (seam !== -1) return seam - tail.length;
  }
  const at = chunk.indexOf(BLANK_LINE);
  return at === -1 ? undefined : at;
}

/** The last three bytes of `tail` followed by `chunk`: all a blank line split across chunks can need. */
function lastBytes(tail: Buffer, chunk: Buffer): Buffer {
  return chunk.length >= 3
    ? chunk.subarray(chunk.length - 3)
    : Buffer.concat([tail, chunk]).subarray(-3);
}

/**
 * Reads the backend's response head from `socket`, recording every byte so that a 101 can be
 * replayed to the client byte for byte (docs/upgrades.md, "What the client sees"). Stops reading
 * at the end of the head; bytes after it stay in `raw`. A backend that closes first gives
 * `unexpected EOF` (Go's text). Each chunk is searched once and copied once, at the end, so a
 * head in many small chunks costs no more than one in a single chunk.
 */
export function readResponseHead(socket: Duplex): Promise<ResponseHead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tail: Buffer = Buffer.alloc(0);
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
      const at = blankLine(tail, chunk);
      chunks.push(chunk);
      size += chunk.length;
      if (at === undefined) {
        tail = lastBytes(tail, chunk);
        if (size > MAX_HEAD) finish(new Error('malformed HTTP response: header too large'));
        return;
      }
      const end = size - chunk.length + at;
      const raw = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
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
