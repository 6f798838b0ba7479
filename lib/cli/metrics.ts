/**
 * `--metrics PATH` (docs/cli.md, "Metrics"): the diagnostics channels counted and served in
 * Prometheus' text format 0.0.4, written by hand (the CLI carries no metrics library). Every label
 * value comes from a fixed set (an unknown method is `other`): clients cannot grow the memory.
 */
import dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { closedBy, errorCode, methodLabel, number, statusClass } from './metric-labels.js';
import { Tally, render } from './metrics-snapshot.js';
import type { Snapshot } from './metrics-snapshot.js';
import { label } from './prometheus.js';

export { errorCode, methodLabel, statusClass } from './metric-labels.js';
export { labelValue } from './prometheus.js';
export type { Snapshot } from './metrics-snapshot.js';

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Message = Record<string, unknown> | null;

/** The counting done for each channel; `m` is whatever was published (anyone may publish). */
function handlers({ families: m, duration }: Tally) {
  const requestDone = (msg: Message, status: unknown): void => {
    m.requests.add(1, label({ method: methodLabel(msg?.req), status_class: statusClass(status) }));
    duration.observe(number(msg?.ms) / 1000);
  };
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

/** How a worker of `--workers N` gets the counts of every worker (metrics-worker.ts). */
export interface Sharing {
  /** Resolves with the counts of the workers that answered in time, `own` included; never rejects. */
  total(own: Snapshot): Promise<Snapshot>;
  /** Stops answering the primary. */
  close(): void;
}

/** The proxy's metrics, counted from its diagnostics channels. */
export interface Metrics {
  /** This process's counts. */
  snapshot(): Snapshot;
  /** This process's counts, in the text format. */
  text(): string;
  /**
   * Answers `req` when it asks for the metrics path (GET or HEAD; else 405); false otherwise.
   * Shared counts are answered once the other workers' counts are in.
   */
  answer(req: IncomingMessage, res: ServerResponse): boolean;
  /** Stops counting. */
  close(): void;
}

/** Subscribes the counting to the channels; returns the unsubscribes. */
function subscribe(tally: Tally): (() => void)[] {
  return Object.entries(handlers(tally)).map(([name, handle]) => {
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
}

/**
 * Starts counting and returns what serves the counts on `path`: this process's, or with `share`
 * (a worker of `--workers N`) every worker's, added up.
 *
 * @param [share] given this process's counts, what totals them across the workers
 * @example const metrics = createMetrics('/metrics'); if (metrics.answer(req, res)) return;
 */
export function createMetrics(path: string, share?: (own: () => Snapshot) => Sharing): Metrics {
  const tally = new Tally();
  const subscribed = subscribe(tally);
  const sharing = share?.(() => tally.snapshot());
  const counts = (): string | Promise<string> =>
    sharing ? sharing.total(tally.snapshot()).then(render) : tally.text();
  return {
    snapshot: () => tally.snapshot(),
    text: () => tally.text(),
    answer: (req, res) => (req.url ?? '').split('?')[0] === path && serve(req, res, counts),
    close: () => {
      subscribed.forEach((unsubscribe) => unsubscribe());
      sharing?.close();
    },
  };
}

/** The metrics to a GET or HEAD, at once or once they are in; 405 to any other method. */
function serve(req: IncomingMessage, res: ServerResponse, counts: () => string | Promise<string>) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(req, res, 405, 'method not allowed\n');
    return true;
  }
  const body = counts();
  if (typeof body === 'string') send(req, res, 200, body);
  else void body.then((text) => send(req, res, 200, text)).catch(() => res.destroy());
  return true;
}

function send(req: IncomingMessage, res: ServerResponse, status: 200 | 405, body: string): void {
  res.writeHead(status, {
    'Content-Type': status === 200 ? CONTENT_TYPE : 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...(status === 200 ? {} : { Allow: 'GET, HEAD' }),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
