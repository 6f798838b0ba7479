// The throttle receiver, a child process of scenarios/throttle.mjs on the load CPU: opens one
// tunnel to the backend's `/source` (which writes as fast as it can) and counts what arrives for
// `seconds`. The delivered rate is the least-squares slope of bytes received against time, over
// the samples after the first `skip` seconds (the steady part). Sends `{ result: { rate, bytes,
// seconds, samples } }` and exits. Usage: node throttle-client.mjs <url> <seconds> <skip>
import { handshake, upgradeRequest } from './raw-upgrade.mjs';

const [url, seconds, skip] = process.argv.slice(2).map((arg, i) => (i ? Number(arg) : arg));

/** Least-squares slope of `ys` over `xs`. */
function slope(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return num / den;
}

process.once('disconnect', () => process.exit(0));
const { socket, rest } = await handshake(url, upgradeRequest(url, '/source', 'bench-source'));
const started = performance.now();
const times = [];
const totals = [];
let bytes = rest.length;
socket
  .on('data', (chunk) => {
    bytes += chunk.length;
    times.push((performance.now() - started) / 1000);
    totals.push(bytes);
  })
  .resume();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
socket.destroy();
const steady = times.map((t, i) => [t, totals[i]]).filter(([t]) => t >= skip);
if (steady.length < 3) {
  process.send({ error: `only ${steady.length} reads after ${skip} s` }, () => process.exit(1));
} else {
  const rate = slope(
    steady.map(([t]) => t),
    steady.map(([, b]) => b),
  );
  process.send({ result: { rate, bytes, seconds, samples: steady.length } }, () => process.exit(0));
}
