// The handshake load, a child process of scenarios/handshakes.mjs on the load CPU: `connections`
// loops, each doing again and again: connect, write a WebSocket upgrade request, read until the
// end of the `101` head, reset the connection (the backend has closed its side already). Sends
// `{ ready }`, waits for `'go'`, runs for `seconds`, then sends `{ result: { handshakes, rate, p50Ms, p99Ms, errors } }` and exits.
// Usage: node handshake-client.mjs <url> <connections> <seconds>
import { once } from 'node:events';
import { handshake, upgradeRequest } from './raw-upgrade.mjs';

const [url, connections, seconds] = process.argv.slice(2);
const request = upgradeRequest(url, '/handshake?q=1');
const times = [];
let errors = 0;
let firstError;
let running = true;

async function loop() {
  while (running) {
    const started = performance.now();
    try {
      const { socket } = await handshake(url, request);
      socket.resetAndDestroy(); // a reset leaves no TIME_WAIT behind (see handshake-backend.mjs)
      if (running) times.push(performance.now() - started);
    } catch (err) {
      errors++;
      firstError ??= err.message;
    }
  }
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

process.once('disconnect', () => process.exit(0));
process.send({ ready: true });
await once(process, 'message'); // 'go'
const started = performance.now();
const loops = Array.from({ length: Number(connections) }, loop);
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
running = false;
const elapsed = (performance.now() - started) / 1000;
const sorted = Float64Array.from(times).sort();
process.send({
  result: {
    handshakes: times.length,
    rate: times.length / elapsed,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    errors,
    firstError,
  },
});
await Promise.all(loops);
process.exit(0);
