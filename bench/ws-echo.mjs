// WebSocket echoes per second of 1 KiB binary messages: this package's upgrade path against
// http-proxy-middleware (`ws: true`) and a raw TCP pipe, each in its own process, all in front of
// one `ws` echo backend, interleaved over several rounds.
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import {
  CPU, SUBJECT, environment, interleave, median, ratio, roundTo, showRatios, table, withServers,
  writeResults,
} from './common.mjs';
import { pinning } from './processes.mjs';
import { echoLoad } from './ws-load.mjs';

const MESSAGE_BYTES = 1024;
const RESULTS = new URL('results/ws-echo.json', import.meta.url);
const PIPE = 'net-pipe';
const CONTENDERS = [
  { name: 'direct', label: 'backend, no proxy (ceiling)' },
  { name: SUBJECT, label: SUBJECT, file: 'contenders/upgrade-aware.mjs' },
  { name: 'hpm', label: 'http-proxy-middleware, ws: true', file: 'contenders/hpm.mjs', args: ['ws'] },
  { name: PIPE, label: 'raw net pipe (floor)', file: 'contenders/net-pipe.mjs' },
];

/** One WebSocket through the contender: a random message must come back unchanged. */
async function check({ name, url }) {
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
  try {
    await once(ws, 'open');
    const message = randomBytes(MESSAGE_BYTES);
    ws.send(message, { binary: true });
    const [echo, isBinary] = await once(ws, 'message');
    if (!isBinary || !message.equals(echo)) throw new Error('the echo differs from the message');
  } catch (err) {
    throw new Error(`${name}: ${err.message}`);
  } finally {
    ws.terminate();
  }
}

/** One load run against `c`, with the CPU time its process spent per echo. */
async function run(config, c, seconds) {
  const { connections, window } = config;
  const result = await echoLoad(c.url, {
    connections, window, bytes: MESSAGE_BYTES, seconds, cpu: CPU.load, cpuTime: c.cpuTime,
  });
  if (result.echoes === 0) throw new Error(`${c.name}: no echo came back in ${seconds} s`);
  return result;
}

function summarize(contenders) {
  const summary = contenders.map(({ name, label, runs }) => ({
    name,
    label,
    echoesPerSec: roundTo(median(runs.map((r) => r.rate))),
    p50Ms: roundTo(median(runs.map((r) => r.p50Ms)), 2),
    p99Ms: roundTo(median(runs.map((r) => r.p99Ms)), 2),
    cpuUsPerEcho: roundTo(median(runs.map((r) => r.cpuUs)), 2),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    rounds: runs.map((r) => Math.round(r.rate)),
    cpuRounds: runs.map((r) => roundTo(r.cpuUs, 2)),
  }));
  const direct = summary.find((s) => s.name === 'direct');
  const subject = summary.find((s) => s.name === SUBJECT);
  for (const s of summary) s.ofDirect = roundTo(s.echoesPerSec / direct.echoesPerSec, 3);
  const others = summary.filter((s) => s.name !== 'direct' && s.name !== SUBJECT);
  return {
    summary,
    // This package's echoes per second over each other proxy's: above 1, we are faster.
    ratios: Object.fromEntries(others.map((s) => [
      `${SUBJECT} / ${s.name}`,
      ratio(subject.echoesPerSec, s.echoesPerSec),
    ])),
    // Each other proxy's CPU time per echo over this package's: above 1, we are cheaper.
    cpuRatios: Object.fromEntries(others.map((s) => [
      `${s.name} / ${SUBJECT}`,
      ratio(s.cpuUsPerEcho, subject.cpuUsPerEcho),
    ])),
  };
}

function print(config, { summary, ratios, cpuRatios }) {
  const rows = [
    ['contender', 'median echoes/s', 'rounds', 'p50 ms', 'p99 ms', 'CPU µs/echo', 'errors', 'of direct'],
  ];
  for (const s of summary) {
    rows.push([s.label, s.echoesPerSec.toFixed(0), s.rounds.join(' '), s.p50Ms.toFixed(2),
      s.p99Ms.toFixed(2), s.cpuUsPerEcho.toFixed(1), String(s.errors),
      `${(s.ofDirect * 100).toFixed(0)}%`]);
  }
  const { connections, window, rounds, duration } = config;
  const how = `${rounds} x ${duration} s, ws client${pinning ? ', pinned' : ''}`;
  console.log(`\nWebSocket echo of ${MESSAGE_BYTES}-byte binary messages, ${connections} connections ` +
    `x ${window} in flight, ${how}`);
  console.log(`\n${table(rows)}\n`);
  console.log('CPU µs/echo: CPU time of the process under test per echo, both directions ' +
    '(direct: the backend)\n');
  showRatios('echoes/s', ratios);
  showRatios('CPU/echo', cpuRatios);
}

function report(config, { summary, ratios, cpuRatios }) {
  return {
    date: new Date().toISOString(),
    message: `WebSocket binary message, ${MESSAGE_BYTES} bytes, echoed by the backend`,
    mode: config.mode,
    rounds: config.rounds,
    duration: config.duration,
    warmup: config.warmup,
    connections: config.connections,
    inFlightPerConnection: config.window,
    loadGenerator: 'ws client (bench/ws-client.mjs)',
    pinned: pinning ? CPU : false,
    ...environment(['http-proxy-middleware', 'ws']),
    contenders: summary,
    ratios,
    cpuRatios,
  };
}

/** Runs the WebSocket echo benchmark with `config` (see run.mjs) and writes results/ws-echo.json. */
export async function wsEcho(config) {
  await withServers(async (start) => {
    const backend = await start('ws-backend.mjs', [], CPU.backend);
    const contenders = [];
    for (const { file, args = [], ...c } of CONTENDERS) {
      const { url, cpuTime } = file ? await start(file, [backend.url, ...args], CPU.proxy) : backend;
      contenders.push({ ...c, url: `${url.replace(/^http/, 'ws')}/bench?q=1`, cpuTime, runs: [] });
    }
    for (const c of contenders) await check(c);
    await interleave(config, contenders, (c, seconds) => run(config, c, seconds), {
      rate: (r) => r.rate,
      unit: 'echoes/s',
    });
    const result = summarize(contenders);
    print(config, result);
    await writeResults(RESULTS, report(config, result));
  });
}
