// `idle`: memory per idle tunnel. For each contender that tunnels upgrades, in each round, a fresh
// process on CPU 1 (run with --expose-gc) in front of the `ws` server of backends/backend.mjs is
// warmed with a few tunnels, then asked for process.memoryUsage() after a full GC; then
// clients/tunnel-client.mjs (CPU 0) opens 3000 WebSocket tunnels through it (raw sockets, all
// handshakes completed, and the backend holding as many WebSockets), and the contender is asked
// again. Reports heap and RSS bytes per tunnel: (after - before) / tunnels.
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  CPU,
  interleave,
  measured,
  medians,
  pick,
  ratio,
  withServers,
  writeResults,
} from '../harness/common.mjs';
import { SUBJECT, UPGRADES, contenders } from '../harness/contenders.mjs';
import { startClient } from '../harness/processes.mjs';
import { handshake, upgradeRequest } from '../clients/raw-upgrade.mjs';

const TUNNELS = { default: 3000, quick: 500 };
const WARM_TUNNELS = 100;
const CONCURRENCY = 64;
const CLIENT = fileURLToPath(new URL('../clients/tunnel-client.mjs', import.meta.url));
const NAMES = UPGRADES.filter((name) => name !== 'direct');
const QUICK = ['net-pipe', 'hpm', 'hpm4', 'uap'];

/** Polls the backend until `done(webSockets)`; resolves with the count, or rejects after `seconds`. */
async function backendUntil(backend, done, what, seconds = 30) {
  const until = performance.now() + seconds * 1000;
  for (;;) {
    const { webSockets } = await backend.stats();
    if (done(webSockets)) return webSockets;
    if (performance.now() > until)
      throw new Error(
        `the backend holds ${webSockets} WebSockets, not ${what}, after ${seconds} s`,
      );
    await sleep(50);
  }
}

/**
 * Resolves with the backend's WebSocket count once it is down to `floor`, or has not changed for
 * 2 s, or after `seconds` at most.
 */
async function backendSettled(backend, floor = 0, seconds = 20) {
  const until = performance.now() + seconds * 1000;
  let last = -1;
  let since = 0;
  for (;;) {
    const { webSockets } = await backend.stats();
    if (webSockets !== last) [last, since] = [webSockets, performance.now()];
    if (webSockets <= floor || performance.now() - since >= 2000 || performance.now() > until)
      return webSockets;
    await sleep(50);
  }
}

/** Opens `count` tunnels through `url` from a client process; resolves once the backend holds them all too. */
async function openTunnels(backend, url, count) {
  const base = (await backend.stats()).webSockets;
  const client = startClient(CLIENT, [url, String(count), String(CONCURRENCY)], CPU.load);
  try {
    const opened = await client.next('opened');
    if (opened.tunnels !== count)
      throw new Error(`${opened.tunnels} of ${count} tunnels opened (${opened.firstError})`);
    await backendUntil(backend, (n) => n >= base + count, `${base + count}`);
    return { client, opened, base };
  } catch (err) {
    client.child.kill();
    throw err;
  }
}

/**
 * Kills the client, so every tunnel closes, and waits for the backend to settle. Resolves with the
 * backend WebSockets still open above `base` (tunnels the contender did not close).
 */
async function closeTunnels(backend, { client, base }) {
  client.child.kill();
  await client.exited;
  return (await backendSettled(backend, base)) - base;
}

/** One round for `c`: a fresh process, warmed, measured before and after `tunnels` idle tunnels. */
async function measure(start, backend, c, tunnels) {
  const server = await start(`contenders/${c.file}`, [backend.url, ...c.args], CPU.proxy, {
    nodeArgs: ['--expose-gc'],
  });
  try {
    const url = `${server.url}/bench?q=1`;
    const { socket } = await handshake(url, upgradeRequest(url, '/bench?q=1')).catch((err) => {
      throw new Error(`check failed: ${err.message}`);
    });
    socket.destroy();
    await backendSettled(backend);
    await closeTunnels(backend, await openTunnels(backend, url, WARM_TUNNELS));
    await sleep(200);
    const before = await server.memory();
    if (!before.gc) throw new Error('the contender process has no global gc()');
    const open = await openTunnels(backend, url, tunnels);
    await sleep(300);
    const after = await server.memory();
    const lingering = await closeTunnels(backend, open);
    const per = (key) => (after[key] - before[key]) / tunnels;
    return {
      heapPerTunnel: per('heapUsed'),
      rssPerTunnel: per('rss'),
      externalPerTunnel: per('external'),
      openSeconds: open.opened.seconds,
      lingering,
    };
  } finally {
    server.child.kill();
    await backendSettled(backend);
  }
}

/** Runs the `idle` scenario with `config` (see run.mjs) and writes results/idle.json. */
export async function idle(config) {
  const settings = config.settings('idle');
  const tunnels = TUNNELS[config.mode];
  await withServers(async (start) => {
    const backend = await start('backends/backend.mjs', [], CPU.backend);
    const list = contenders(config.quick ? QUICK : NAMES, { upgrades: true }).map((spec) => ({
      ...spec,
      status: 'ok',
      runs: [],
    }));
    await interleave(settings, list, (c) => measure(start, backend, c, tunnels), {
      rate: (r) => r.heapPerTunnel,
      unit: 'heap bytes/tunnel',
    });
    const summary = list.map((c) =>
      medians(c, {
        heapPerTunnel: 0,
        rssPerTunnel: 0,
        externalPerTunnel: 0,
        openSeconds: 2,
        lingering: 0,
      }),
    );
    const of = (a, b, key) => ratio(pick(summary, a)?.[key], pick(summary, b)?.[key]);
    await writeResults({
      scenario: 'idle',
      title: `Memory per idle WebSocket tunnel, ${tunnels} tunnels`,
      how: `${settings.rounds} rounds, a fresh process per round, process.memoryUsage() after a full GC before and after opening the tunnels; left open: backend WebSockets the contender still held once the client's tunnels were gone and the count had not moved for 2 s`,
      mode: config.mode,
      settings: {
        rounds: settings.rounds,
        tunnels,
        warmTunnels: WARM_TUNNELS,
        concurrency: CONCURRENCY,
      },
      loadGenerator: 'bench/clients/tunnel-client.mjs (raw sockets)',
      columns: [
        { key: 'heapPerTunnel', title: 'heap B/tunnel', digits: 0 },
        { key: 'rssPerTunnel', title: 'RSS B/tunnel', digits: 0 },
        { key: 'externalPerTunnel', title: 'external B/tunnel', digits: 0 },
        { key: 'openSeconds', title: 'open all, s', digits: 2 },
        { key: 'lingering', title: 'left open', digits: 0 },
      ],
      chart: { memory: 'heapPerTunnel', memoryUnit: 'heap bytes/tunnel' },
      contenders: summary,
      ratios: [
        measured(
          'heap:uap/hpm',
          `heap/tunnel, ${SUBJECT} / hpm`,
          of(SUBJECT, 'hpm', 'heapPerTunnel'),
          ['<=', 0.8],
        ),
        measured('rss:uap/hpm', `RSS/tunnel, ${SUBJECT} / hpm`, of(SUBJECT, 'hpm', 'rssPerTunnel')),
        measured(
          'heap:uap/net-pipe',
          `heap/tunnel, ${SUBJECT} / net-pipe`,
          of(SUBJECT, 'net-pipe', 'heapPerTunnel'),
        ),
      ],
    });
  });
}
