import { recode, type Recoder } from '../rewrite/codec.js';
import { debug } from '../util/debug.js';
import type { ProxyExchange, ProxyResponse } from '../types/stages.js';

/** Options every body stage takes. @since 0.3.0 */
export interface BodyStageOptions {
  /**
   * The media types whose bodies the stage handles, matched against Content-Type without its
   * parameters, case-insensitively: `text/html`, `application/json`, `text/*`, or `*\/*`.
   */
  types: readonly string[];
}

/** An RFC 9110 token without `*`, which only a wildcard holds. */
const TOKEN = "[!#$%&'+.^_`|~0-9a-z-]+";
const MEDIA_RANGE = new RegExp(`^(?:\\*/\\*|${TOKEN}/\\*|${TOKEN}/${TOKEN})$`, 'i');

/** Which Content-Type values a list of media ranges matches, checked now. */
export function readTypes(options: unknown, fn: string): (contentType: string) => boolean {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${fn}: argument \`options\` must be an object`);
  const { types } = options as { types?: unknown };
  if (!Array.isArray(types))
    throw new TypeError(`${fn}: \`types\` must be an array of media types`);
  if (types.length === 0) throw new RangeError(`${fn}: \`types\` is empty`);
  const ranges = types.map((type: unknown, i) => {
    if (typeof type !== 'string' || !MEDIA_RANGE.test(type))
      throw new TypeError(
        `${fn}: \`types[${i}]\` must be a media type such as 'text/html' or 'text/*'`,
      );
    return type.toLowerCase();
  });
  return (contentType) => {
    const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
    const any = `${type.slice(0, type.indexOf('/') + 1)}*`;
    return ranges.some((range) => range === type || range === any || range === '*/*');
  };
}

/**
 * True when this answer has no body to change: a HEAD request's, 204, 304 (RFC 9110 section
 * 6.4.1), a partial 206 (a transform sees a fragment, and Content-Range would no longer hold).
 */
function bodiless(ex: ProxyExchange, res: ProxyResponse): boolean {
  const { status } = res;
  return (
    ex.method === 'HEAD' ||
    ex.req.method === 'HEAD' ||
    status === 204 ||
    status === 304 ||
    status === 206
  );
}

/**
 * The decoder and encoder for this answer's body when a body stage should handle it, or undefined
 * to let it pass: no body, a type not listed, or a content coding the codec does not know
 * (anything but gzip, deflate, br and identity, or several codings), since its bytes cannot be
 * read. On a match the headers that described the old bytes go: ETag (weak or strong, it was
 * the backend's validator for other bytes), Content-MD5 and Accept-Ranges. Content-Length is
 * left to the caller.
 */
export function bodyRecoder(
  ex: ProxyExchange,
  res: ProxyResponse,
  matches: (contentType: string) => boolean,
): Recoder | undefined {
  const type = res.headers.get('content-type');
  if (bodiless(ex, res) || type === undefined || !matches(type)) return undefined;
  const codec = recode(res.headers.get('content-encoding'));
  if (codec === null) {
    debug(
      'body stage: unknown content coding %s, body passed as it is',
      res.headers.get('content-encoding'),
    );
    return undefined;
  }
  for (const name of ['etag', 'content-md5', 'accept-ranges']) res.headers.delete(name);
  return codec;
}
