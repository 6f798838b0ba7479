// What the scenarios share: statistics, starting and checking the contenders, the interleaved
// rounds, ratios against targets, the table on stdout, and the results file.
import os from 'node:os';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { contenderNode } from './contender-node.mjs';
import { restricted } from './contenders.mjs';
import { cpuTicks, foreignShare } from './cpu-share.mjs';
import { Unavailable, pinning, startServer } from './processes.mjs';
import { PEERS, peerManifest } from './runtimes.mjs';

/** Where each process runs when pinning: the proxy under test alone on CPU 1. */
export const CPU = { backend: 0, load: 0, proxy: 1 };

export const roundTo = (x, digits = 1) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** `a / b` to three decimals, or null when either is missing. */
export const ratio = (a, b) => (a == null || b == null || b === 0 ? null : roundTo(a / b, 3));

/** Progress on stderr (stdout has the tables). */
export const log = (line) => console.error(line);

/**
 * Calls `body(start)`, where `start(file, args, cpu, options)` starts a bench server (a path
 * relative to bench/; see processes.mjs), the contenders (`contenders/...`) on the Node under test
 * (contender-node.mjs); every server started is killed when `body` settles.
 */
export async function withServers(body) {
  const children = [];
  const start = async (file, args, cpu, options) => {
    const node = file.startsWith('contenders/') ? { execPath: contenderNode().execPath } : {};
    const server = await startServer(
      fileURLToPath(new URL(`../${file}`, import.meta.url)),
      args,
      cpu,
      { ...options, ...node },
    );
    children.push(server.child);
    return server;
  };
  try {
    return await body(start);
  } finally {
    for (const child of children) child.kill();
  }
}

/** `c` marked out of the measurement, with why: `unavailable` (it could not start) or `failed`. */
function exclude(c, status, err) {
  c.status = err instanceof Unavailable ? 'unavailable' : status;
  c.reason = err.message;
  log(`${c.name}: ${c.status}: ${err.message}`);
}

/**
 * Starts `specs` (see contenders.mjs) on the proxy CPU in front of `backend`, in parallel, then
 * checks each with `check(c)`. `direct` is the backend itself. Resolves with one object per spec:
 * `{ name, label, status: 'ok' | 'unavailable' | 'failed', reason?, url, cpuTime, memory, runs }`;
 * only those `ok` are measured. `path` is appended to each URL; `ws: true` makes it a ws:// URL.
 */
export async function prepare(start, specs, backend, { path = '', ws = false, nodeArgs, check }) {
  const list = await Promise.all(
    specs.map(async ({ name, label, file, args }) => {
      const c = { name, label, status: 'ok', runs: [] };
      const use = (server) => {
        const base = ws ? server.url.replace(/^http/, 'ws') : server.url;
        Object.assign(c, {
          url: `${base}${path}`,
          cpuTime: server.cpuTime,
          memory: server.memory,
          server,
        });
      };
      const launch = () =>
        start(`contenders/${file}`, [backend.url, ...args], CPU.proxy, { nodeArgs });
      try {
        use(file ? await launch() : backend);
        // A new process of the same contender in place of this one (interleave's `fresh` rounds).
        if (file)
          c.relaunch = async () => {
            const { child } = c.server;
            // A child a signal ended has no exit code, and its 'exit' has been emitted already.
            const exited =
              child.exitCode === null && child.signalCode === null && once(child, 'exit');
            child.kill();
            await exited;
            use(await launch());
          };
      } catch (err) {
        if (!(err instanceof Unavailable)) throw err;
        exclude(c, 'unavailable', err);
      }
      return c;
    }),
  );
  for (const c of list.filter(ok)) {
    await check(c).catch((err) => exclude(c, 'failed', new Error(`check failed: ${err.message}`)));
  }
  return list;
}

/** Whether `c` is still measured. */
export const ok = (c) => c.status === 'ok';

/**
 * Waits, for at most `seconds`, until other processes leave the proxy CPU alone: under
 * DISTURBED_PCT % of it over half a second (between runs, the contenders there are idle).
 */
