// Child side of every bench server (backends and contenders): listen on loopback, report the URL to
// the orchestrator over IPC, answer its questions, and exit when it goes away. Questions:
// `'cpu'` (process.cpuUsage()), `'memory'` (process.memoryUsage() after a full GC when the process
// runs with --expose-gc), `'gc'` (`{ major }`: V8's mark-compacts so far), `'faults'` (the minor
// page faults so far), `'stats'` (whatever the server's `stats()` returns).
import http from 'node:http';
import { once } from 'node:events';
import { PerformanceObserver, constants } from 'node:perf_hooks';

/**
 * V8's full (mark-compact) collections since the server reported: on large bodies a process either
 * makes next to none or one every few requests, whatever its code (docs/benchmarks.md, "Transport
 * kinds"), and the count shows which.
 */
let majorGcs = 0;

function countMajorGcs() {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs += 1;
  }).observe({ entryTypes: ['gc'] });
}

/** Full garbage collections, so heap figures count live objects only (needs --expose-gc). */
function collect() {
  if (typeof globalThis.gc !== 'function') return false;
  globalThis.gc();
  globalThis.gc();
  return true;
}

function answer(question, stats) {
  if (question === 'cpu') return process.cpuUsage();
  if (question === 'memory') return { gc: collect(), ...process.memoryUsage() };
  if (question === 'gc') return { major: majorGcs };
  if (question === 'faults') return process.resourceUsage().minorPageFault;
  if (question === 'stats') return stats();
  return undefined;
}

/** Answers the orchestrator's questions and sends it `{ url }` for a server listening on `port` (`https:` with `tls`). */
export function report(port, stats = () => ({}), { tls = false } = {}) {
  process.once('disconnect', () => process.exit(0));
  countMajorGcs();
  process.on('message', (question) => {
    const value = answer(question, stats);
    if (value !== undefined) process.send({ [question]: value });
  });
  process.send({ url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}` });
}

/** Listens with `server` (any `net.Server`) on 127.0.0.1, port 0, then `report`s (`tls`: it serves HTTPS). */
export async function announce(server, stats, { tls = false } = {}) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  report(server.address().port, stats, { tls });
}

/**
 * Serves `handler` from a `node:http` server on loopback (see `announce`), or a `node:https` one
 * with `tls` (`{ key, cert }`). `setup(server)`, when given, runs before it listens: the place to
 * add an `'upgrade'` listener.
 */
export async function serve(handler, setup, stats, tls) {
  // node:https (and node:tls, node:crypto under it) only for a TLS server: a module loaded for
  // nothing enlarges every contender's heap (docs/benchmarks.md, "Transport kinds").
  const server = tls
    ? (await import('node:https')).createServer(tls, handler)
    : http.createServer(handler);
  // Outlive the pauses between runs, so no pooled keep-alive socket is closed under a contender.
  server.keepAliveTimeout = 60_000;
  setup?.(server);
  await announce(server, stats, { tls: tls !== undefined });
}

/**
 * Returns `build()`; if it throws, tells the orchestrator this contender is unavailable, with the
 * error's name and message, and exits (the returned promise then never settles).
 */
export async function available(build) {
  try {
    return await build();
  } catch (err) {
    process.send({ unavailable: `${err.name}: ${err.message}` }, () => process.exit(0));
    return new Promise(() => {});
  }
}
