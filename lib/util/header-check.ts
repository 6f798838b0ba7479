import { debug } from './debug.js';

/** A header name Node accepts: an RFC 9110 section 5.6.2 token, as Node's own `checkIsHttpToken`. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * What Node refuses in a header value or reason phrase (its `checkInvalidHeaderChar`): any control
 * character but HTAB, CR and LF among them, and DEL (RFC 9110 section 5.5).
 */
const INVALID_TEXT = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Whether Node would write `name: value` without throwing. undici's parser passes names Node's
 * writers refuse (`X-T ` with a trailing space, an empty name), a server with
 * `insecureHTTPParser` passes control characters, and `writeHead`, `setHeader` and
 * `addTrailers` throw on them: a regex test per line is cheaper than a try/catch per call.
 */
export function validHeader(name: string, value: string): boolean {
  if (TOKEN.test(name) && !INVALID_TEXT.test(value)) return true;
  debug(
    'dropped a header or trailer with an invalid name or value: %s',
    JSON.stringify(name.slice(0, 64)),
  );
  return false;
}

/** Whether `text` may be written as a reason phrase or header value: no CR, LF or other control character. */
export function validText(text: string): boolean {
  return !INVALID_TEXT.test(text);
}

/** Adds one backend header line to a map by lower-case name, every value of a repeated name kept; an invalid line is dropped. */
export function addHeader(headers: Map<string, string[]>, name: string, value: string): void {
  if (!validHeader(name, value)) return;
  const key = name.toLowerCase();
  const values = headers.get(key);
  if (values) values.push(value);
  else headers.set(key, [value]);
}

/** A raw `[name, value, ...]` list without its invalid lines: the same array when every line is valid. */
export function validRaw(raw: readonly string[]): string[] {
  let out: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const valid = validHeader(raw[i]!, raw[i + 1]!);
    if (!valid && out === undefined) out = raw.slice(0, i);
    else if (valid && out !== undefined) out.push(raw[i]!, raw[i + 1]!);
  }
  return out ?? (raw as string[]);
}
