// Requests per second of a 100-byte GET: this package against http-proxy-middleware, each in its
// own process, all in front of one keep-alive backend, interleaved over several rounds.
import http from 'node:http';
import {
  CPU, SUBJECT, environment, interleave, ratio, roundTo, showRatios, table, withServers,
  writeResults,
  requestMedians,
} from './common.mjs';
import { generator, generatorVersion, load } from './load.mjs';
import { pinning } from './processes.mjs';

const BODY_BYTES = 100;
const RESULTS = new URL('results/http-get.json', import.meta.url);
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

/** One load run against `c`, with the CPU time its process spent per request. */
async function run(config, c, seconds) {
  const cpuBefore = await c.cpuTime();
  const result = await load(c.url, { connections: config.connections, cpu: CPU.load, seconds });
  return { ...result, cpuUs: (await c.cpuTime() - cpuBefore) / result.requests };
}

function summarize(contenders) {
  const summary = requestMedians(contenders);
  const direct = summary.find((s) => s.name === 'direct');
  const subject = summary.find((s) => s.name === SUBJECT);
  for (const s of summary) s.ofDirect = roundTo(s.rps / direct.rps, 3);
  const others = summary.filter((s) => s.name.startsWith('hpm'));
  return {
    summary,
    // This package's requests per second over each HPM variant's: above 1, we are faster.
    ratios: Object.fromEntries(others.map((s) => [`${SUBJECT} / ${s.name}`, ratio(subject.rps, s.rps)])),
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
  const { connections, rounds, duration } = config;
  const how = `${rounds} x ${duration} s, ${generator}${pinning ? ', pinned' : ''}`;
  console.log(`\n${BODY_BYTES}-byte GET, ${connections} connections, ${how}`);
  console.log(`\n${table(rows)}\n`);
  console.log('CPU µs/req: CPU time per request of the process under test (direct: the backend)\n');
  showRatios('req/s', ratios);
  showRatios('CPU/req', cpuRatios);
}

async function report(config, { summary, ratios, cpuRatios }) {
  return {
    date: new Date().toISOString(),
    request: `GET, ${BODY_BYTES}-byte response body`,
    mode: config.mode,
    rounds: config.rounds,
    duration: config.duration,
    warmup: config.warmup,
    connections: config.connections,
    loadGenerator: await generatorVersion(),
    pinned: pinning ? CPU : false,
    ...environment(['http-proxy-middleware']),
    contenders: summary,
    ratios,
    cpuRatios,
  };
}

/** Runs the HTTP GET benchmark with `config` (see run.mjs) and writes results/http-get.json. */
export async function httpGet(config) {
  await withServers(async (start) => {
    const backend = await start('backend.mjs', [String(BODY_BYTES)], CPU.backend);
    const contenders = [];
    for (const { file, args = [], ...c } of CONTENDERS) {
      const { url, cpuTime } = file ? await start(file, [backend.url, ...args], CPU.proxy) : backend;
      contenders.push({ ...c, url: `${url}/bench?q=1`, cpuTime, runs: [] });
    }
    for (const c of contenders) await check(c);
    await interleave(config, contenders, (c, seconds) => run(config, c, seconds), {
      rate: (r) => r.rps,
      unit: 'req/s',
    });
    const result = summarize(contenders);
    print(config, result);
    await writeResults(RESULTS, await report(config, result));
  });
}
