// `workers`: the command-line proxy (dist/cli/main.js: `npm run build` first) with --workers 1 and
// --workers 2, a 100-byte GET through it (`--quiet`, kubectl proxy's filter on), 50 connections
// from the load generator on CPU 0, in front of backends/backend.mjs on CPU 0:
//   cli-1        --workers 1 pinned to CPU 1, as every other contender of bench/ runs
//   cli-1-both   --workers 1 free to run on CPUs 0 and 1
//   cli-2        --workers 2 on CPUs 0 and 1 (primary and both workers)
// The scaling is cli-2 / cli-1-both (same CPUs). On a 2-core machine the second worker shares
// CPU 0 with the load generator and the backend, so the figure is bounded by what they leave: the
// run records how busy CPU 0 was (`cpu0Pct`) and the CPU time of the proxy's processes, primary and
// workers together, per request (from /proc, not from the contender: the command has no IPC).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  interleave,
  measured,
  medians,
  ok,
  pick,
  ratio,
  withServers,
  writeResults,
} from '../harness/common.mjs';
import { cpuTicks } from '../harness/cpu-share.mjs';
import { generator, generatorVersion, load } from '../harness/load.mjs';
import { pinned } from '../harness/processes.mjs';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const CONNECTIONS = 50;
const PATH = '/bench?q=1';
/** Rounds, seconds per run, seconds of warm-up, by mode (run.mjs's TIMING has no entry for this one). */
const TIMING = { default: [3, 5, 2], quick: [1, 1, 1] };
const CONTENDERS = [
  { name: 'cli-1', label: '--workers 1 on CPU 1', workers: 1, cpus: '1' },
  { name: 'cli-1-both', label: '--workers 1 on CPUs 0-1', workers: 1, cpus: '0,1' },
  { name: 'cli-2', label: '--workers 2 on CPUs 0-1', workers: 2, cpus: '0,1' },
];
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** User + system CPU time of `pid` and its children (the workers), in µs, from /proc. */
function treeCpuUs(pid) {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  const pids = [pid, ...children.split(' ').filter(Boolean).map(Number)];
  return pids.reduce((sum, p) => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return sum + (Number(fields[11]) + Number(fields[12])) * TICK_US;
  }, 0);
}

/** Starts the command on `spec.cpus` and resolves with `{ child, url }` once it serves. */
async function startCli(spec, backendUrl) {
  const args = [CLI, '--target', backendUrl, '--port', '0', '--quiet', '--workers'];
  const [command, argv] = pinned(spec.cpus, process.execPath, [...args, String(spec.workers)]);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text) => (out += text));
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${spec.name} exited (${code}) before serving`);
  });
  const serving = (async () => {
    while (!/Starting to serve on (\S+)\n/.test(out)) await once(child.stdout, 'data');
    return `http://${/Starting to serve on (\S+)\n/.exec(out)[1]}`;
  })();
  const url = await Promise.race([serving, exited]);
  // taskset execs node: the PID is the command's own.
  return { child, url };
}

async function check(c) {
  const res = await fetch(c.url);
  const body = await res.text();
  if (res.status !== 200 || body.length !== 100) throw new Error(`${res.status}, ${body.length} B`);
}

/** One load run: req/s and latency, the proxy's CPU per request, how busy CPU 0 was. */
async function run(c, seconds) {
  const [cpuBefore, ticks] = [treeCpuUs(c.child.pid), cpuTicks(0)];
  const result = await load(c.url, { connections: CONNECTIONS, cpu: 0, seconds });
  if (result.requests === 0) throw new Error(`no request completed in ${seconds} s`);
  const after = cpuTicks(0);
  const cpu0Pct =
    ticks && after ? (100 * (after.busy - ticks.busy)) / (after.total - ticks.total) : null;
  return { ...result, cpuUs: (treeCpuUs(c.child.pid) - cpuBefore) / result.requests, cpu0Pct };
}

/** Runs the `workers` scenario with `config` (see run.mjs) and writes results/workers.json. */
export async function workers(config) {
  const [rounds, duration, warmup] = TIMING[config.mode];
  const settings = { rounds, duration, warmup, quietWait: 0 };
  await withServers(async (start) => {
    const backend = await start('backends/backend.mjs', [], 0);
    const list = [];
    try {
      for (const spec of CONTENDERS) {
        const { child, url } = await startCli(spec, backend.url);
        list.push({ ...spec, child, url: `${url}${PATH}`, status: 'ok', runs: [] });
      }
      for (const c of list)
        await check(c).catch((err) => Object.assign(c, { status: 'failed', reason: err.message }));
      await interleave(settings, list.filter(ok), run, { rate: (r) => r.rps, unit: 'req/s' });
      const summary = list.map((c) => medians(c, { rps: 0, p99Ms: 2, cpuUs: 1, cpu0Pct: 0 }));
      const of = (a, b) => ratio(pick(summary, a)?.rps, pick(summary, b)?.rps);
      await writeResults({
        scenario: 'workers',
        title: 'The command line with --workers, 100-byte GET',
        how: `${CONNECTIONS} connections, ${rounds} x ${duration} s (warm-up ${warmup} s), ${generator} and the backend on CPU 0; CPU µs/req: primary and workers together`,
        mode: config.mode,
        settings: { ...settings, connections: CONNECTIONS },
        loadGenerator: await generatorVersion(),
        columns: [
          { key: 'rps', title: 'req/s', digits: 0 },
          { key: 'p99Ms', title: 'p99 ms', digits: 2 },
          { key: 'cpuUs', title: 'CPU µs/req', digits: 1 },
          { key: 'cpu0Pct', title: 'CPU 0 busy %', digits: 0 },
        ],
        contenders: summary,
        ratios: [
          measured(
            'workers:2/1',
            'req/s, --workers 2 / --workers 1 (both on CPUs 0-1)',
            of('cli-2', 'cli-1-both'),
          ),
          measured(
            'workers:2/1-pinned',
            'req/s, --workers 2 / --workers 1 on CPU 1 alone',
            of('cli-2', 'cli-1'),
          ),
        ],
      });
    } finally {
      for (const c of list) c.child.kill('SIGTERM');
    }
  });
}
