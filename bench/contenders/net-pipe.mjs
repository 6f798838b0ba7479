// Node's floor for a tunnel: no HTTP at all. Each TCP connection gets its own backend connection
// and the two are piped both ways (the upgrade request and response included, byte for byte),
// with Nagle off as in the proxies' tunnels; either side closing or failing closes both.
// Usage: node net-pipe.mjs <backend url>
import net from 'node:net';
import { announce } from '../harness/serve.mjs';

const { hostname, port } = new URL(process.argv[2]);

const server = net.createServer({ noDelay: true }, (client) => {
  const backend = net.connect({ host: hostname, port: Number(port), noDelay: true });
  const close = () => {
    client.destroy();
    backend.destroy();
  };
  for (const socket of [client, backend]) socket.on('error', close).on('close', close);
  client.pipe(backend).pipe(client);
});
await announce(server);
