/**
 * `--metrics` with `--workers N`, the worker's side (the primary's is metrics-primary.ts): a scrape
 * is answered with the counts of every worker, added up by the primary (docs/cli.md, "Metrics").
 *
 * The messages on the cluster's IPC channel, each an object whose `kind` no report of worker.ts
 * has (those are `{ listening }`, `{ failed, exitCode }` and `'stop'`):
 * - worker → primary `{ kind: SCRAPE, id, counts }`: a scrape (numbered by the worker), with the
 *   worker's own counts;
 * - primary → worker `{ kind: COLLECT, id }`: the primary's request for a worker's counts;
 * - worker → primary `{ kind: COUNTS, id, counts }`: the answer, with the request's `id`;
 * - primary → worker `{ kind: TOTAL, id, counts }`: the counts added up, for scrape `id`.
 */
import type { Sharing, Snapshot } from './metrics.js';
import { readSnapshot } from './metrics-snapshot.js';

export const SCRAPE = 'upgrade-aware-proxy:metrics-scrape';
export const COLLECT = 'upgrade-aware-proxy:metrics-collect';
export const COUNTS = 'upgrade-aware-proxy:metrics-counts';
export const TOTAL = 'upgrade-aware-proxy:metrics-total';

/** How long a scrape waits for the primary's total before it is answered with the worker's counts. */
const TOTAL_MS = 2000;
/** Scrapes of a worker waiting for the primary at most; more are answered with its own counts. */
const MAX_WAITING = 8;

/** One of the messages above, or undefined for anything else on the channel. */
export interface MetricsMessage {
  kind: string;
  id: number;
  counts?: unknown;
}

/** The message's kind, number and counts (unchecked: readSnapshot checks them), if it has them. */
export function metricsMessage(message: unknown): MetricsMessage | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { kind, id, counts } = message as Record<string, unknown>;
  if (typeof kind !== 'string' || !Number.isSafeInteger(id)) return undefined;
  return { kind, id: id as number, counts };
}

/** Sends to the primary; a closed channel (the worker drains) is no error, the scrape's timer answers. */
function toPrimary(message: MetricsMessage): void {
  process.send?.(message, () => undefined);
}

/**
 * In a worker: answers the primary's requests for `own()` counts, and returns what asks the
 * primary for the total of a scrape (the worker's own counts when it does not answer in time).
 *
 * @example const metrics = createMetrics('/metrics', shareWithPrimary);
 */
export function shareWithPrimary(own: () => Snapshot): Sharing {
  const waiting = new Map<number, (total: Snapshot | undefined) => void>();
  let scrapes = 0;
  const listener = (message: unknown): void => {
    const m = metricsMessage(message);
    if (m?.kind === COLLECT) toPrimary({ kind: COUNTS, id: m.id, counts: own() });
    else if (m?.kind === TOTAL) waiting.get(m.id)?.(readSnapshot(m.counts));
  };
  process.on('message', listener);
  const total = (mine: Snapshot): Promise<Snapshot> =>
    new Promise((resolve) => {
      if (waiting.size >= MAX_WAITING) return resolve(mine);
      const id = (scrapes += 1);
      const done = (sum: Snapshot | undefined): void => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(sum ?? mine);
      };
      // Unref'd: a worker that drains exits without waiting for it (the scrape's socket is closed).
      const timer = setTimeout(() => done(undefined), TOTAL_MS).unref();
      waiting.set(id, done);
      toPrimary({ kind: SCRAPE, id, counts: mine });
    });
  const close = (): void => {
    process.off('message', listener);
    for (const done of [...waiting.values()]) done(undefined);
  };
  return { total, close };
}
