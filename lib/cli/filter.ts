/**
 * The request filter of `kubectl proxy` (kubectl `pkg/proxy/proxy_server.go`, `FilterServer`).
 *
 * A request is rejected when its path matches a reject-path pattern or its method matches a
 * reject-method pattern; otherwise it is accepted only when its path matches an accept-path pattern
 * and its host matches an accept-host pattern. Patterns are Go's (RE2), translated so that they match
 * what they match in kubectl (`re2.ts`), and unanchored unless they anchor themselves.
 */
import { re2ToRegExp } from './re2.js';

/** Hosts accepted by default: the loopback names only, which is what stops XSRF from web pages. */
export const DEFAULT_HOST_ACCEPT_RE = '^localhost$,^127\\.0\\.0\\.1$,^\\[::1\\]$';

/** Paths accepted by default: all of them. */
export const DEFAULT_PATH_ACCEPT_RE = '^.*';

/** Paths rejected by default: `exec` and `attach` into pods. */
export const DEFAULT_PATH_REJECT_RE = '^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach';

/** Methods rejected by default: none (`^$` matches only an empty method). */
export const DEFAULT_METHOD_REJECT_RE = '^$';

/** The patterns a filter is built from, each list already parsed by {@link parseRegexpList}. */
export interface FilterOptions {
  acceptPaths: RegExp[];
  rejectPaths: RegExp[];
  acceptHosts: RegExp[];
  rejectMethods: RegExp[];
}

/** The part of a request the filter looks at. */
export interface FilterRequest {
  method?: string;
  url?: string;
  headers: { host?: string };
}

/** Decides whether a request may go through; `path` is the decoded path after prefix stripping. */
export type RequestFilter = (req: FilterRequest, path: string) => boolean;

/**
 * Parses a comma-separated list of Go regular expressions, as kubectl's `MakeRegexpArray` does.
 *
 * @param text The flag's value; an empty string gives an empty list (kubernetes/kubernetes#99616).
 * @param flag The flag the value came from, named in the error message.
 * @throws {Error} When a pattern is not a valid regular expression.
 * @example parseRegexpList('POST,PUT,PATCH', '--reject-methods') // three patterns
 */
export function parseRegexpList(text: string, flag: string): RegExp[] {
  if (text === '') return [];
  const name = flag.startsWith('-') ? flag : `--${flag}`;
  return text.split(',').map((pattern) => {
    try {
      return re2ToRegExp(pattern);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`${name}: invalid regular expression ${JSON.stringify(pattern)}: ${reason}`, {
        cause: err,
      });
    }
  });
}

/**
 * Tells whether any pattern matches anywhere in `value` (no implicit anchoring).
 *
 * @example matchesAny('foo', parseRegexpList('bar,fo.*', '--accept-paths')) // true
 */
export function matchesAny(value: string, patterns: RegExp[]): boolean {
  return patterns.some((pattern) => pattern.test(value));
}

/**
 * The host part of a `Host` header: the port is stripped as Go's `net.SplitHostPort` does, and a
 * value it would refuse is returned whole. Unlike kubectl, IPv6 brackets are kept, so `[::1]:8001`
 * gives `[::1]`, which the default `^\[::1\]$` accepts (docs/differences.md, P11;
 * kubernetes/kubernetes#77496).
 *
 * @example extractHost('localhost:8085') // 'localhost'
 * @example extractHost('[::1]:8001') // '[::1]'
 */
export function extractHost(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    if (end === -1) return hostHeader;
    const rest = hostHeader.slice(end + 1);
    // `[::1]` alone or `[::1]:port`; anything else after the bracket is not a host:port.
    return rest === '' || rest.startsWith(':') ? hostHeader.slice(0, end + 1) : hostHeader;
  }
  const colon = hostHeader.lastIndexOf(':');
  if (colon === -1) return hostHeader;
  const host = hostHeader.slice(0, colon);
  // Go refuses an unbracketed host with a colon in it ("too many colons") or a stray bracket.
  return /[:[\]]/.test(host) ? hostHeader : host;
}

/**
 * Builds kubectl proxy's `accept` decision from parsed pattern lists.
 *
 * @example
 * const accept = createFilter({
 *   acceptPaths: parseRegexpList(DEFAULT_PATH_ACCEPT_RE, '--accept-paths'),
 *   rejectPaths: parseRegexpList(DEFAULT_PATH_REJECT_RE, '--reject-paths'),
 *   acceptHosts: parseRegexpList(DEFAULT_HOST_ACCEPT_RE, '--accept-hosts'),
 *   rejectMethods: parseRegexpList(DEFAULT_METHOD_REJECT_RE, '--reject-methods'),
 * });
 * accept(req, '/api/v1/pods'); // true for GET from localhost
 */
export function createFilter(options: FilterOptions): RequestFilter {
  const { acceptPaths, rejectPaths, acceptHosts, rejectMethods } = options;
  return (req, path) => {
    if (matchesAny(path, rejectPaths)) return false;
    if (matchesAny(req.method ?? '', rejectMethods)) return false;
    return (
      matchesAny(path, acceptPaths) && matchesAny(extractHost(req.headers.host ?? ''), acceptHosts)
    );
  };
}
