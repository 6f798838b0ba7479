// The HTTP scenarios, loaded with wrk (else autocannon) from CPU 0, every contender in its own
// process on CPU 1 in front of backends/backend.mjs:
//   get      100-byte GET, 50 connections: req/s, p99 latency, CPU µs per request
//   get1m    1 MiB GET, 8 connections: MiB/s, CPU µs per MiB
//   post64k  64 KiB POST echoed by the backend, 16 connections: req/s, CPU µs per request
// Each has this package with every kind of `transport` next to its minimal node:http proxy
// (kinds.mjs); the https.Agent kind and its reference reach a second backend, over TLS.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { LARGE_BYTES, SMALL_BYTES, largeBody } from '../backends/bodies.mjs';
import {
  CPU,
  interleave,
  measured,
  medians,
  ok,
  pick,
  ratio,
  withServers,
  writeResults,
} from '../harness/common.mjs';
import { HTTP, SUBJECT, contenders } from '../harness/contenders.mjs';
import { generator, generatorVersion, load } from '../harness/load.mjs';
import { kindRatios, prepareKinds } from './kinds.mjs';

const MIB = 1 << 20;
const POST_BYTES = 64 << 10;
const PEERS = ['node-pipe', 'hpm', 'fastify-http-proxy'];
const WITHOUT_AS_SHIPPED = HTTP.filter((name) => name !== 'hpm-as-shipped');
/** Every transport kind and its reference, in quick mode too. */
const KINDS = ['node-pipe', 'uap', 'uap-undici', 'uap-agent', 'node-pipe-https', 'uap-https'];
/** What the transport-kind targets ask of each kind: this share of its reference's rate. */
export const KIND_TARGET = ['>=', 0.95];

/** Sends one request without keep-alive; resolves with the status and the whole body. */
async function fetchBody(url, { method = 'GET', body } = {}) {
  const res = await new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, resolve).on('error', reject);
    if (body) req.setHeader('content-type', 'application/octet-stream');
    req.end(body);
  });
  const chunks = [];
  for await (const chunk of res) chunks.push(chunk);
  return { status: res.statusCode, body: Buffer.concat(chunks) };
}

/** A check: the response to `request` must be 200 with exactly the bytes `expected(request)`. */
function bodyCheck(request, expected) {
  return async (c) => {
    const init = request();
    const { status, body } = await fetchBody(c.url, init);
    const want = expected(init);
    if (status !== 200) throw new Error(`status ${status}`);
    if (!body.equals(want))
      throw new Error(`${body.length} bytes came back, not the ${want.length} expected`);
  };
}

const SMALL = Buffer.alloc(SMALL_BYTES, 'x');
const LARGE = largeBody();

export const SCENARIOS = {
  get: {
    title: `${SMALL_BYTES}-byte GET`,
    path: '/bench?q=1',
    connections: 50,
    names: HTTP,
    quick: ['direct', 'undici-pool', 'hpm', 'hpm4', 'httpxy', 'fastify-http-proxy', ...KINDS],
    check: bodyCheck(
      () => ({}),
      () => SMALL,
    ),
  },
  get1m: {
    title: '1 MiB GET',
    path: '/1m?q=1',
    connections: 8,
    names: WITHOUT_AS_SHIPPED,
    quick: ['direct', 'hpm', ...KINDS],
    check: bodyCheck(
      () => ({}),
      () => LARGE,
    ),
  },
  post64k: {
    title: '64 KiB POST, echoed by the backend',
    path: '/echo?q=1',
    bodyBytes: POST_BYTES,
    connections: 16,
    names: WITHOUT_AS_SHIPPED,
    quick: ['direct', 'hpm', ...KINDS],
    check: bodyCheck(
      () => ({ method: 'POST', body: randomBytes(POST_BYTES) }),
      ({ body }) => body,
    ),
  },
};

/**
 * One load run of `scenario` (one of SCENARIOS) against `c`, with the CPU time its process spent
 * per request (and per MiB moved), the full collections V8 made in it per second, and its minor
 * page faults per request (and per MiB).
 */