async function quiet(seconds) {
  const from = performance.now();
  while (performance.now() - from < seconds * 1000) {
    const before = cpuTicks(CPU.proxy);
    await sleep(500);
    const share = foreignShare(before, cpuTicks(CPU.proxy), 0, 500_000);
    if (share == null || share * 100 <= DISTURBED_PCT) break;
  }
  const waited = (performance.now() - from) / 1000;
  if (waited > 1)
    log(`  waited ${waited.toFixed(1)} s for other processes to leave CPU ${CPU.proxy}`);
}

/**
 * One run of `run(c, seconds)`, after waiting up to `quietWait` s for the proxy CPU to be quiet,
 * with the share of that CPU other processes took meanwhile (`othersCpuPct`). Resolves with the
 * run's result, or with undefined if it threw: `c` is then marked `failed`.
 */
export async function runOnce(c, seconds, run, quietWait = 0) {
  try {
    await quiet(quietWait);
    // The proxy CPU's time taken by other processes: the contender's own is known when it runs there.
    const onProxyCpu = c.cpuTime && c.name !== 'direct';
    const [ticks, own, wall] = [
      cpuTicks(CPU.proxy),
      onProxyCpu ? await c.cpuTime() : 0,
      performance.now(),
    ];
    const result = await run(c, seconds);
    const ownUs = onProxyCpu ? (await c.cpuTime()) - own : 0;
    const foreign = c.cpuTime
      ? foreignShare(ticks, cpuTicks(CPU.proxy), ownUs, (performance.now() - wall) * 1000)
      : null;
    return { ...result, othersCpuPct: foreign == null ? null : 100 * foreign };
  } catch (err) {
    exclude(c, 'failed', err);
    return undefined;
  }
}

/**
 * Runs `run(c, seconds)` once per contender but `direct` as a warm-up (unless `warmup` is 0), then `rounds`
 * times each, the order rotated every round so no contender always runs first or last. Results go
 * to `c.runs`; a run that throws marks its contender `failed` and the others go on. With
 * `quietWait`, each run first waits up to that many seconds for the proxy CPU to be quiet.
 *
 * With `fresh`, every round after the first measures a new process of each contender (its
 * `relaunch`, see `prepare`), warmed up as the first was: two processes of the same proxy can
 * differ by a tenth or more for their whole life (docs/benchmarks.md, "A new process every round"), so each round
 * is then a sample of the contender, not of one process of it.
 */
export async function interleave(
  { rounds, duration, warmup, quietWait = 0 },
  contenders,
  run,
  { rate, unit, fresh = false },
) {
  const attempt = (c, seconds) => runOnce(c, seconds, run, quietWait);
  // `direct` needs no warm-up of its own: every other contender's warm-up goes through the backend.
  const warmUp = async () => {
    if (warmup > 0)
      for (const c of contenders.filter((x) => ok(x) && x.name !== 'direct'))
        await attempt(c, warmup);
  };
  await warmUp();
  for (let round = 0; round < rounds; round++) {
    if (fresh && round > 0) {
      log(`  round ${round + 1}/${rounds}: a new process of each contender`);
      for (const c of contenders.filter((x) => ok(x) && x.relaunch))
        await c.relaunch().catch((err) => exclude(c, 'failed', err));
      await warmUp();
    }
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]).filter(ok);
    for (const c of order) {
      const result = await attempt(c, duration);
      if (!result) continue;
      c.runs.push(result);
      log(
        `  round ${round + 1}/${rounds}  ${c.name.padEnd(22)} ${rate(result)
          .toFixed(rate(result) < 10 ? 3 : 0)
          .padStart(9)} ${unit}`,
      );
    }
  }
}

/**
 * Medians of `c.runs` for each `key`, to `digits` decimals, and each run's figures under `rounds`;
 * `othersCpuPct`: the most of the proxy CPU's time other processes took during one of its runs.
 */
