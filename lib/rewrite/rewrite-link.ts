import { cleanPath } from './go/path.js';
import { fromByteString, toByteString } from './go/strings.js';
import { escapePath } from './go/escape.js';
import { formatUrl, parseUrl } from './go/url.js';
import { rewriteUrl, type RewriteTarget } from './rewrite-url.js';

/**
 * The rewrite of one link (an HTML attribute's decoded value): Kubernetes' `rewriteURL` through
 * the Go URL rules, with a fast path for the shapes nearly every page is made of, which gives the
 * same answer without parsing (`__tests__/rewrite/link-fast-path.test.ts` checks it against the
 * full rules on a generated corpus).
 */

/** What every link of one response is rewritten against. */
export interface LinkContext {
  /** The backend's `host[:port]`. */
  readonly sourceHost: string;
  /** The `Host` header sent to the backend. */
  readonly requestHost: string;
  readonly target: RewriteTarget;
}

/** The fast path's answer when it cannot tell: the full rules decide. */
export const SLOW = null;

/** Per byte: 1 when a path keeps it as it is (Go's path escaping), 2 when a fragment also does. */
export const KEEPS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~$&+,:;=@')
  KEEPS[c.charCodeAt(0)] = 3;
for (const c of '/?!()*') KEEPS[c.charCodeAt(0)] = 2;

/** The bytes both fast paths (this one, and html/link-bytes.ts's) look for. */
export const SLASH = 0x2f;
export const DOT = 0x2e;
export const QUESTION = 0x3f;
export const HASH = 0x23;
export const COLON = 0x3a;
export const PERCENT = 0x25;

/** What the fast path needs of a {@link LinkContext}, computed once per response. */
export interface LinkPlan {
  readonly prefix: string;
  /** What a rewritten path is preceded by (the proxy's `scheme://host`, or nothing); null: no fast path. */
  readonly origin: string | null;
  /** The escaped, cleaned prefix a path is joined under (`''` for `/`); null: the full rules join. */
  readonly base: string | null;
}

const ASCII = /^[\x20-\x7e]*$/;

/** The plan of `c`; the parts come from the full rules themselves, so they are Go's. */
export function linkPlan(c: LinkContext): LinkPlan {
  const { scheme, host, pathPrepend: prefix } = c.target;
  // Kubernetes keeps the URL's own (empty) host when the Host header is empty and the proxy's side unknown.
  const keep = c.requestHost === '' && scheme === '' && host === '';
  const root = formatUrl({ ...parseUrl('/'), scheme, host });
  const origin = keep ? '' : root.slice(0, -1);
  const clean = prefix.startsWith('/') ? cleanPath(prefix) : null;
  const base = clean === null ? null : clean === '/' ? '' : escapePath(clean);
  // Both are escaped, hence ASCII; were they not, text and Go string would differ.
  const plain = ASCII.test(origin) && (base === null || ASCII.test(base));
  return { prefix, origin: plain ? origin : null, base: plain ? base : null };
}

/**
 * The fast path: undefined (the link stays as it is), the new value, or {@link SLOW}. A value that
 * does not start with `/` (nor with `%`, which may be `%2F`) and has no `:` before its first `/`, `?` or `#` is a relative reference
 * or no URL at all (a rootless path, a bad scheme), which Kubernetes never rewrites; nor a `scheme:`
 * not followed by `/` (`mailto:`, `javascript:`: an opaque URL). A `/path` of segments that need
 * no escaping or cleaning, with a printable ASCII query and a fragment Go keeps as written, is
 * prefix + path, as `path.Join` gives it.
 */
export function fastLinkRewrite(value: string, plan: LinkPlan): string | undefined | null {
  const first = value.charCodeAt(0);
  // `%2F` decodes to a `/`: Kubernetes tests the decoded path.
  if (first !== SLASH) return first === PERCENT ? SLOW : relative(value);
  if (plan.origin === null) return SLOW;
  const pathEnd = plainPathEnd(value);
  if (pathEnd < 0) return SLOW;
  const restEnd = suffixEnd(value, pathEnd);
  if (restEnd < 0) return SLOW;
  const { prefix, base } = plan;
  const under = prefix.length <= pathEnd && value.startsWith(prefix);
  if (!under && base === null) return SLOW;
  const path = value.slice(0, pathEnd);
  const head = plan.origin + (under ? path : base + path);
  return head === path ? undefined : head + value.slice(pathEnd, restEnd);
}

/** A value not starting with `/`: undefined when it cannot be rewritten, else SLOW. */
function relative(value: string): undefined | null {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === SLASH || c === QUESTION || c === HASH) return undefined;
    if (c === COLON) return value.charCodeAt(i + 1) === SLASH ? SLOW : undefined;
  }
  return undefined;
}

/**
 * The end of a path at the start of `value` made of `/`-separated segments that are not empty,
 * `.` or `..` and hold only bytes Go's path escaping keeps (one trailing `/` allowed); -1 if not.
 */
function plainPathEnd(value: string): number {
  let start = 1; // the current segment's
  let i = 1;
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === SLASH) {
      if (!plainSegment(value, start, i)) return -1;
      start = i + 1;
    } else if (c === QUESTION || c === HASH) break;
    else if (c >= 128 || (KEEPS[c]! & 1) === 0) return -1;
  }
  return i === start || plainSegment(value, start, i) ? i : -1;
}

function plainSegment(value: string, start: number, end: number): boolean {
  const n = end - start;
  if (n > 2 || n === 0) return n > 0;
  return value.charCodeAt(start) !== DOT || (n === 2 && value.charCodeAt(start + 1) !== DOT);
}

/**
 * Where what follows the path ends once formatted: a query of printable ASCII is kept as written,
 * then a fragment of bytes Go does not escape; an empty fragment is dropped with its `#`. -1 when
 * the full rules must decide.
 */
function suffixEnd(value: string, at: number): number {
  const n = value.length;
  if (value.charCodeAt(at) === QUESTION)
    for (at++; at < n && value.charCodeAt(at) !== HASH; at++) {
      const c = value.charCodeAt(at);
      if (c < 0x20 || c > 0x7e) return -1;
    }
  if (at >= n - 1) return at; // no fragment, or an empty one
  for (let i = at + 1; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || KEEPS[c] === 0) return -1;
  }
  return n;
}

/** The full rules: Go's `url.Parse`, Kubernetes' `rewriteURL`, `URL.String`. */
export function slowLinkRewrite(value: string, c: LinkContext): string | undefined {
  let parsed;
  try {
    parsed = parseUrl(toByteString(value));
  } catch {
    return undefined; // Kubernetes leaves a value that is not a URL as it is
  }
  const rewritten = rewriteUrl(parsed, { host: c.sourceHost }, c.requestHost, c.target);
  return rewritten === formatUrl(parsed) ? undefined : fromByteString(rewritten);
}

/**
 * The rewrite of every link attribute of one response: undefined keeps the value's bytes when
 * nothing but escaping would change (docs/differences.md, P5). `plan` is `c`'s, when made already.
 * @example createLinkRewrite({ sourceHost: 'b:80', requestHost: 'b:80', target })('/a') // '/p/a'
 */
export function createLinkRewrite(
  c: LinkContext,
  plan = linkPlan(c),
): (value: string) => string | undefined {
  return (value) => {
    const fast = fastLinkRewrite(value, plan);
    return fast === SLOW ? slowLinkRewrite(value, c) : fast;
  };
}