export async function run(scenario, c, seconds) {
  const cpuBefore = await c.cpuTime();
  const gcsBefore = await c.server.majorGcs();
  const faultsBefore = await c.server.pageFaults();
  const result = await load(c.url, {
    connections: scenario.connections,
    cpu: CPU.load,
    seconds,
    bodyBytes: scenario.bodyBytes,
  });
  if (result.requests === 0) throw new Error(`no request completed in ${seconds} s`);
  const cpuUs = ((await c.cpuTime()) - cpuBefore) / result.requests;
  const majorGcsPerSec = ((await c.server.majorGcs()) - gcsBefore) / seconds;
  const faults = ((await c.server.pageFaults()) - faultsBefore) / result.requests;
  return {
    ...result,
    cpuUs,
    majorGcsPerSec,
    faults,
    faultsPerMib: faults / (LARGE_BYTES / MIB),
    mibPerSec: (result.rps * LARGE_BYTES) / MIB,
    cpuUsPerMib: cpuUs / (LARGE_BYTES / MIB),
  };
}

/** `uap` over the fastest of the peers in `key` (higher is better), naming which peer that was. */
function overBestPeer(summary, key, unit, target) {
  const peers = PEERS.map((name) => pick(summary, name)).filter(Boolean);
  const best = peers.reduce((a, b) => (b[key] > a[key] ? b : a), peers[0]);
  const value = best ? ratio(pick(summary, SUBJECT)?.[key], best[key]) : null;
  return measured(
    `${SUBJECT}/best-peer`,
    `${unit}, ${SUBJECT} / best of ${PEERS.join(', ')} (${best?.name ?? 'none'})`,
    value,
    target,
  );
}

function getRatios(summary) {
  const of = (a, b, key) => ratio(pick(summary, a)?.[key], pick(summary, b)?.[key]);
  return [
    measured(
      'uap/undici-pool',
      `req/s, ${SUBJECT} / undici-pool`,
      of(SUBJECT, 'undici-pool', 'rps'),
      ['>=', 0.9],
    ),
    measured('uap/hpm', `req/s, ${SUBJECT} / hpm`, of(SUBJECT, 'hpm', 'rps')),
    measured('uap/hpm4', `req/s, ${SUBJECT} / hpm4`, of(SUBJECT, 'hpm4', 'rps')),
    measured('uap/httpxy', `req/s, ${SUBJECT} / httpxy`, of(SUBJECT, 'httpxy', 'rps')),
    measured(
      'uap/fastify-http-proxy',
      `req/s, ${SUBJECT} / fastify-http-proxy`,
      of(SUBJECT, 'fastify-http-proxy', 'rps'),
    ),
    measured(
      'rewrite-on/off',
      `req/s, ${SUBJECT} (rewriting on) / uap-agent (off)`,
      of(SUBJECT, 'uap-agent', 'rps'),
      ['>=', 0.9],
    ),
    // The same with the same backend client on both sides, if the default transport is undici.
    measured(
      'rewrite-on/off-undici',
      `req/s, ${SUBJECT} (rewriting on) / uap-undici (off)`,
      of(SUBJECT, 'uap-undici', 'rps'),
    ),
    measured(
      'cpu:uap/undici-pool',
      `CPU/req, ${SUBJECT} / undici-pool`,
      of(SUBJECT, 'undici-pool', 'cpuUs'),
    ),
    measured('cpu:uap/hpm', `CPU/req, ${SUBJECT} / hpm`, of(SUBJECT, 'hpm', 'cpuUs')),
    measured(
      'cpu:rewrite-on/off',
      `CPU/req, ${SUBJECT} (rewriting on) / uap-agent (off)`,
      of(SUBJECT, 'uap-agent', 'cpuUs'),
    ),
    measured(
      'cpu:rewrite-on/off-undici',
      `CPU/req, ${SUBJECT} (rewriting on) / uap-undici (off)`,
      of(SUBJECT, 'uap-undici', 'cpuUs'),
    ),
    ...kindRatios(summary, { rate: 'rps', rateUnit: 'req/s', cpu: 'cpuUs', cpuUnit: 'CPU/req' }),
  ];
}

