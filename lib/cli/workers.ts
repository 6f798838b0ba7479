/**
 * `--workers N`: the primary process of Node's cluster module forks N copies of the command, which
 * share one listening socket (docs/cli.md, "Workers"). The primary serves nothing itself: it starts
 * the workers, prints `Starting to serve on ADDRESS` once they all listen, starts another worker in
 * place of one that dies (with a growing delay, and gives up on a crash loop), and on SIGINT or
 * SIGTERM asks every worker to drain as the single process does, then exits 0.
 *
 * Workers share nothing: a tunnel lives on the connection one worker accepted.
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { STOP } from './worker.js';
import type { WorkerReport } from './worker.js';

/** How the primary reports and when it gives up. */
export interface Supervision {
  /** Writes a line on stdout (`Starting to serve on ...`). */
  say(line: string): void;
  /** Writes a line on stderr (warnings and errors, prefixed). */
  tell(line: string): void;
  /** How long the workers get to drain before they are killed and the primary exits. */
  deadlineMs: number;
  /** [restart=RESTART] */
  restart?: RestartPolicy;
}

/** When a dead worker's replacement starts, and when the primary gives up. */
export interface RestartPolicy {
  /** Delay before the first replacement; it doubles with each restart within the window... */
  firstMs: number;
  /** ...up to this. */
  maxMs: number;
  /** More restarts than this within the window is a crash loop: stop, exit 1, let a supervisor decide. */
  limit: number;
  windowMs: number;
}

/** The command's policy: 100 ms, 200 ms, ... 5 s apart; more than 10 restarts within a minute ends it. */
export const RESTART: Readonly<RestartPolicy> = Object.freeze({
  firstMs: 100,
  maxMs: 5000,
  limit: 10,
  windowMs: 60_000,
});

/** The restarts of late, under a policy. */
export class Backoff {
  private times: number[] = [];

  constructor(readonly policy: Readonly<RestartPolicy>) {}

  /** Counts a restart at `now`: resolves the delay before it, or undefined for a crash loop. */
  next(now = Date.now()): number | undefined {
    const { firstMs, maxMs, limit, windowMs } = this.policy;
    this.times = this.times.filter((t) => now - t < windowMs).concat(now);
    if (this.times.length > limit) return undefined;
    return Math.min(firstMs * 2 ** (this.times.length - 1), maxMs);
  }
}

const pidOf = (worker: Worker): number | undefined => worker.process.pid;

/** `code 1` or `signal SIGKILL`. */
function how(code: number | null, signal: string | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/** A report from a worker, or undefined for anything else on the channel. */
function reportOf(message: unknown): WorkerReport | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as Record<string, unknown>;
  if (typeof m.listening === 'string') return { listening: m.listening };
  if (typeof m.failed === 'string') return { failed: m.failed, exitCode: Number(m.exitCode) || 1 };
  return undefined;
}

/** The primary's state: which workers have started, the restarts of late, and whether it stops. */
class Primary {
  private readonly starting = new Set<Worker>();
  private readonly backoff: Backoff;
  private timers = new Set<NodeJS.Timeout>();
  private address: string | undefined;
  private serving = false;
  private stopping = false;

  constructor(
    private readonly count: number,
    private readonly out: Supervision,
  ) {
    this.backoff = new Backoff(out.restart ?? RESTART);
  }

  start(): void {
    cluster.on('exit', (worker, code, signal) => this.exited(worker, code, signal));
    for (let i = 0; i < this.count; i += 1) this.fork();
  }

  /** First signal: every worker drains; the second, or the deadline, kills them and exits. */
  stop(): void {
    if (this.stopping) return this.kill();
    this.drain();
    process.exitCode = 0;
    setTimeout(() => this.kill(), this.out.deadlineMs).unref();
  }

  /**
   * Asks every worker to drain. One still starting may not listen for the request yet (a message
   * nobody listens for is lost): it serves nothing, so it gets SIGTERM.
   */
  private drain(): void {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const worker of this.workers()) {
      if (this.starting.has(worker)) worker.process.kill('SIGTERM');
      else if (worker.isConnected()) worker.send(STOP);
    }
  }

  private kill(): void {
    for (const worker of this.workers()) worker.process.kill('SIGKILL');
    process.exit(process.exitCode ?? 0);
  }

  private workers(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  }

  private fork(): void {
    const worker = cluster.fork();
    // Sending to a worker that is exiting fails with EPIPE on the Worker; its 'exit' says the rest.
    worker.on('error', () => undefined);
    this.starting.add(worker);
    worker.on('message', (message: unknown) => this.reported(worker, reportOf(message)));
  }

  private reported(worker: Worker, report: WorkerReport | undefined): void {
    if (!report || !this.starting.delete(worker)) return;
    if ('failed' in report) return this.failed(worker, report);
    this.address ??= report.listening;
    if (!this.serving && this.starting.size === 0) {
      this.serving = true;
      this.out.say(`Starting to serve on ${this.address}`);
    }
  }

  /** A worker could not start: before the first start that ends the command with its status. */
  private failed(worker: Worker, report: { failed: string; exitCode: number }): void {
    if (this.serving) return this.out.tell(`warning: worker ${pidOf(worker)}: ${report.failed}`);
    if (this.stopping) return;
    this.out.tell(`error: ${report.failed}`);
    this.giveUp(report.exitCode);
  }

  private giveUp(exitCode: number): void {
    process.exitCode = exitCode;
    this.drain();
    setTimeout(() => this.kill(), this.out.deadlineMs).unref();
  }

  private exited(worker: Worker, code: number | null, signal: string | null): void {
    const first = this.starting.delete(worker) && !this.serving;
    if (this.stopping) return;
    if (first) {
      this.out.tell(`error: worker ${pidOf(worker)} exited (${how(code, signal)}) before serving`);
      return this.giveUp(1);
    }
    const delay = this.backoff.next();
    if (delay === undefined) {
      const { limit, windowMs } = this.backoff.policy;
      this.out.tell(
        `error: workers keep exiting (${limit} restarts within ${windowMs / 1000}s); stopping`,
      );
      return this.giveUp(1);
    }
    this.out.tell(
      `warning: worker ${pidOf(worker)} exited (${how(code, signal)}); starting another in ${delay}ms`,
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.fork();
    }, delay);
    this.timers.add(timer);
  }
}

/**
 * Runs the cluster's primary: forks `count` workers (each runs this command with the same flags)
 * and supervises them until SIGINT or SIGTERM.
 *
 * @example superviseWorkers(2, { say, tell, deadlineMs: 5000 });
 */
export function superviseWorkers(count: number, out: Supervision): void {
  const primary = new Primary(count, out);
  process.on('SIGINT', () => primary.stop());
  process.on('SIGTERM', () => primary.stop());
  primary.start();
}
