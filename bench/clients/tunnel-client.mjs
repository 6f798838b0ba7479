// The idle-tunnel client, a child process of scenarios/idle.mjs on the load CPU: opens `count`
// WebSocket tunnels with raw sockets (handshake only, `concurrency` at a time), sends
// `{ opened: { tunnels, errors, firstError, seconds } }` and keeps them open, idle, until it exits
// (killed, or the orchestrator goes away), which closes them all.
// Usage: node tunnel-client.mjs <url> <count> <concurrency>
import { handshake, upgradeRequest } from './raw-upgrade.mjs';

const [url, count, concurrency] = process.argv.slice(2);
const request = upgradeRequest(url, '/bench?q=1');
const sockets = [];
let errors = 0;
let firstError;
let next = 0;

async function opener() {
  while (next < Number(count)) {
    next++;
    try {
      const { socket } = await handshake(url, request);
      socket.on('error', () => {}); // a proxy closing later is not this client's concern
      sockets.push(socket);
    } catch (err) {
      errors++;
      firstError ??= err.message;
    }
  }
}

process.once('disconnect', () => process.exit(0));
const started = performance.now();
await Promise.all(Array.from({ length: Number(concurrency) }, opener));
process.send({
  opened: {
    tunnels: sockets.length,
    errors,
    firstError,
    seconds: (performance.now() - started) / 1000,
  },
});
setInterval(() => {}, 1 << 30); // stay up, sockets open, until killed
