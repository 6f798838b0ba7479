// The HTTP load generator: wrk when it is on PATH, else autocannon (a dev dependency). Each run is
// one child process pinned to the load CPU; both tools' reports are parsed into one shape.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { onPath, pinned } from './processes.mjs';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const POST_SCRIPT = fileURLToPath(new URL('../clients/post.lua', import.meta.url));

/** The load generator this machine will use: `'wrk'` or `'autocannon'`. */
export const generator = onPath('wrk') ? 'wrk' : 'autocannon';

const MS = { us: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 36e5 };

function millis(text) {
  const [, value, unit] = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  return Number(value) * MS[unit];
}

/** Parses wrk's text report (run with `--latency`). */
export function parseWrk(out) {
  const number = (re) => Number(re.exec(out)?.[1] ?? 0);
  const socketErrors =
    /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1) ??
    [];
  const non2xx = number(/Non-2xx or 3xx responses: (\d+)/);
  return {
    requests: number(/(\d+) requests in/),
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: millis(/^\s+50%\s+(\S+)/m.exec(out)[1]),
    p99Ms: millis(/^\s+99%\s+(\S+)/m.exec(out)[1]),
    errors: socketErrors.reduce((sum, n) => sum + Number(n), non2xx),
  };
}

/** Parses autocannon's `--json` report. */
export function parseAutocannon(out) {
  const report = JSON.parse(out);
  return {
    requests: report.requests.total,
    rps: report.requests.total / report.duration,
    p50Ms: report.latency.p50,
    p99Ms: report.latency.p99,
    errors: report.errors + report.timeouts + report.non2xx,
  };
}

/** Version string of the load generator, for the results file. */
export async function generatorVersion() {
  if (generator === 'autocannon') return `autocannon ${require('autocannon/package.json').version}`;
  const { stdout } = await run('wrk', ['--version']).catch((err) => err); // wrk exits 1 here
  return /^wrk \S+/.exec(stdout)?.[0] ?? 'wrk';
}

function wrkCommand(url, { connections, seconds, bodyBytes }) {
  const script = bodyBytes ? ['-s', POST_SCRIPT] : [];
  return ['wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...script, url]];
}

function autocannonCommand(url, { connections, seconds, bodyBytes }) {
  const post = bodyBytes
    ? ['-m', 'POST', '-b', 'p'.repeat(bodyBytes), '-H', 'content-type=application/octet-stream']
    : [];
  return [
    process.execPath,
    [require.resolve('autocannon'), '-j', `-c${connections}`, `-d${seconds}`, ...post, url],
  ];
}

/**
 * Loads `url` from `connections` keep-alive connections for `seconds`, from `cpu`: GETs, or POSTs
 * of `bodyBytes` bytes when given. Resolves with `{ requests, rps, p50Ms, p99Ms, errors }`.
 */
export async function load(url, { connections, seconds, cpu, bodyBytes = 0 }) {
  const [tool, toolArgs] = (generator === 'wrk' ? wrkCommand : autocannonCommand)(url, {
    connections,
    seconds,
    bodyBytes,
  });
  const [command, args] = pinned(cpu, tool, toolArgs);
  const env = { ...process.env, BENCH_BODY_BYTES: String(bodyBytes) };
  const { stdout } = await run(command, args, { maxBuffer: 16 << 20, env });
  return generator === 'wrk' ? parseWrk(stdout) : parseAutocannon(stdout);
}
