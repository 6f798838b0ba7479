/**
 * Byte ranges for the `--www` file server, as Go's `http.ServeContent` (under kubectl proxy's
 * `http.FileServer`) answers them: `Range: bytes=...` gives 206 with `Content-Range` for one range
 * and `multipart/byteranges` for several; ranges all past the end give 416 with a `Content-Range`
 * of `*` and the size; a header that cannot be parsed gives 416 alone. Ranges that add up to more
 * than the file are ignored and the whole file is sent (Go's guard against amplification), as is
 * every range of an empty file. `If-Range` with a date equal to the file's modification time keeps
 * the ranges; any other `If-Range` (an entity tag: the file server sends none) drops them
 * (docs/cli.md, "Paths").
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

/** One satisfiable range: `length` bytes from `start`. */
export interface ByteRange {
  start: number;
  length: number;
}

/** Go's answers to a `Range` header it refuses, as its 416 bodies say them. */
export const INVALID_RANGE = 'invalid range';
export const NO_OVERLAP = 'invalid range: failed to overlap';

/** What to send: the whole file, some ranges, or a 416 with Go's message. */
export type RangePlan =
  { ranges: ByteRange[] } | { refused: typeof INVALID_RANGE | typeof NO_OVERLAP };

const INT64_MAX = 2n ** 63n - 1n;

/** Go's `strconv.ParseInt(s, 10, 64)`: an optional sign, digits, within int64; `undefined` otherwise. */
function parseInt64(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value > INT64_MAX || value < -INT64_MAX - 1n ? undefined : Number(value);
}

/** textproto.TrimString: ASCII space, tab, CR and LF off both ends. */
const trim = (text: string): string => text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

/** One `start-end` or `-suffix` spec: a range, `null` when it starts past the end, `undefined` when invalid. */
function parseSpec(spec: string, size: number): ByteRange | null | undefined {
  const dash = spec.indexOf('-');
  if (dash === -1) return undefined;
  const [first, last] = [trim(spec.slice(0, dash)), trim(spec.slice(dash + 1))];
  if (first === '') {
    // A suffix: the last N bytes (RFC 9110 section 14.1.1); Go refuses a signed N.
    const n = last.startsWith('-') ? undefined : parseInt64(last);
    if (n === undefined || n < 0) return undefined;
    const start = size - Math.min(n, size);
    return { start, length: size - start };
  }
  const start = parseInt64(first);
  if (start === undefined || start < 0) return undefined;
  if (start >= size) return null;
  if (last === '') return { start, length: size - start };
  const end = parseInt64(last);
  if (end === undefined || start > end) return undefined;
  return { start, length: Math.min(end, size - 1) - start + 1 };
}

/**
 * Go's `parseRange`: the satisfiable ranges of a `Range` header for a file of `size` bytes.
 *
 * @example parseRange('bytes=0-4,-3', 20) // { ranges: [{ start: 0, length: 5 }, { start: 17, length: 3 }] }
 */
export function parseRange(header: string, size: number): RangePlan {
  if (!header.startsWith('bytes=')) return { refused: INVALID_RANGE };
  const ranges: ByteRange[] = [];
  let noOverlap = false;
  for (const raw of header.slice('bytes='.length).split(',')) {
    const spec = trim(raw);
    if (spec === '') continue;
    const range = parseSpec(spec, size);
    if (range === undefined) return { refused: INVALID_RANGE };
    if (range === null) noOverlap = true;
    else ranges.push(range);
  }
  return noOverlap && ranges.length === 0 ? { refused: NO_OVERLAP } : { ranges };
}

/** Go's `checkIfRange` without entity tags: only a date equal to the modification time, to the second, keeps the ranges. */
function ifRangeHolds(ifRange: string | undefined, mtimeMs: number): boolean {
  if (!ifRange) return true;
  const date = Date.parse(ifRange);
  return (
    !/^\s*(W\/)?"/.test(ifRange) &&
    !Number.isNaN(date) &&
    date / 1000 === Math.floor(mtimeMs / 1000)
  );
}

/**
 * What to send for a request's `Range` and `If-Range` headers: `{ ranges: [] }` means the whole file.
 *
 * @param size The file's size in bytes.
 * @param mtimeMs The file's modification time.
 */
export function planRanges(
  range: string | undefined,
  ifRange: string | undefined,
  size: number,
  mtimeMs: number,
): RangePlan {
  if (!range || !ifRangeHolds(ifRange, mtimeMs)) return { ranges: [] };
  const plan = parseRange(range, size);
  if ('refused' in plan) return plan.refused === NO_OVERLAP && size === 0 ? { ranges: [] } : plan;
  const total = plan.ranges.reduce((sum, r) => sum + r.length, 0);
  return total > size ? { ranges: [] } : plan;
}

/** `bytes START-END/SIZE`, for one range. */
export const contentRange = (r: ByteRange, size: number): string =>
  `bytes ${r.start}-${r.start + r.length - 1}/${size}`;

/** A `multipart/byteranges` body of several ranges of `file`, as Go's `mime/multipart` writes it. */
export interface Multipart {
  /** The response's `Content-Type`, with the boundary. */
  contentType: string;
  /** The body's length in bytes, for `Content-Length`. */
  length: number;
  /** The body, read from the file range by range as the client takes it. */
  body(): Readable;
}

/**
 * Lays out the multipart body for `ranges` of `file` (`size` bytes, of type `type`).
 *
 * @example const parts = multipart('/www/a.txt', ranges, 'text/plain', 20); parts.body().pipe(res);
 */
export function multipart(
  file: string,
  ranges: readonly ByteRange[],
  type: string,
  size: number,
): Multipart {
  const boundary = randomBytes(30).toString('hex');
  // Made as they are sent, not kept: a 1 MiB Range header can hold 250,000 ranges.
  const head = (i: number): string =>
    `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Range: ${contentRange(ranges[i]!, size)}\r\nContent-Type: ${type}\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const length = ranges.reduce(
    (sum, r, i) => sum + Buffer.byteLength(head(i)) + r.length,
    tail.length,
  );
  async function* parts(): AsyncGenerator<Buffer | string> {
    for (const [i, r] of ranges.entries()) {
      yield head(i);
      if (r.length > 0)
        yield* createReadStream(file, { start: r.start, end: r.start + r.length - 1 });
    }
    yield tail;
  }
  return {
    contentType: `multipart/byteranges; boundary=${boundary}`,
    length,
    body: () => Readable.from(parts()),
  };
}
