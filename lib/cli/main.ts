#!/usr/bin/env node
/**
 * `upgrade-aware-proxy`: what `kubectl proxy` is to Kubernetes, for any backend. A local server in
 * front of one backend, with kubectl proxy's flags and request filter. See docs/cli.md.
 *
 * Exit status: 0 after SIGINT or SIGTERM, 2 for a bad flag, value or kubeconfig (one line on
 * stderr naming it), 1 when the server cannot start (or, with `--workers`, its workers keep dying).
 *
 * With `--workers N` (N > 1) this file runs in N + 1 processes: the cluster's primary checks the
 * command line, prints the warnings and supervises (workers.ts); each worker serves.
 */
import cluster from 'node:cluster';
import { stat } from 'node:fs/promises';
import { createAccessLog } from './access-log.js';
import { createMetrics } from './metrics.js';
import { totalWorkerMetrics } from './metrics-primary.js';
import { shareWithPrimary } from './metrics-worker.js';
import { resolveBackend } from './backend.js';
import type { Backend } from './backend.js';
import type { CliOptions } from './cli-options.js';
import { FlagError, invalidValue } from './flag-error.js';
import { parseFlags } from './flags.js';
import { helpText } from './help.js';
import { KubeconfigError } from './kubeconfig.js';
import { listenTcp, listenUnix, removeStale } from './listen.js';
import { createCliServer } from './server.js';
import type { CliServer } from './server.js';
import { onStopRequest, report, workerLine } from './worker.js';
import { superviseWorkers } from './workers.js';

const FILTER_DISABLED =
  'Request filter disabled, your proxy is vulnerable to XSRF attacks, please be cautious';
const FILTER_RELAXED =
  'Request filter has been relaxed, your proxy may be vulnerable to attacks, please be cautious';

/** How long busy connections get to finish after SIGINT or SIGTERM, and when the process gives up waiting. */
const GRACE_MS = 3000;
const EXIT_DEADLINE_MS = 5000;

const say = (line: string): boolean => process.stdout.write(`${line}\n`);
const warn = (line: string): boolean => process.stderr.write(`warning: ${line}\n`);

/** kubectl's warnings about a weakened filter and an unused server path, and ours about credentials not sent. */
function warnings(options: CliOptions, backend: Backend): string[] {
  const out: string[] = [];
  if (options.disableFilter) {
    if (!options.unixSocket) out.push(FILTER_DISABLED);
  } else if (options.rejectPaths === '' || options.rejectMethods === '') {
    out.push(FILTER_RELAXED);
  }
  if (!options.appendServerPath && backend.serverPath !== '/') {
    out.push(
      `the backend has a server path ${backend.serverPath}, use --append-server-path to automatically append the path to each request`,
    );
  }
  // kubectl skips these silently; a token that quietly goes nowhere is worth one line.
  if (backend.withheld.length > 0) {
    out.push(
      `not sending the ${backend.withheld.join(' or the ')} to ${backend.display}: credentials go only over https, as in kubectl`,
    );
  }
  return out;
}

async function checkWww(options: CliOptions): Promise<void> {
  if (!options.www) return;
  const info = await stat(options.www).catch(() => undefined);
  if (!info?.isDirectory()) throw invalidValue(options.www, 'www', 'not a directory');
}

/**
 * Stops on SIGINT or SIGTERM, and in a worker when the primary asks: no new connections, tunnels
 * ended, then `done`; a second signal exits at once (the primary's request is not a signal: with
 * Ctrl-C a worker gets both the terminal's SIGINT and the primary's request).
 */
function stopOnSignals(cli: CliServer, done: () => void): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.exitCode = 0;
    setTimeout(() => process.exit(0), EXIT_DEADLINE_MS).unref();
    void cli.close(GRACE_MS).then(done);
  };
  // Counted apart from `stopping`: the primary's request may come first, then the terminal's SIGINT.
  let signals = 0;
  const signal = (): void => {
    signals += 1;
    if (signals > 1) process.exit(0);
    stop();
  };
  process.on('SIGINT', signal);
  process.on('SIGTERM', signal);
  if (cluster.isWorker) onStopRequest(stop);
}

/** Builds the server and listens; resolves with the address as printed. A worker leaves stale sockets to the primary. */
async function serve(options: CliOptions, backend: Backend, log: (line: string) => void) {
  const access = options.quiet ? undefined : createAccessLog(log);
  // A worker's scrape shows every worker's counts, added up by the primary (metrics-primary.ts).
  const share = cluster.isWorker ? shareWithPrimary : undefined;
  const metrics = options.metrics ? createMetrics(options.metrics, share) : undefined;
  const cli = createCliServer(options, backend, {
    access,
    metrics,
    error: (line) => log(`${line}\n`),
  });
  try {
    const address = options.unixSocket
      ? await listenUnix(cli.server, options.unixSocket, { stale: !cluster.isWorker })
      : await listenTcp(cli.server, options.port, options.address);
    return { cli, address };
  } catch (err) {
    backend.agent.destroy();
    throw err;
  }
}

const stderr = (line: string): boolean => process.stderr.write(line);

/** A worker of `--workers N`: serves with the flags the primary checked, tagging its log lines. */
async function worker(options: CliOptions): Promise<void> {
  const backend = await resolveBackend(options);
  const { cli, address } = await serve(options, backend, (line) =>
    stderr(workerLine(line, process.pid)),
  );
  // The IPC channel would keep a worker alive. Leaving the cluster closes it, and the process ends
  // as a single one does, after the last close events (the tunnels' log lines) have run.
  stopOnSignals(cli, () => cluster.worker?.disconnect());
  void report({ listening: address });
}

/**
 * The primary of `--workers N`: checks what one process checks at start, then forks. On a unix
 * socket it removes a stale socket file once, and keeps umask 0077 so that the socket it binds for
 * the workers is never open to others, even before a worker's chmod (it creates no other file).
 */
async function primary(options: CliOptions): Promise<void> {
  if (options.unixSocket) {
    await removeStale(options.unixSocket);
    process.umask(0o077);
  }
  if (options.metrics) totalWorkerMetrics();
  superviseWorkers(options.workers, {
    say,
    tell: (line) => stderr(`${line}\n`),
    deadlineMs: EXIT_DEADLINE_MS,
  });
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseFlags(argv);
  if (options.help) {
    process.stdout.write(helpText());
    return;
  }
  if (cluster.isWorker) return worker(options);
  await checkWww(options);
  const backend = await resolveBackend(options);
  warnings(options, backend).forEach(warn);
  if (options.workers > 1) {
    backend.agent.destroy();
    return primary(options);
  }
  const { cli, address } = await serve(options, backend, stderr);
  stopOnSignals(cli, () => undefined);
  say(`Starting to serve on ${address}`);
}

/** Exit status 2 for a bad flag, value or kubeconfig, 1 for anything else. */
function statusOf(err: unknown): number {
  return err instanceof FlagError || err instanceof KubeconfigError ? 2 : 1;
}

main(process.argv.slice(2)).catch(async (err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  if (!cluster.isWorker) {
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = statusOf(err);
    return;
  }
  // The primary prints it, once for all workers.
  await report({ failed: message, exitCode: statusOf(err) });
  process.exit(statusOf(err));
});
