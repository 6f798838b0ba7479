/**
 * `--metrics` with `--workers N`, the primary's side (the protocol is in metrics-worker.ts): a
 * worker's scrape brings its own counts; the primary asks every other live worker for theirs, adds
 * up those that answer within COLLECT_MS, and sends the total back. A worker that exits meanwhile
 * is not waited for; one still starting may not answer yet and is then left out, which the
 * total's worker count shows (docs/cli.md, "Metrics").
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { Tally, readSnapshot } from './metrics-snapshot.js';
import type { Snapshot } from './metrics-snapshot.js';
import { COLLECT, COUNTS, SCRAPE, TOTAL, metricsMessage } from './metrics-worker.js';

/** How long the primary waits for the other workers' counts. */
const COLLECT_MS = 1000;
/** Scrapes being totalled at most, per asking worker and in all; more get the asker's counts back. */
const MAX_PER_WORKER = 4;
const MAX_ROUNDS = 16;

/** One scrape being totalled: who asked, the sum so far, whose counts are still awaited. */
interface Round {
  id: number;
  asker: Worker;
  scrape: number;
  tally: Tally;
  awaited: Set<Worker>;
  timer: NodeJS.Timeout;
}

/** A worker's counts added as one worker's, whatever its snapshot claims; nothing if unreadable. */
function addCounts(tally: Tally, counts: unknown): void {
  const snapshot = readSnapshot(counts);
  if (snapshot) tally.add({ ...snapshot, workers: 1 });
}

// Sending to a worker that is exiting fails; the callback takes the error (its 'exit' says the rest).
const send = (worker: Worker, message: object): void => void worker.send(message, () => undefined);

class Totals {
  private readonly rounds = new Map<number, Round>();
  private next = 0;

  /** A worker's message: a scrape or counts are acted on, anything else is someone else's. */
  message(worker: Worker, message: unknown): void {
    const m = metricsMessage(message);
    if (m?.kind === SCRAPE) this.scrape(worker, m.id, m.counts);
    else if (m?.kind === COUNTS) this.counts(worker, m.id, m.counts);
  }

  /** A worker exited: its scrapes are dropped, and no round waits for its counts any more. */
  exited(worker: Worker): void {
    for (const round of [...this.rounds.values()]) {
      if (round.asker === worker) this.end(round);
      else if (round.awaited.delete(worker) && round.awaited.size === 0) this.finish(round);
    }
  }

  private scrape(asker: Worker, scrape: number, counts: unknown): void {
    const tally = new Tally(0);
    addCounts(tally, counts);
    const others = this.live().filter((worker) => worker !== asker);
    if (others.length === 0 || this.busy(asker)) return this.reply(asker, scrape, tally.snapshot());
    const id = (this.next += 1);
    const timer = setTimeout(() => this.finish(this.rounds.get(id)), COLLECT_MS).unref();
    this.rounds.set(id, { id, asker, scrape, tally, awaited: new Set(others), timer });
    for (const worker of others) send(worker, { kind: COLLECT, id });
  }

  private busy(asker: Worker): boolean {
    const mine = [...this.rounds.values()].filter((round) => round.asker === asker).length;
    return this.rounds.size >= MAX_ROUNDS || mine >= MAX_PER_WORKER;
  }

  private counts(worker: Worker, id: number, counts: unknown): void {
    const round = this.rounds.get(id);
    if (!round?.awaited.delete(worker)) return;
    addCounts(round.tally, counts);
    if (round.awaited.size === 0) this.finish(round);
  }

  /** Sends the sum to the asker (a late round's missing workers are left out). */
  private finish(round: Round | undefined): void {
    if (!round || !this.end(round)) return;
    this.reply(round.asker, round.scrape, round.tally.snapshot());
  }

  private end(round: Round): boolean {
    clearTimeout(round.timer);
    return this.rounds.delete(round.id);
  }

  private reply(asker: Worker, scrape: number, counts: Snapshot): void {
    if (asker.isConnected()) send(asker, { kind: TOTAL, id: scrape, counts });
  }

  private live(): Worker[] {
    const workers = Object.values(cluster.workers ?? {});
    return workers.filter((w): w is Worker => w !== undefined && w.isConnected());
  }
}

/**
 * In the cluster's primary: totals the workers' counts for each scrape a worker asks about.
 *
 * @example if (options.metrics) totalWorkerMetrics(); superviseWorkers(count, out);
 */
export function totalWorkerMetrics(): void {
  const totals = new Totals();
  cluster.on('message', (worker: Worker, message: unknown) => {
    try {
      totals.message(worker, message);
    } catch {
      // A message that cannot be acted on is dropped; a throw here would end the primary.
    }
  });
  cluster.on('exit', (worker: Worker) => totals.exited(worker));
}
