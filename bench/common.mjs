// What the benchmarks share: settings, statistics, the interleaved rounds, the table, the results
// file, and the server processes they start (killed however the benchmark ends).
import os from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startServer } from './processes.mjs';

/** The package under test, as contenders and ratios name it. */
export const SUBJECT = 'upgrade-aware-proxy';

/** Where each process runs when `taskset` exists: the proxy alone on CPU 1. */
export const CPU = { backend: 0, load: 0, proxy: 1 };

export const roundTo = (x, digits = 1) => Number(x.toFixed(digits));

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** `a / b` to three decimals. */
export const ratio = (a, b) => roundTo(a / b, 3);

/**
 * Runs `run(contender, seconds)` once per contender as a warm-up, then `config.rounds` times each,
 * the order rotated every round so no contender always runs first or last. Each measured result
 * is pushed to `contender.runs`; `rate(result)` is logged as it comes, in `unit`.
 */
export async function interleave(config, contenders, run, { rate, unit }) {
  for (const c of contenders) await run(c, config.warmup);
  for (let round = 0; round < config.rounds; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
    for (const c of order) {
      const result = await run(c, config.duration);
      c.runs.push(result);
      const shown = rate(result).toFixed(0).padStart(7);
      console.error(`round ${round + 1}/${config.rounds}  ${c.name.padEnd(20)} ${shown} ${unit}`);
    }
  }
}

/** Rows of cells as aligned text: the first column left-aligned, the others right-aligned. */
/** Each contender's medians over its rounds of a request-per-second load, with the rounds themselves. */
export function requestMedians(contenders) {
  return contenders.map(({ name, label, runs }) => ({
    name,
    label,
    rps: roundTo(median(runs.map((r) => r.rps))),
    p50Ms: roundTo(median(runs.map((r) => r.p50Ms)), 2),
    p99Ms: roundTo(median(runs.map((r) => r.p99Ms)), 2),
    cpuUsPerRequest: roundTo(median(runs.map((r) => r.cpuUs))),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    rounds: runs.map((r) => Math.round(r.rps)),
    cpuRounds: runs.map((r) => roundTo(r.cpuUs, 1)),
  }));
}

export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const pad = (cell, i) => (i ? cell.padStart(widths[i]) : cell.padEnd(widths[i]));
  return rows.map((r) => r.map(pad).join('  ')).join('\n');
}

/** Prints `what, name: x.xxx` for each ratio. */
export function showRatios(what, byName) {
  for (const [name, x] of Object.entries(byName)) console.log(`${what}, ${name}: ${x.toFixed(2)}x`);
}

/** The machine and the versions of this package and of `packages`, for the results files. */
export function environment(packages) {
  const require = createRequire(import.meta.url);
  return {
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpu: os.cpus()[0]?.model,
      cpus: os.cpus().length,
    },
    versions: {
      [SUBJECT]: require('../package.json').version,
      ...Object.fromEntries(packages.map((name) => [name, require(`${name}/package.json`).version])),
    },
  };
}

/** Writes `report` as JSON to the file URL `file`, creating its directory. */
export async function writeResults(file, report) {
  await mkdir(new URL('.', file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwritten to ${fileURLToPath(file)}`);
}

/**
 * Calls `body(start)`, where `start(file, args, cpu)` starts a bench server (a path relative to
 * this directory; see processes.mjs); every server started is killed when `body` settles.
 */
export async function withServers(body) {
  const children = [];
  const start = async (file, args, cpu) => {
    const server = await startServer(fileURLToPath(new URL(file, import.meta.url)), args, cpu);
    children.push(server.child);
    return server;
  };
  try {
    return await body(start);
  } finally {
    for (const child of children) child.kill();
  }
}
