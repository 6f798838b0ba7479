import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { ProxyError } from '../errors/proxy-error.js';

/**
 * Receives one header line to forward.
 * @param lower The name in lower case, for comparisons.
 * @param name The name as the client sent it (as a middleware wrote it, for a header it added).
 * @param value The value of this one line.
 */
export type HeaderLineVisitor = (lower: string, name: string, value: string) => void;

/**
 * Names of which Node keeps only the first line in `req.headers` (its `matchKnownFields`); it
 * joins `Cookie` lines with `; `, keeps `Set-Cookie` as a list, and joins every other name with `, `.
 */
const FIRST_LINE_ONLY = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** What Node puts in `req.headers` for the lines of one name (`IncomingMessage#_addHeaderLine`). */
function nodeValue(lower: string, values: string[], joinAll: boolean): string | string[] {
  if (lower === 'set-cookie') return values;
  if (lower === 'cookie') return values.join('; ');
  // A server made with `joinDuplicateHeaders: true` joins those names too.
  return !joinAll && FIRST_LINE_ONLY.has(lower) ? values[0]! : values.join(', ');
}

function sameValue(current: unknown, derived: string | string[]): boolean {
  if (typeof derived === 'string') return current === derived;
  return (
    Array.isArray(current) &&
    current.length === derived.length &&
    current.every((value, i) => value === derived[i])
  );
}

/** A value from `req.headers` as lines: a list gives one line per item. */
function visitValue(lower: string, name: string, value: unknown, visit: HeaderLineVisitor): void {
  if (Array.isArray(value)) for (const line of value) visit(lower, name, String(line));
  else visit(lower, name, String(value));
}

/**
 * True when `req.headers` starts with one key per raw line, in the same order, each with that
 * line's value: no name repeats and no middleware changed or deleted anything. Keys after those
 * were added by a middleware. Checked without allocating.
 */
function untouched(raw: readonly string[], headers: IncomingHttpHeaders): boolean {
  let i = 0;
  for (const key in headers) {
    if (i >= raw.length) return true;
    const name = raw[i]!;
    if (headers[key] !== raw[i + 1] || (name !== key && name.toLowerCase() !== key)) return false;
    i += 2;
  }
  return i === raw.length;
}

/** The client's lines of one lower-case name, and whether they are forwarded as sent. */
interface NameLines {
  readonly values: string[];
  asSent?: boolean;
}

/** The client's lines by lower-case name, and each line's lower-case name, in one pass. */
function byName(raw: readonly string[]): { names: Map<string, NameLines>; lower: string[] } {
  const names = new Map<string, NameLines>();
  const lower: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!.toLowerCase();
    lower.push(key);
    const entry = names.get(key);
    if (entry) entry.values.push(raw[i + 1]!);
    else names.set(key, { values: [raw[i + 1]!] });
  }
  return { names, lower };
}

/** The general case: some name repeats, or a middleware set, changed or deleted a header. */
function visitMerged(req: IncomingMessage, visit: HeaderLineVisitor): void {
  const { rawHeaders: raw, headers } = req;
  const { names, lower } = byName(raw);
  const joinAll = (req as { joinDuplicateHeaders?: unknown }).joinDuplicateHeaders === true;
  for (let line = 0; line < lower.length; line++) {
    const key = lower[line]!;
    const current = headers[key];
    if (current === undefined) continue; // deleted
    const entry = names.get(key)!;
    if (entry.asSent === undefined) {
      entry.asSent = sameValue(current, nodeValue(key, entry.values, joinAll));
      // Changed: its new value, once, where its first line was.
      if (!entry.asSent) visitValue(key, raw[2 * line]!, current, visit);
    }
    if (entry.asSent) visit(key, raw[2 * line]!, raw[2 * line + 1]!);
  }
  for (const key in headers) {
    if (!names.has(key) && headers[key] !== undefined)
      visitValue(key.toLowerCase(), key, headers[key], visit);
  }
}

/**
 * Visits the request's headers as the backend is to get them: the client's lines as it sent them
 * (`req.rawHeaders`: names in their case, a repeated name on separate lines, in order), with what
 * a middleware did to `req.headers` applied. Per lower-case name: when `req.headers` still holds
 * what Node made of the lines, the lines are forwarded; when a middleware changed the value, its
 * value is forwarded instead (a list as one line per item), where the first line was; when it
 * deleted the name, nothing; a name only `req.headers` has is added at the end. See
 * docs/getting-started.md, "How paths map".
 * @example forEachRequestHeader(req, (lower, name, value) => out.push(name, value));
 */
export function forEachRequestHeader(req: IncomingMessage, visit: HeaderLineVisitor): void {
  const { rawHeaders: raw, headers } = req;
  if (!untouched(raw, headers)) return visitMerged(req, visit);
  // The common case: each key of req.headers is the lower-case name of the line at its position,
  // and the keys after the last line were added.
  let i = 0;
  for (const key in headers) {
    if (i < raw.length) visit(key, raw[i]!, raw[i + 1]!);
    else if (headers[key] !== undefined) visitValue(key.toLowerCase(), key, headers[key], visit);
    i += 2;
  }
}

/**
 * Refuses a request with more than one `Host` line (RFC 9112 section 3.2: a server must answer
 * 400), as Go's server does. Node keeps the first and would forward it.
 * @throws {ProxyError} `ERR_PROXY_BAD_REQUEST`, `too many Host headers` (Go's text).
 */
export function assertOneHost(req: IncomingMessage): void {
  const raw = req.rawHeaders;
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue;
    if (seen) throw new ProxyError('ERR_PROXY_BAD_REQUEST', 'too many Host headers');
    seen = true;
  }
}