/** How each scenario is read: its medians, its table's columns, its chart, its ratios. */
export const VIEWS = {
  get: {
    keys: { rps: 0, p50Ms: 2, p99Ms: 2, cpuUs: 1 },
    columns: [
      { key: 'rps', title: 'req/s', digits: 0 },
      { key: 'p50Ms', title: 'p50 ms', digits: 2 },
      { key: 'p99Ms', title: 'p99 ms', digits: 2 },
      { key: 'cpuUs', title: 'CPU µs/req', digits: 1 },
      { key: 'errors', title: 'errors', digits: 0 },
    ],
    chart: { rate: 'rps', rateUnit: 'req/s', cpu: 'cpuUs' },
    ratios: getRatios,
  },
  get1m: {
    keys: { mibPerSec: 1, p99Ms: 1, cpuUsPerMib: 0, majorGcsPerSec: 1, faultsPerMib: 1 },
    columns: [
      { key: 'mibPerSec', title: 'MiB/s', digits: 1 },
      { key: 'p99Ms', title: 'p99 ms', digits: 1 },
      { key: 'cpuUsPerMib', title: 'CPU µs/MiB', digits: 0 },
      { key: 'majorGcsPerSec', title: 'full GCs/s', digits: 1 },
      { key: 'faultsPerMib', title: 'page faults/MiB', digits: 1 },
      { key: 'errors', title: 'errors', digits: 0 },
    ],
    chart: { rate: 'mibPerSec', rateUnit: 'MiB/s', cpu: 'cpuUsPerMib' },
    ratios: (summary) => [
      overBestPeer(summary, 'mibPerSec', 'MiB/s', ['>=', 1]),
      measured(
        'uap/hpm',
        `MiB/s, ${SUBJECT} / hpm`,
        ratio(pick(summary, SUBJECT)?.mibPerSec, pick(summary, 'hpm')?.mibPerSec),
      ),
      ...kindRatios(
        summary,
        { rate: 'mibPerSec', rateUnit: 'MiB/s', cpu: 'cpuUsPerMib', cpuUnit: 'CPU/MiB' },
        KIND_TARGET,
      ),
    ],
  },
  post64k: {
    keys: { rps: 0, p99Ms: 1, cpuUs: 0, majorGcsPerSec: 1, faults: 1 },
    columns: [
      { key: 'rps', title: 'req/s', digits: 0 },
      { key: 'p99Ms', title: 'p99 ms', digits: 1 },
      { key: 'cpuUs', title: 'CPU µs/req', digits: 0 },
      { key: 'majorGcsPerSec', title: 'full GCs/s', digits: 1 },
      { key: 'faults', title: 'page faults/req', digits: 1 },
      { key: 'errors', title: 'errors', digits: 0 },
    ],
    chart: { rate: 'rps', rateUnit: 'req/s', cpu: 'cpuUs' },
    ratios: (summary) => [
      overBestPeer(summary, 'rps', 'req/s', ['>=', 1]),
      measured(
        'uap/hpm',
        `req/s, ${SUBJECT} / hpm`,
        ratio(pick(summary, SUBJECT)?.rps, pick(summary, 'hpm')?.rps),
      ),
      ...kindRatios(
        summary,
        { rate: 'rps', rateUnit: 'req/s', cpu: 'cpuUs', cpuUnit: 'CPU/req' },
        KIND_TARGET,
      ),
    ],
  },
};

/** Runs the HTTP scenario `name` (`get`, `get1m`, `post64k`) with `config` (see run.mjs). */
export async function httpScenario(name, config) {
  const scenario = SCENARIOS[name];
  const view = VIEWS[name];
  const settings = config.settings(name);
  const names = config.quick ? scenario.quick : scenario.names;
  await withServers(async (start) => {
    const backend = await start('backends/backend.mjs', [], CPU.backend);
    const list = await prepareKinds(start, contenders(names), backend, {
      path: scenario.path,
      check: scenario.check,
    });
    await interleave(settings, list.filter(ok), (c, seconds) => run(scenario, c, seconds), {
      rate: (r) => (name === 'get1m' ? r.mibPerSec : r.rps),
      unit: name === 'get1m' ? 'MiB/s' : 'req/s',
      fresh: true,
    });
    const summary = list.map((c) => ({
      ...medians(c, view.keys),
      ...(c.runs.length ? { errors: c.runs.reduce((n, r) => n + r.errors, 0) } : {}),
    }));
    await writeResults({
      scenario: name,
      title: scenario.title,
      how: `${scenario.connections} connections, ${settings.rounds} x ${settings.duration} s (warm-up ${settings.warmup} s), ${generator}`,
      mode: config.mode,
      settings: {
        ...settings,
        connections: scenario.connections,
        ...(scenario.bodyBytes ? { bodyBytes: scenario.bodyBytes } : {}),
      },
      loadGenerator: await generatorVersion(),
      columns: view.columns,
      chart: view.chart,
      contenders: summary,
      ratios: view.ratios(summary),
    });
  });
}
