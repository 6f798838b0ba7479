/**
 * The backend location, parsed once. Paths and queries are kept exactly as written: WHATWG `URL`
 * would turn an empty path into `/` and re-escape, and Kubernetes' semantics depend on both.
 */
export interface Location {
  readonly protocol: 'http:' | 'https:';
  /** `host[:port]` as written, for `Host` with `useLocationHost`. */
  readonly host: string;
  /** Host name to dial, IPv6 brackets removed. */
  readonly hostname: string;
  readonly port: number;
  /** Raw path, possibly empty. */
  readonly path: string;
  /** Raw query without `?`, possibly empty. */
  readonly query: string;
  readonly href: string;
}

const SPLIT = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/;

/**
 * Parses `location`: a string without a scheme gets `http://` (Kubernetes' constructor does the
 * same); only `http` and `https` can be dialled.
 * @throws TypeError or RangeError naming `location`.
 */
export function parseLocation(input: string | URL): Location {
  if (typeof input !== 'string' && !(input instanceof URL)) {
    throw new TypeError('option `location` must be a string or a URL');
  }
  let text = typeof input === 'string' ? input.trim() : input.href;
  if (text === '') throw new RangeError('option `location` must not be empty');
  if (text.startsWith('//')) text = 'http:' + text;
  else if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) text = 'http://' + text;
  const parts = SPLIT.exec(text);
  let url: URL;
  try {
    if (!parts) throw new Error('unparsable');
    url = new URL(text);
  } catch {
    throw new RangeError(
      `option \`location\` is not a valid URL: ${JSON.stringify(String(input))}`,
    );
  }
  const [, , authority = '', path = '', query = ''] = parts;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RangeError(`option \`location\` must be an http or https URL, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '' || authority.includes('@')) {
    throw new RangeError(
      'option `location` must not carry credentials; send them as a header instead',
    );
  }
  if (url.hostname === '') throw new RangeError('option `location` must name a host');
  return Object.freeze({
    protocol: url.protocol,
    host: authority,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    path,
    query,
    href: text,
  });
}
