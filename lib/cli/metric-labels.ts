/**
 * The label values of `--metrics` (docs/cli.md, "Metrics"): each from a fixed set whatever clients
 * send, so that clients cannot make the proxy keep new series. The same sets check the counts
 * another worker sends (metrics-snapshot.ts).
 */
import { label } from './prometheus.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT'];
const METHOD_SET = new Set(METHODS);
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'none'];
const CLOSERS = ['client', 'backend', 'proxy', 'other'];
const CODE = /^ERR_[A-Z0-9_]{1,60}$/;

/** A count or a time from a message; anything else counts 0. */
export const number = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;

/** `2xx` for 200 to 299; `none` when nothing was answered (status 0). */
export function statusClass(status: unknown): string {
  const n = number(status);
  return n >= 100 && n < 600 ? `${Math.floor(n / 100)}xx` : 'none';
}

/** The method as a label: one of a fixed set, else `other`. */
export function methodLabel(req: unknown): string {
  const method = (req as { method?: unknown } | null)?.method;
  return typeof method === 'string' && METHOD_SET.has(method) ? method : 'other';
}

/** An error's code as a label: an `ERR_*` code, else `other`. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CODE.test(code) ? code : 'other';
}

/** Which side closed a tunnel: `client`, `backend` or `proxy`, else `other`. */
export function closedBy(value: unknown): string {
  return typeof value === 'string' && CLOSERS.includes(value) ? value : 'other';
}

/** Every label text `requests_total` can have: each method (and `other`) by each status class. */
const REQUEST_LABELS = new Set(
  [...METHODS, 'other'].flatMap((method) =>
    STATUS_CLASSES.map((status_class) => label({ method, status_class })),
  ),
);
const CLOSED_LABELS = new Set(CLOSERS.map((by) => label({ closed_by: by })));

/**
 * Whether `text` is a label text the counting side could have written for the family with these
 * label names (none: only `''`). Codes are `ERR_*` names, which need no escaping.
 */
export function possibleLabels(labelled: 'requests' | 'closed' | 'errors' | '', text: string) {
  if (labelled === 'requests') return REQUEST_LABELS.has(text);
  if (labelled === 'closed') return CLOSED_LABELS.has(text);
  if (labelled === 'errors') {
    const code = /^\{code="(.*)"\}$/.exec(text)?.[1];
    return code !== undefined && (code === 'other' || CODE.test(code));
  }
  return text === '';
}
