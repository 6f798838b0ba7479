// The WebSocket echo load, a child process of scenarios/ws.mjs on the load CPU: `connections` `ws` clients, each
// keeping `window` binary messages of `bytes` bytes in flight (the next one goes out when an echo
// comes back). It opens every connection, sends `{ ready }` over IPC and waits for `'go'`; then
// it counts echoes for `seconds`, sends `{ result }` the moment it stops, closes and exits.
// Usage: node ws-client.mjs <ws url> <connections> <window> <bytes> <seconds>
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';

const [url, ...numbers] = process.argv.slice(2);
const [connections, window, bytes, seconds] = numbers.map(Number);
const payload = randomBytes(bytes);

let running = false;
let echoes = 0;
let errors = 0;
let latencies = new Float64Array(1 << 16); // ms, one per echo counted

function record(ms) {
  if (echoes === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[echoes++] = ms;
}

/** Opens one connection; once `running`, it keeps `window` messages in flight. */
async function open() {
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
  const sent = []; // send times of the messages in flight, oldest first (echoes come in order)
  const send = () => {
    sent.push(performance.now());
    ws.send(payload, { binary: true });
  };
  ws.on('message', (data) => {
    if (!running) return;
    record(performance.now() - sent.shift());
    if (data.length !== bytes) errors++;
    send();
  });
  ws.on('error', () => errors++);
  ws.on('close', () => running && errors++);
  await once(ws, 'open'); // rejects on 'error'
  return {
    ws,
    start: () => {
      for (let i = 0; i < window; i++) send();
    },
  };
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function main() {
  const clients = await Promise.all(Array.from({ length: connections }, open));
  process.send({ ready: true });
  await once(process, 'message'); // 'go'
  running = true;
  const started = performance.now();
  for (const client of clients) client.start();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  const elapsed = (performance.now() - started) / 1000;
  const sorted = latencies.subarray(0, echoes).sort();
  process.send({
    result: {
      echoes,
      rate: echoes / elapsed,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      errors,
    },
  });
  // Close cleanly, so the proxies see ordinary closes; give up on any still open after 5 s.
  const closed = clients.map(({ ws }) => {
    ws.close();
    return once(ws, 'close');
  });
  await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 5_000))]);
}

process.once('disconnect', () => process.exit(0));
main().then(
  () => process.exit(0),
  (err) => {
    process.send({ error: `ws-client: ${err.message}` }, () => process.exit(1));
  },
);
