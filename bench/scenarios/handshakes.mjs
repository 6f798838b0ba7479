// `handshakes`: WebSocket handshakes per second through the contenders that tunnel upgrades, each
// in its own process on CPU 1 in front of backends/handshake-backend.mjs, which answers the
// WebSocket handshake by hand on a raw socket (the `ws` library's server, or even node:http's
// parser, would saturate CPU 0 first, and then the backend, not the proxy, would be measured).
// The load is clients/handshake-client.mjs on CPU 0: a lean raw-socket client (a WebSocket
// library would be the bottleneck) keeping 32 connections busy with connect, upgrade request,
// `101` head, reset.
// Reports handshakes per second and the proxy's CPU µs per handshake.
import { fileURLToPath } from 'node:url';
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
import { handshake, upgradeRequest } from '../clients/raw-upgrade.mjs';

const CONNECTIONS = 32;
const CLIENT = fileURLToPath(new URL('../clients/handshake-client.mjs', import.meta.url));
const QUICK = ['direct', 'hpm', 'hpm4', 'httpxy', 'fastify-http-proxy', 'uap'];

/** One handshake through the contender must end in a `101`. */
async function check({ url }) {
  const { socket } = await handshake(url, upgradeRequest(url, '/handshake?q=1'));
  socket.destroy();
}

/** One run of the handshake load against `c`, with the CPU time of `c` per handshake. */
async function run(c, seconds) {
  const client = startClient(CLIENT, [c.url, String(CONNECTIONS), String(seconds)], CPU.load);
  try {
    await client.next('ready');
    const cpuBefore = await c.cpuTime();
    client.send('go');
    const result = await client.next('result');
    const cpuUs = ((await c.cpuTime()) - cpuBefore) / result.handshakes;
    await client.exited;
    if (result.handshakes === 0)
      throw new Error(`no handshake in ${seconds} s (${result.firstError})`);
    return { ...result, cpuUs };
  } finally {
    client.child.kill();
  }
}

/** Runs the `handshakes` scenario with `config` (see run.mjs) and writes results/handshakes.json. */
export async function handshakes(config) {
  const settings = config.settings('handshakes');
  await withServers(async (start) => {
    const backend = await start('backends/handshake-backend.mjs', [], CPU.backend);
    const specs = contenders(config.quick ? QUICK : UPGRADES, { upgrades: true });
    const list = await prepare(start, specs, backend, { check });
    await interleave(settings, list.filter(ok), run, {
      rate: (r) => r.rate,
      unit: 'handshakes/s',
      fresh: true,
    });
    const summary = list.map((c) => ({
      ...medians(c, { rate: 0, p50Ms: 2, p99Ms: 2, cpuUs: 1 }),
      ...(c.runs.length ? { errors: c.runs.reduce((n, r) => n + r.errors, 0) } : {}),
    }));
    const of = (a, b, key) => ratio(pick(summary, a)?.[key], pick(summary, b)?.[key]);
    await writeResults({
      scenario: 'handshakes',
      title: 'WebSocket handshakes (connect, upgrade, 101, close)',
      how: `${CONNECTIONS} connections, ${settings.rounds} x ${settings.duration} s (warm-up ${settings.warmup} s), raw-socket client`,
      mode: config.mode,
      settings: { ...settings, connections: CONNECTIONS },
      loadGenerator: 'bench/clients/handshake-client.mjs (raw sockets)',
      columns: [
        { key: 'rate', title: 'handshakes/s', digits: 0 },
        { key: 'p50Ms', title: 'p50 ms', digits: 2 },
        { key: 'p99Ms', title: 'p99 ms', digits: 2 },
        { key: 'cpuUs', title: 'CPU µs/handshake', digits: 1 },
        { key: 'errors', title: 'errors', digits: 0 },
      ],
      chart: { rate: 'rate', rateUnit: 'handshakes/s', cpu: 'cpuUs' },
      contenders: summary,
      ratios: [
        measured('uap/hpm', `handshakes/s, ${SUBJECT} / hpm`, of(SUBJECT, 'hpm', 'rate'), [
          '>=',
          1.15,
        ]),
        measured('direct/hpm', 'handshakes/s, direct / hpm', of('direct', 'hpm', 'rate')),
        measured('uap/hpm4', `handshakes/s, ${SUBJECT} / hpm4`, of(SUBJECT, 'hpm4', 'rate')),
        measured('uap/httpxy', `handshakes/s, ${SUBJECT} / httpxy`, of(SUBJECT, 'httpxy', 'rate')),
        measured('cpu:uap/hpm', `CPU/handshake, ${SUBJECT} / hpm`, of(SUBJECT, 'hpm', 'cpuUs')),
      ],
    });
  });
}
