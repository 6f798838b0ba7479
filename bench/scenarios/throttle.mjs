// `throttle`: the accuracy of `maxBytesPerSec`. This package (plain node:http server, CPU 1) with
// `maxBytesPerSec` at 256 KiB/s and at 1 MiB/s, one tunnel each time to the backend's `/source`
// (backends/backend.mjs), which writes as fast as the tunnel drains; clients/throttle-client.mjs
// (CPU 0) measures the rate delivered to it over the steady part (after the first second, or half).
// Reports the delivered rate and its deviation from the configured one (target: within 5 %).
import { fileURLToPath } from 'node:url';
import {
  CPU,
  interleave,
  measured,
  medians,
  prepare,
  roundTo,
  withServers,
  writeResults,
} from '../harness/common.mjs';
import { subjectWith } from '../harness/contenders.mjs';
import { startClient } from '../harness/processes.mjs';
import { handshake, upgradeRequest } from '../clients/raw-upgrade.mjs';

const KIB = 1024;
const RATES = [256 * KIB, 1024 * KIB];
/** The start of a run left out of the figure: a second, half of one in quick mode. */
const SKIP_SECONDS = { default: 1, quick: 0.5 };
const CLIENT = fileURLToPath(new URL('../clients/throttle-client.mjs', import.meta.url));

const nameOf = (rate) =>
  rate < 1024 * KIB ? `uap ${rate / KIB} KiB/s` : `uap ${rate / (1024 * KIB)} MiB/s`;

/** A tunnel to `/source` must open through the contender and deliver bytes. */
async function check({ url }) {
  const { socket, rest } = await handshake(url, upgradeRequest(url, '/source', 'bench-source'));
  if (!rest.length) await new Promise((resolve) => socket.once('data', resolve).resume());
  socket.destroy();
}

/** One run: the rate delivered through `c` over the steady part of `seconds`. */
async function run(c, seconds, skip) {
  const client = startClient(CLIENT, [c.url, String(seconds), String(skip)], CPU.load);
  try {
    const result = await client.next('result');
    return { ...result, deviation: result.rate / c.rate - 1 };
  } finally {
    client.child.kill();
  }
}

/** Runs the `throttle` scenario with `config` (see run.mjs) and writes results/throttle.json. */
export async function throttle(config) {
  const settings = config.settings('throttle');
  await withServers(async (start) => {
    const backend = await start('backends/backend.mjs', [], CPU.backend);
    const specs = RATES.map((rate) =>
      subjectWith(nameOf(rate), `upgrade-aware-proxy, maxBytesPerSec ${rate}`, [
        `throttle=${rate}`,
      ]),
    );
    const list = await prepare(start, specs, backend, { check });
    list.forEach((c, i) => (c.rate = RATES[i]));
    const skip = SKIP_SECONDS[config.mode];
    await interleave(settings, list, (c, seconds) => run(c, seconds, skip), {
      rate: (r) => r.rate / KIB,
      unit: 'KiB/s delivered',
    });
    const summary = list.map((c, i) => {
      const s = { ...medians(c, { rate: 0, deviation: 4 }), configured: RATES[i] };
      return s.deviation == null ? s : { ...s, deviationPercent: roundTo(100 * s.deviation, 2) };
    });
    await writeResults({
      scenario: 'throttle',
      title: 'Throttle accuracy: maxBytesPerSec on one tunnel, backend writing as fast as it can',
      how: `${settings.rounds} x ${settings.duration} s per rate, rate measured at the receiver after the first ${skip} s`,
      mode: config.mode,
      settings: { rounds: settings.rounds, duration: settings.duration, skipSeconds: skip },
      loadGenerator: 'bench/clients/throttle-client.mjs (raw socket)',
      columns: [
        { key: 'configured', title: 'configured B/s', digits: 0 },
        { key: 'rate', title: 'delivered B/s', digits: 0 },
        { key: 'deviationPercent', title: 'deviation %', digits: 2 },
      ],
      chart: null,
      contenders: summary,
      ratios: summary.map((s) =>
        measured(
          `throttle:${s.configured}`,
          `deviation from the configured rate (absolute), ${s.name}`,
          s.deviation == null ? null : roundTo(Math.abs(s.deviation), 4),
          ['<=', 0.05],
        ),
      ),
    });
  });
}
