import type { ProxyExchange, ProxyResponse, ResponseStage } from '../types/stages.js';

/**
 * A cookie attribute's new value: one string for every value, or a record from old value to new,
 * `'*'` matching any value the record does not name. An empty string removes the attribute.
 * @since 0.3.0
 */
export type CookieRewrite = string | Readonly<Record<string, string>>;

/** Options of {@link rewriteCookies}. @since 0.3.0 */
export interface RewriteCookiesOptions {
  /** The `Domain` attribute; old domains match case-insensitively. */
  domain?: CookieRewrite;
  /** The `Path` attribute; old paths match exactly. */
  path?: CookieRewrite;
}

/** The new value of one attribute for an old one, or undefined to leave it. */
type Rewrite = (old: string) => string | undefined;

/** What a new value may hold: a cookie-av's octets (RFC 6265 section 4.1.1), no `;`. */
const VALUE = /^[\x20-\x3a\x3c-\x7e]*$/;

function readValue(value: unknown, where: string): string {
  if (typeof value !== 'string')
    throw new TypeError(`rewriteCookies: \`${where}\` must be a string`);
  if (!VALUE.test(value))
    throw new TypeError(`rewriteCookies: \`${where}\` may hold printable ASCII but \`;\` only`);
  return value;
}

/** The rewrite of `option` (`domain` or `path`), checked now; `fold` normalises old values. */
function readRewrite(option: unknown, name: string, fold: (s: string) => string): Rewrite {
  if (typeof option === 'string') {
    const value = readValue(option, name);
    return () => value;
  }
  if (typeof option !== 'object' || option === null || Array.isArray(option))
    throw new TypeError(`rewriteCookies: \`${name}\` must be a string or a record of strings`);
  // A Map, not the record: an old value such as `constructor` must not find Object's.
  const map = new Map<string, string>();
  for (const [old, value] of Object.entries(option))
    map.set(old === '*' ? old : fold(old), readValue(value, `${name}['${old}']`));
  return (old) => map.get(fold(old)) ?? map.get('*');
}

/** One attribute's rewrite: every `; <attribute>=<value>` of a line, and the value's new form. */
interface AttributeRewrite {
  pattern: RegExp;
  rewrite: Rewrite;
}

function attributeRewrite(attribute: string, option: unknown): AttributeRewrite {
  return {
    pattern: new RegExp(`(;\\s*${attribute}\\s*=)([^;]+)`, 'gi'),
    // Domains are case-insensitive (RFC 6265 section 5.1.3); paths are not (section 5.1.4).
    rewrite: readRewrite(option, attribute, attribute === 'domain' ? lower : same),
  };
}

/**
 * Every occurrence of the attribute in one Set-Cookie line rewritten, not the first alone as
 * http-proxy does: a browser takes the last one (RFC 6265 section 5.3, steps 4 and 5).
 */
function rewriteLine(line: string, { pattern, rewrite }: AttributeRewrite): string {
  return line.replace(pattern, (match, prefix: string, old: string) => {
    const value = rewrite(old.trim());
    if (value === undefined) return match;
    return value === '' ? '' : `${prefix}${value}`;
  });
}

const same = (s: string): string => s;
const lower = (s: string): string => s.toLowerCase();

function readOptions(options: unknown): AttributeRewrite[] {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('rewriteCookies: argument `options` must be an object');
  const rewrites: AttributeRewrite[] = [];
  for (const [key, option] of Object.entries(options)) {
    if (key !== 'domain' && key !== 'path')
      throw new TypeError(`rewriteCookies: unknown option \`${key}\``);
    if (option !== undefined) rewrites.push(attributeRewrite(key, option));
  }
  if (rewrites.length === 0) throw new TypeError('rewriteCookies: give `domain`, `path` or both');
  return rewrites;
}

/**
 * A response stage that rewrites the `Domain` and `Path` attributes of every Set-Cookie line, as
 * http-proxy's `cookieDomainRewrite` and `cookiePathRewrite` (docs/stages.md, "rewriteCookies").
 *
 * @param options `domain` and/or `path`: a string for every value, or a record old to new.
 * @since 0.3.0
 * @example stages: { response: [rewriteCookies({ domain: { 'backend.local': 'app.example' } })] }
 */
export function rewriteCookies(options: RewriteCookiesOptions): ResponseStage {
  const rewrites = readOptions(options);
  return (_ex: ProxyExchange, res: ProxyResponse) => {
    const lines = res.headers.getAll('set-cookie');
    const changed = lines.map((line) => rewrites.reduce(rewriteLine, line));
    if (changed.some((line, i) => line !== lines[i])) res.headers.set('set-cookie', changed);
  };
}
