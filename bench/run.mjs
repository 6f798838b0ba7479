// Runs the benchmarks: `http` (requests per second of a proxied GET, http-get.mjs), `ws`
// (WebSocket echoes per second through the proxy, ws-echo.mjs) and `rewrite` (the cost of the
// rewriting transport, rewrite.mjs); all three when none is named.
// Usage: node bench/run.mjs [http] [ws] [rewrite] [--quick] [--rounds N] [--duration S]
//        [--connections N] [--window N]
import { parseArgs } from 'node:util';
import { httpGet } from './http-get.mjs';
import { rewrite } from './rewrite.mjs';
import { wsEcho } from './ws-echo.mjs';

const USAGE = 'usage: node bench/run.mjs [http] [ws] [rewrite] [--quick] [--rounds N] [--duration S] ' +
  '[--connections N] [--window N]';
const BENCHMARKS = { http: httpGet, ws: wsEcho, rewrite };

function settings() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string', default: '50' },
      window: { type: 'string', default: '8' },
    },
  });
  const positive = (name, fallback) => {
    const value = Number(values[name] ?? fallback);
    if (Number.isInteger(value) && value > 0) return value;
    throw new RangeError(`--${name} must be a positive integer`);
  };
  const unknown = positionals.find((name) => !Object.hasOwn(BENCHMARKS, name));
  if (unknown !== undefined) throw new RangeError(`unknown benchmark '${unknown}'`);
  const duration = positive('duration', values.quick ? 2 : 5);
  return {
    benchmarks: positionals.length ? [...new Set(positionals)] : Object.keys(BENCHMARKS),
    mode: values.quick ? 'quick' : 'default',
    rounds: positive('rounds', values.quick ? 1 : 3),
    duration,
    warmup: Math.min(2, duration),
    connections: positive('connections'),
    window: positive('window'),
  };
}

async function main() {
  const config = settings();
  for (const name of config.benchmarks) await BENCHMARKS[name](config);
}

main().catch((err) => {
  console.error(`bench: ${err.message}\n${USAGE}`);
  process.exitCode = 1;
});
