/**
 * The counts of `--metrics` as plain data (a snapshot), so that the counts of every worker of
 * `--workers N` can travel over the cluster's IPC channel and be added up (docs/cli.md, "Metrics").
 * A snapshot from another process is read as hostile: only the label texts the counting side could
 * have written and finite, non-negative numbers are kept, at most MAX_SERIES per family.
 */
import { possibleLabels } from './metric-labels.js';
import { BUCKETS, Family, Histogram } from './prometheus.js';
import type { HistogramData } from './prometheus.js';

const PREFIX = 'upgrade_aware_proxy_';

/** Each metric: its name after the prefix, type, help, and which label set it has ('' for none). */
const SPECS = {
  requests: [
    'requests_total',
    'counter',
    'Requests by method and status class (101: 1xx).',
    'requests',
  ],
  aborted: ['requests_aborted_total', 'counter', 'Requests whose client left early.', ''],
  received: ['request_received_bytes_total', 'counter', 'Request body bytes received.', ''],
  sent: ['request_sent_bytes_total', 'counter', 'Bytes written to clients, heads included.', ''],
  open: ['tunnels_open', 'gauge', 'Tunnels open now.', ''],
  tunnels: ['tunnels_total', 'counter', 'Tunnels opened (upgrades switched with 101).', ''],
  closed: ['tunnels_closed_total', 'counter', 'Tunnels closed, by the side that closed.', 'closed'],
  tunnelIn: ['tunnel_received_bytes_total', 'counter', 'Client bytes, closed tunnels.', ''],
  tunnelOut: ['tunnel_sent_bytes_total', 'counter', 'Bytes to clients, closed tunnels.', ''],
  errors: ['errors_total', 'counter', 'Errors by error code.', 'errors'],
} as const;

/** The families' keys, in the order they are written. */
export type FamilyKey = keyof typeof SPECS;
const KEYS = Object.keys(SPECS) as FamilyKey[];

/** Series kept per family from snapshots: above the 54 of requests_total, room for every error code. */
const MAX_SERIES = 100;
/** The most workers `--workers` starts. */
const MAX_WORKERS = 1024;

/** Everything counted, as plain data. */
export interface Snapshot {
  /** How many workers' counts these are (1 for one process). */
  workers: number;
  /** Each family's samples: label text (`''` for none) and value. */
  samples: Record<FamilyKey, [string, number][]>;
  duration: HistogramData;
}

/** Counts: what a process counts into, and what the counts of several processes are added into. */
export class Tally {
  readonly families = Object.fromEntries(
    KEYS.map((key) => {
      const [name, type, help, labels] = SPECS[key];
      return [key, new Family(PREFIX + name, type, help, labels === '')];
    }),
  ) as Record<FamilyKey, Family>;
  readonly duration = new Histogram(`${PREFIX}request_duration_seconds`);

  /** `workers`: how many workers' counts it starts with (0 for a sum). */
  constructor(public workers = 1) {}

  snapshot(): Snapshot {
    const samples = Object.fromEntries(KEYS.map((key) => [key, [...this.families[key].samples]]));
    return {
      workers: this.workers,
      samples: samples as Snapshot['samples'],
      duration: this.duration.data(),
    };
  }

  /** Adds a snapshot (one this process made, or one readSnapshot checked). */
  add(snapshot: Snapshot): void {
    this.workers += snapshot.workers;
    for (const key of KEYS) {
      const family = this.families[key];
      for (const [labels, value] of snapshot.samples[key]) {
        if (family.samples.has(labels) || family.samples.size < MAX_SERIES)
          family.add(value, labels);
      }
    }
    this.duration.add(snapshot.duration);
  }

  /** Everything in the text format, then how many workers' counts it holds. */
  text(): string {
    const counted = new Family(
      `${PREFIX}workers_counted`,
      'gauge',
      'Workers whose counts these are.',
    );
    counted.add(this.workers);
    const families = Object.values(this.families).flatMap((family) => family.lines());
    return [...families, ...this.duration.lines(), ...counted.lines(), ''].join('\n');
  }
}

/** The text format of a snapshot. */
export function render(snapshot: Snapshot): string {
  const tally = new Tally(0);
  tally.add(snapshot);
  return tally.text();
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;
/** A count or a sum: finite, non-negative, and below 2^53, where adding still counts one by one. */
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER;
const isWorkerCount = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_WORKERS;

/**
 * A snapshot from another process, checked: undefined for anything but an object with samples and
 * a worker count; in it, samples with a label text the family cannot have or a value that is not
 * a count (isCount) are dropped, and so is a histogram that is not one.
 */
export function readSnapshot(value: unknown): Snapshot | undefined {
  if (!isObject(value)) return undefined;
  const { workers, samples: given } = value;
  if (!isObject(given) || !isWorkerCount(workers)) return undefined;
  const samples = Object.fromEntries(KEYS.map((key) => [key, readSamples(key, given)]));
  return {
    workers,
    samples: samples as Snapshot['samples'],
    duration: readHistogram(value.duration),
  };
}

function readSamples(key: FamilyKey, samples: Record<string, unknown>): [string, number][] {
  const list = Object.hasOwn(samples, key) ? samples[key] : undefined;
  if (!Array.isArray(list)) return [];
  const kept = new Map<string, number>();
  for (const pair of list.slice(0, MAX_SERIES)) {
    if (!Array.isArray(pair) || pair.length !== 2) continue;
    const [labels, n] = pair as unknown[];
    if (typeof labels === 'string' && possibleLabels(SPECS[key][3], labels) && isCount(n))
      kept.set(labels, n);
  }
  return [...kept];
}

function readHistogram(value: unknown): HistogramData {
  const empty = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
  if (!isObject(value) || !Array.isArray(value.buckets)) return empty;
  const { buckets, sum, count } = value;
  const whole = buckets.length === BUCKETS.length && buckets.every(isCount);
  return whole && isCount(sum) && isCount(count)
    ? { buckets: [...buckets] as number[], sum, count }
    : empty;
}
