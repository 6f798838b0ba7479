/**
 * `--metrics PATH` (docs/cli.md, "Metrics"): the diagnostics channels counted and served in
 * Prometheus' text format 0.0.4, written by hand (the CLI carries no metrics library). Every label
 * value comes from a fixed set (an unknown method is `other`): clients cannot grow the memory.
 */
import dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { Family, Histogram, label } from './prometheus.js';

export { labelValue } from './prometheus.js';

const PREFIX = 'upgrade_aware_proxy_';
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT']);

/** A count or a time from a message; anything else counts 0. */
const number = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
/** `2xx` for 200 to 299; `none` when nothing was answered (status 0). */
export function statusClass(status: unknown): string {
  const n = number(status);
  return n >= 100 && n < 600 ? `${Math.floor(n / 100)}xx` : 'none';
}

/** The method as a label: one of a fixed set, else `other`. */
export function methodLabel(req: unknown): string {
  const method = (req as { method?: unknown } | null)?.method;
  return typeof method === 'string' && METHODS.has(method) ? method : 'other';
}

/** An error's code as a label: an `ERR_*` code, else `other`. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^ERR_[A-Z0-9_]{1,60}$/.test(code) ? code : 'other';
}

/** Each metric: its name after the prefix, type, help, and whether it has labels. */
const SPECS = {
  requests: ['requests_total', 'counter', 'Requests by method and status class (101: 1xx).', true],
  aborted: ['requests_aborted_total', 'counter', 'Requests whose client left early.', false],
  received: ['request_received_bytes_total', 'counter', 'Request body bytes received.', false],
  sent: ['request_sent_bytes_total', 'counter', 'Bytes written to clients, heads included.', false],
  open: ['tunnels_open', 'gauge', 'Tunnels open now.', false],
  tunnels: ['tunnels_total', 'counter', 'Tunnels opened (upgrades switched with 101).', false],
  closed: ['tunnels_closed_total', 'counter', 'Tunnels closed, by the side that closed.', true],
  tunnelIn: ['tunnel_received_bytes_total', 'counter', 'Client bytes, closed tunnels.', false],
  tunnelOut: ['tunnel_sent_bytes_total', 'counter', 'Bytes to clients, closed tunnels.', false],
  errors: ['errors_total', 'counter', 'Errors by error code.', true],
} as const;

function families(): Record<keyof typeof SPECS, Family> {
  const entries = Object.entries(SPECS).map(([key, [name, type, help, labelled]]) => [
    key,
    new Family(PREFIX + name, type, help, !labelled),
  ]);
  return Object.fromEntries(entries) as Record<keyof typeof SPECS, Family>;
}

type Message = Record<string, unknown> | null;

/** The counting done for each channel; `m` is whatever was published (anyone may publish). */
function handlers(m: ReturnType<typeof families>, duration: Histogram) {
  const requestDone = (msg: Message, status: unknown): void => {
    m.requests.add(1, label({ method: methodLabel(msg?.req), status_class: statusClass(status) }));
    duration.observe(number(msg?.ms) / 1000);
  };
  const closedBy = (value: unknown): string =>
    value === 'client' || value === 'backend' || value === 'proxy' ? value : 'other';
  return {
    'request:end': (msg: Message): void => {
      requestDone(msg, msg?.status);
      if (msg?.aborted === true) m.aborted.add(1);
      m.received.add(number(msg?.bytesIn));
      m.sent.add(number(msg?.bytesOut));
    },
    'request:error': (msg: Message): void =>
      m.errors.add(1, label({ code: errorCode(msg?.error) })),
    'tunnel:open': (msg: Message): void => {
      requestDone(msg, 101);
      m.open.add(1);
      m.tunnels.add(1);
    },
    'tunnel:close': (msg: Message): void => {
      m.open.add(-1);
      m.closed.add(1, label({ closed_by: closedBy(msg?.closedBy) }));
      m.tunnelIn.add(number(msg?.bytesIn));
      m.tunnelOut.add(number(msg?.bytesOut));
    },
  };
}

/** The proxy's metrics, counted from its diagnostics channels. */
export interface Metrics {
  /** Everything counted so far, in the text format. */
  text(): string;
  /** Answers `req` when it asks for the metrics path (GET or HEAD; else 405); false otherwise. */
  answer(req: IncomingMessage, res: ServerResponse): boolean;
  /** Stops counting. */
  close(): void;
}

/**
 * Starts counting and returns what serves the counts on `path`.
 *
 * @example const metrics = createMetrics('/metrics'); if (metrics.answer(req, res)) return;
 */
export function createMetrics(path: string): Metrics {
  const m = families();
  const duration = new Histogram(`${PREFIX}request_duration_seconds`);
  const subscribed = Object.entries(handlers(m, duration)).map(([name, handle]) => {
    const fn = (message: unknown): void => {
      try {
        handle(typeof message === 'object' ? (message as Message) : null);
      } catch {
        // A message that cannot be read is not counted; a subscriber's throw would end the process.
      }
    };
    dc.subscribe(`upgrade-aware-proxy:${name}`, fn);
    return () => dc.unsubscribe(`upgrade-aware-proxy:${name}`, fn);
  });
  const text = (): string =>
    [...Object.values(m).flatMap((family) => family.lines()), ...duration.lines(), ''].join('\n');
  return {
    text,
    answer: (req, res) => (req.url ?? '').split('?')[0] === path && serve(req, res, text),
    close: () => subscribed.forEach((unsubscribe) => unsubscribe()),
  };
}

/** The metrics to a GET or HEAD; 405 to any other method. */
function serve(req: IncomingMessage, res: ServerResponse, text: () => string): true {
  const allowed = req.method === 'GET' || req.method === 'HEAD';
  const body = allowed ? text() : 'method not allowed\n';
  res.writeHead(allowed ? 200 : 405, {
    'Content-Type': allowed ? CONTENT_TYPE : 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...(allowed ? {} : { Allow: 'GET, HEAD' }),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
