import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { ProxyHeaders } from '../types/stages.js';

/**
 * Header lines to set, by name: a value, a list of values (one line each), or `null` to remove
 * every line of that name. Names are case-insensitive.
 * @since 0.3.0
 */
export type HeaderValues = Readonly<Record<string, string | readonly string[] | null>>;

/** One change, resolved at construction: lines to set, or `null` to remove the name. */
export type HeaderEdit = readonly [name: string, value: readonly string[] | null];

/**
 * The body's framing: a stage that changed or removed them could make the receiver read the body
 * at other bounds than the sender writes it (a smuggled request, a desynchronised connection), so
 * the proxy alone sets them.
 */
const FRAMING = new Set(['content-length', 'transfer-encoding']);

/** `name` as a valid header name the framing headers excepted, or a TypeError/RangeError naming `where`. */
function readName(name: unknown, where: string): string {
  if (typeof name !== 'string') throw new TypeError(`${where} must be a header name (string)`);
  try {
    validateHeaderName(name);
  } catch {
    throw new TypeError(`${where}: \`${name}\` is not a valid header name`);
  }
  if (FRAMING.has(name.toLowerCase()))
    throw new RangeError(`${where}: \`${name}\` frames the body; the proxy sets it`);
  return name;
}

/** One value Node would write, or a TypeError naming `where`. */
function readValue(name: string, value: unknown, where: string): string {
  if (typeof value !== 'string') throw new TypeError(`${where} must be a string`);
  try {
    validateHeaderValue(name, value);
  } catch {
    throw new TypeError(`${where} has a character a header value cannot carry`);
  }
  return value;
}

/** A record's value: a string, a non-empty list of strings, or `null`. */
function readValues(name: string, value: unknown, where: string): readonly string[] | null {
  if (value === null) return null;
  if (!Array.isArray(value)) return [readValue(name, value, where)];
  if (value.length === 0)
    throw new RangeError(`${where} is an empty list (\`null\` removes the header)`);
  return Object.freeze(value.map((one: unknown, i) => readValue(name, one, `${where}[${i}]`)));
}

/**
 * The edits of a {@link HeaderValues} record, checked now so that a mistake shows at start-up,
 * not on the first request. `fn` names the stage in the messages.
 */
export function readHeaderValues(record: unknown, fn: string): readonly HeaderEdit[] {
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    throw new TypeError(`${fn}: argument \`headers\` must be an object of header values`);
  const edits = Object.entries(record).map(([key, value]): HeaderEdit => {
    const name = readName(key, `${fn}: header name`);
    return [name, readValues(name, value, `${fn}: \`headers['${name}']\``)];
  });
  return Object.freeze(edits);
}

/** The removals of a list of names, checked now. */
export function readHeaderNames(names: unknown, fn: string): readonly HeaderEdit[] {
  if (!Array.isArray(names))
    throw new TypeError(`${fn}: argument \`names\` must be an array of header names`);
  const edits = names.map((name: unknown, i): HeaderEdit => {
    return [readName(name, `${fn}: \`names[${i}]\``), null];
  });
  return Object.freeze(edits);
}

/** Applies `edits` in order. */
export function applyEdits(headers: ProxyHeaders, edits: readonly HeaderEdit[]): void {
  for (const [name, value] of edits) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
}