export function medians(c, keys) {
  const out = { name: c.name, label: c.label, status: c.status };
  if (c.reason) out.reason = c.reason;
  if (!c.runs.length) return out;
  for (const [key, digits] of Object.entries(keys))
    out[key] = roundTo(median(c.runs.map((r) => r[key])), digits);
  out.rounds = Object.fromEntries(
    Object.entries(keys).map(([key, digits]) => [key, c.runs.map((r) => roundTo(r[key], digits))]),
  );
  const others = c.runs.map((r) => r.othersCpuPct).filter((x) => x != null);
  if (others.length) {
    out.othersCpuPct = roundTo(Math.max(...others), 1);
    out.rounds.othersCpuPct = c.runs.map((r) => roundTo(r.othersCpuPct ?? NaN, 1));
  }
  return out;
}

/**
 * A ratio for the results: `{ id, label, value, target, met }`. `target` is `['>=', 0.9]`,
 * `['<=', 1]`, or null (a figure for reading, no target).
 */
export function measured(id, label, value, target = null) {
  const met =
    target && value != null ? (target[0] === '>=' ? value >= target[1] : value <= target[1]) : null;
  return { id, label, value, target: target && { op: target[0], value: target[1] }, met };
}

/** The summary with that name, if it was measured. */
export function pick(summary, name) {
  const s = summary.find((x) => x.name === name);
  return s && s.status === 'ok' ? s : undefined;
}

/** Rows of cells as aligned text: the first column left-aligned, the others right-aligned. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const pad = (cell, i) => (i ? String(cell).padStart(widths[i]) : String(cell).padEnd(widths[i]));
  return rows.map((r) => r.map(pad).join('  ')).join('\n');
}

/** Above this share of the proxy CPU taken by other processes in a run, a scenario's figures are flagged. */
export const DISTURBED_PCT = 5;

/**
 * A warning when other processes took more than DISTURBED_PCT % of the proxy CPU in some run of a
 * proxy, else ''. (`direct` does not run on that CPU: its column is there for information.)
 */
export function disturbed(report) {
  const hit = report.contenders.filter(
    (s) => s.name !== 'direct' && s.othersCpuPct > DISTURBED_PCT,
  );
  if (!hit.length) return '';
  const worst = Math.max(...hit.map((s) => s.othersCpuPct));
  return (
    `Disturbed: other processes took up to ${worst.toFixed(0)} % of the proxy's CPU during runs of ${hit.map((s) => s.name).join(', ')}; ` +
    'their figures (rates most, CPU time per request less) are off by an unknown amount.'
  );
}

/** The columns of a table part, plus the share of the proxy CPU others took when it was measured. */
export function withOthers(part) {
  const measured = part.contenders.some((s) => s.othersCpuPct != null);
  return measured
    ? [...part.columns, { key: 'othersCpuPct', title: 'others on CPU 1, max %', digits: 0 }]
    : part.columns;
}

/** A figure as text: `digits` decimals, `-` when missing. */
export const fmt = (x, digits = 0) => (x == null ? '-' : x.toFixed(digits));

/**
 * Prints a scenario's results: a title, a table of `columns` (`{ key, title, digits }`) with a row
 * per contender (excluded ones with their reason; the same for each part in `more`), and the ratios.
 */
export function print(report) {
  for (const part of [report, ...(report.more ?? [])]) {
    const columns = withOthers(part);
    const rows = [['contender', ...columns.map((c) => c.title)]];
    for (const s of part.contenders.filter((x) => x.status === 'ok')) {
      rows.push([s.name, ...columns.map(({ key, digits }) => fmt(s[key], digits))]);
    }
    console.log(`\n${part.title}\n${part.how}\n\n${table(rows)}\n`);
    for (const s of part.contenders.filter((x) => x.status !== 'ok'))
      console.log(`${s.name}: ${s.status}: ${s.reason}`);
  }
  const note = disturbed(report);
  if (note) console.log(`${note}\n`);
  for (const r of report.ratios) {
    const verdict = r.met == null ? 'no figure' : r.met ? 'met' : 'not met';
    const target = r.target ? `  (target ${r.target.op} ${r.target.value}: ${verdict})` : '';
    console.log(`${r.label}: ${fmt(r.value, 3)}${target}`);
  }
}

