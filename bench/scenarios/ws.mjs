// `ws`: WebSocket echo of 1 KiB binary messages through the contenders that tunnel upgrades, each
// in its own process on CPU 1 in front of the `ws` echo server of backends/backend.mjs; the load
// is clients/ws-client.mjs on CPU 0 (50 connections x 8 messages in flight). Reports echoes per
// second (one echo: a message through the proxy and back) and the proxy's CPU µs per echo, read
// only while messages flow (handshakes and closes left out).
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import {
  CPU,
  interleave,
  measured,
  medians,
  ok,
  pick,
  prepare,
  ratio,
  withServers,
  writeResults,
} from '../harness/common.mjs';
import { SUBJECT, UPGRADES, contenders } from '../harness/contenders.mjs';
import { startClient } from '../harness/processes.mjs';

const MESSAGE_BYTES = 1024;
const CONNECTIONS = 50;
const WINDOW = 8;
const CLIENT = fileURLToPath(new URL('../clients/ws-client.mjs', import.meta.url));
const QUICK = ['direct', 'net-pipe', 'hpm', 'hpm4', 'uap'];

/** One WebSocket through the contender: a random binary message must come back unchanged. */
async function check({ url }) {
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
  try {
    await once(ws, 'open');
    const message = randomBytes(MESSAGE_BYTES);
    ws.send(message, { binary: true });
    const [echo, isBinary] = await once(ws, 'message');
    if (!isBinary || !message.equals(echo)) throw new Error('the echo differs from the message');
  } finally {
    ws.terminate();
  }
}

/** One run of the echo load against `c`; the CPU time of `c` is read when messages start and stop. */
async function run(c, seconds) {
  const args = [c.url, ...[CONNECTIONS, WINDOW, MESSAGE_BYTES, seconds].map(String)];
  const client = startClient(CLIENT, args, CPU.load);
  try {
    await client.next('ready');
    const cpuBefore = await c.cpuTime();
    client.send('go');
    const result = await client.next('result');
    const cpuUs = ((await c.cpuTime()) - cpuBefore) / result.echoes;
    await client.exited;
    if (result.echoes === 0) throw new Error(`no echo came back in ${seconds} s`);
    return { ...result, cpuUs };
  } finally {
    client.child.kill();
  }
}

/** Runs the `ws` scenario with `config` (see run.mjs) and writes results/ws.json. */
export async function wsEcho(config) {
  const settings = config.settings('ws');
  await withServers(async (start) => {
    const backend = await start('backends/backend.mjs', [], CPU.backend);
    const specs = contenders(config.quick ? QUICK : UPGRADES, { upgrades: true });
    const list = await prepare(start, specs, backend, { path: '/bench?q=1', ws: true, check });
    await interleave(settings, list.filter(ok), run, { rate: (r) => r.rate, unit: 'echoes/s' });
    const summary = list.map((c) => ({
      ...medians(c, { rate: 0, p50Ms: 2, p99Ms: 2, cpuUs: 2 }),
      ...(c.runs.length ? { errors: c.runs.reduce((n, r) => n + r.errors, 0) } : {}),
    }));
    const of = (a, b, key) => ratio(pick(summary, a)?.[key], pick(summary, b)?.[key]);
    await writeResults({
      scenario: 'ws',
      title: `WebSocket echo of ${MESSAGE_BYTES}-byte binary messages`,
      how: `${CONNECTIONS} connections x ${WINDOW} messages in flight, ${settings.rounds} x ${settings.duration} s (warm-up ${settings.warmup} s), ws client`,
      mode: config.mode,
      settings: {
        ...settings,
        connections: CONNECTIONS,
        inFlightPerConnection: WINDOW,
        messageBytes: MESSAGE_BYTES,
      },
      loadGenerator: 'bench/clients/ws-client.mjs (ws)',
      columns: [
        { key: 'rate', title: 'echoes/s', digits: 0 },
        { key: 'p50Ms', title: 'p50 ms', digits: 2 },
        { key: 'p99Ms', title: 'p99 ms', digits: 2 },
        { key: 'cpuUs', title: 'CPU µs/echo', digits: 2 },
        { key: 'errors', title: 'errors', digits: 0 },
      ],
      chart: { rate: 'rate', rateUnit: 'echoes/s', cpu: 'cpuUs' },
      contenders: summary,
      ratios: [
        measured('uap/hpm', `echoes/s, ${SUBJECT} / hpm`, of(SUBJECT, 'hpm', 'rate'), ['>=', 1]),
        measured(
          'cpu:uap/net-pipe',
          `CPU/echo, ${SUBJECT} / net-pipe`,
          of(SUBJECT, 'net-pipe', 'cpuUs'),
          ['<=', 1],
        ),
        measured('cpu:uap/hpm', `CPU/echo, ${SUBJECT} / hpm`, of(SUBJECT, 'hpm', 'cpuUs')),
      ],
    });
  });
}
