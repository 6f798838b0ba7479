// Requests per second of a 100-byte GET: this package against http-proxy-middleware, each in its
// own process, all in front of one keep-alive backend, interleaved over several rounds.
// Usage: node bench/run.mjs [--quick] [--rounds N] [--duration SECONDS] [--connections N]
import http from 'node:http';
import os from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generator, generatorVersion, load } from './load.mjs';
import { pinning, startServer } from './processes.mjs';

const USAGE = 'usage: node bench/run.mjs [--quick] [--rounds N] [--duration S] [--connections N]';
const BODY_BYTES = 100;
const CPU = { backend: 0, load: 0, proxy: 1 };
const RESULTS = new URL('results/http-get.json', import.meta.url);
const SUBJECT = 'upgrade-aware-proxy';
const CONTENDERS = [
  { name: 'direct', label: 'backend, no proxy (ceiling)' },
  { name: SUBJECT, label: SUBJECT, file: 'contenders/upgrade-aware.mjs' },
  { name: 'hpm', label: 'http-proxy-middleware, default', file: 'contenders/hpm.mjs' },
  {
    name: 'hpm-keep-alive',
    label: 'http-proxy-middleware, keep-alive agent',
    file: 'contenders/hpm.mjs',
    args: ['keep-alive'],
  },
];

function settings() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string', default: '50' },
    },
  });
  const positive = (name, fallback) => {
    const value = Number(values[name] ?? fallback);
    if (Number.isInteger(value) && value > 0) return value;
    throw new RangeError(`--${name} must be a positive integer`);
  };
  const duration = positive('duration', values.quick ? 2 : 5);
  return {
    mode: values.quick ? 'quick' : 'default',
    rounds: positive('rounds', values.quick ? 1 : 3),
    duration,
    warmup: Math.min(2, duration),
    connections: positive('connections'),
  };
}

const roundTo = (x, digits = 1) => Number(x.toFixed(digits));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** One GET without keep-alive: the contender must answer 200 with the backend's body. */
async function check({ name, url }) {
  const res = await new Promise((resolve, reject) => {
    http.get(url, { agent: false }, resolve).on('error', reject);
  });
  let length = 0;
  for await (const chunk of res) length += chunk.length;
  if (res.statusCode !== 200 || length !== BODY_BYTES) {
    throw new Error(`${name}: ${res.statusCode} with ${length} bytes, not 200 with ${BODY_BYTES}`);
  }
}

async function measure(config, contenders) {
  const options = { connections: config.connections, cpu: CPU.load };
  for (const c of contenders) await load(c.url, { ...options, seconds: config.warmup });
  for (let round = 0; round < config.rounds; round++) {
    // Rotate the order each round, so no contender always runs first or last.
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
    for (const c of order) {
      const cpuBefore = await c.cpuTime();
      const run = await load(c.url, { ...options, seconds: config.duration });
      c.runs.push({ ...run, cpuUs: (await c.cpuTime() - cpuBefore) / run.requests });
      const rps = run.rps.toFixed(0).padStart(7);
      console.error(`round ${round + 1}/${config.rounds}  ${c.name.padEnd(20)} ${rps} req/s`);
    }
  }
}

function summarize(contenders) {
  const summary = contenders.map(({ name, label, runs }) => ({
    name,
    label,
    rps: roundTo(median(runs.map((r) => r.rps))),
    p50Ms: roundTo(median(runs.map((r) => r.p50Ms)), 2),
    p99Ms: roundTo(median(runs.map((r) => r.p99Ms)), 2),
    cpuUsPerRequest: roundTo(median(runs.map((r) => r.cpuUs))),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    rounds: runs.map((r) => Math.round(r.rps)),
  }));
  const direct = summary.find((s) => s.name === 'direct');
  const subject = summary.find((s) => s.name === SUBJECT);
  for (const s of summary) s.ofDirect = roundTo(s.rps / direct.rps, 3);
  const others = summary.filter((s) => s.name.startsWith('hpm'));
  const ratio = (a, b) => roundTo(a / b, 3);
  return {
    summary,
    // This package's requests per second over each HPM variant's: above 1, we are faster.
    ratios: Object.fromEntries(others.map((s) => [
      `${SUBJECT} / ${s.name}`,
      ratio(subject.rps, s.rps),
    ])),
    // Each HPM variant's CPU time per request over this package's: above 1, we are cheaper.
    cpuRatios: Object.fromEntries(others.map((s) => [
      `${s.name} / ${SUBJECT}`,
      ratio(s.cpuUsPerRequest, subject.cpuUsPerRequest),
    ])),
  };
}

function print(config, { summary, ratios, cpuRatios }) {
  const rows = [
    ['contender', 'median req/s', 'rounds', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors', 'of direct'],
  ];
  for (const s of summary) {
    rows.push([s.label, s.rps.toFixed(0), s.rounds.join(' '), s.p50Ms.toFixed(2), s.p99Ms.toFixed(2),
      s.cpuUsPerRequest.toFixed(0), String(s.errors), `${(s.ofDirect * 100).toFixed(0)}%`]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const pad = (cell, i) => (i ? cell.padStart(widths[i]) : cell.padEnd(widths[i]));
  const { connections, rounds, duration } = config;
  const how = `${rounds} x ${duration} s, ${generator}${pinning ? ', pinned' : ''}`;
  console.log(`\n${BODY_BYTES}-byte GET, ${connections} connections, ${how}`);
  console.log(`\n${rows.map((r) => r.map(pad).join('  ')).join('\n')}\n`);
  console.log('CPU µs/req: CPU time per request of the process under test (direct: the backend)\n');
  const show = (what, byName) => {
    for (const [name, x] of Object.entries(byName)) console.log(`${what}, ${name}: ${x.toFixed(2)}x`);
  };
  show('req/s', ratios);
  show('CPU/req', cpuRatios);
}

async function report(config, { summary, ratios, cpuRatios }) {
  const require = createRequire(import.meta.url);
  return {
    date: new Date().toISOString(),
    request: `GET, ${BODY_BYTES}-byte response body`,
    ...config,
    loadGenerator: await generatorVersion(),
    pinned: pinning ? CPU : false,
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpu: os.cpus()[0]?.model,
      cpus: os.cpus().length,
    },
    versions: {
      [SUBJECT]: require('../package.json').version,
      'http-proxy-middleware': require('http-proxy-middleware/package.json').version,
    },
    contenders: summary,
    ratios,
    cpuRatios,
  };
}

async function main() {
  const config = settings();
  const children = [];
  const start = async (file, args, cpu) => {
    const server = await startServer(fileURLToPath(new URL(file, import.meta.url)), args, cpu);
    children.push(server.child);
    return server;
  };
  try {
    const backend = await start('backend.mjs', [String(BODY_BYTES)], CPU.backend);
    const contenders = [];
    for (const { file, args = [], ...c } of CONTENDERS) {
      const { url, cpuTime } = file ? await start(file, [backend.url, ...args], CPU.proxy) : backend;
      contenders.push({ ...c, url: `${url}/bench?q=1`, cpuTime, runs: [] });
    }
    for (const c of contenders) await check(c);
    await measure(config, contenders);
    const result = summarize(contenders);
    print(config, result);
    await mkdir(new URL('.', RESULTS), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(await report(config, result), null, 2)}\n`);
    console.log(`\nwritten to ${fileURLToPath(RESULTS)}`);
  } finally {
    for (const child of children) child.kill();
  }
}

main().catch((err) => {
  console.error(`bench: ${err.message}\n${USAGE}`);
  process.exitCode = 1;
});