/** `{ hpm4: '4.2.2', ... }`: today's peers installed in bench/.node/, by the name they run under. */
function peerVersions() {
  const found = Object.keys(PEERS).map((name) => [name, peerManifest(name)?.version]);
  return Object.fromEntries(found.filter(([, version]) => version));
}

/**
 * glibc's malloc settings in this environment, which every process the bench starts inherits:
 * `MALLOC_*` variables and `GLIBC_TUNABLES`, or `'defaults'` when none is set. On large bodies they
 * change a process's CPU time more than its code does (docs/benchmarks.md, "The allocator").
 */
function allocator() {
  const set = Object.entries(process.env).filter(([name]) =>
    /^(MALLOC_|GLIBC_TUNABLES$)/.test(name),
  );
  return set.length ? Object.fromEntries(set.sort()) : 'defaults';
}

/** glibc's trim threshold the bench gives every process it starts (docs/benchmarks.md, "The allocator"). */
const TRIM_THRESHOLD = 64 * 2 ** 20;

/**
 * Holds glibc's allocator still in every process the bench starts from now on, contenders and
 * references alike. With glibc's defaults, how much of its heap a process gives back and faults in
 * again is left to chance: glibc raises its thresholds, for good, to the size of the largest block
 * it had mapped on its own (up to 32 MiB) that the process freed, whatever freed it. On large bodies
 * that decides a process's CPU time more than its code does. Left alone when the environment sets
 * glibc's malloc already.
 */
export function holdAllocator() {
  if (allocator() === 'defaults') process.env.MALLOC_TRIM_THRESHOLD_ = String(TRIM_THRESHOLD);
}

/**
 * The machine and the versions of the packages in play, for the results files: `machine.node` is
 * the Node the contenders ran on, `machine.harnessNode` the bench's own when it differs,
 * `machine.allocator` glibc's malloc settings.
 */
export function environment() {
  const require = createRequire(import.meta.url);
  const version = (name) => require(`${name}/package.json`).version;
  const { version: node } = contenderNode();
  return {
    machine: {
      node,
      ...(node === process.version ? {} : { harnessNode: process.version }),
      platform: `${os.platform()} ${os.release()}`,
      cpu: os.cpus()[0]?.model,
      cpus: os.cpus().length,
      memoryGiB: roundTo(os.totalmem() / 2 ** 30, 1),
      allocator: allocator(),
    },
    versions: {
      'upgrade-aware-proxy': require('../../package.json').version,
      ...Object.fromEntries(
        ['http-proxy-middleware', 'express', 'fastify', '@fastify/http-proxy', 'undici', 'ws'].map(
          (name) => [name, version(name)],
        ),
      ),
      ...peerVersions(),
    },
    pinned: pinning ? CPU : false,
  };
}

/**
 * `json` laid out as Prettier (a dev dependency) lays out `file`, so results files pass
 * `npm run format:check` as written; unchanged when Prettier cannot be loaded.
 */
async function formatted(json, file) {
  try {
    const prettier = await import('prettier');
    const filepath = fileURLToPath(file);
    return await prettier.format(json, { ...(await prettier.resolveConfig(filepath)), filepath });
  } catch {
    return json;
  }
}

/**
 * Writes `report` to bench/results/<report.scenario>.json (results/node<major>/ when the contenders
 * ran on a Node chosen with `--node`) and prints it.
 */
export async function writeResults(report) {
  const file = new URL(`../results/${contenderNode().dir}${report.scenario}.json`, import.meta.url);
  const full = {
    scenario: report.scenario,
    date: new Date().toISOString(),
    ...report,
    ...environment(),
  };
  print(full);
  if (restricted()) {
    console.log('\nnot written to bench/results/: --only left contenders out');
    return;
  }
  await mkdir(new URL('.', file), { recursive: true });
  await writeFile(file, await formatted(`${JSON.stringify(full, null, 2)}\n`, file));
  console.log(`\nwritten to ${fileURLToPath(file)}`);
}
