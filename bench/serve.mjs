// Child side of every bench server: listen on loopback, report the URL to the orchestrator over
// IPC, answer its `'cpu'` queries with this process's CPU time, and exit when it goes away.
import http from 'node:http';
import { once } from 'node:events';

/**
 * Listens with `server` (any `net.Server`) on 127.0.0.1, port 0, and sends `{ url }` to the
 * parent process.
 */
export async function announce(server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.once('disconnect', () => process.exit(0));
  process.on('message', (message) => {
    if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
  });
  process.send({ url: `http://127.0.0.1:${server.address().port}` });
}

/**
 * Serves `handler` from a `node:http` server on loopback (see `announce`). `setup(server)`, when
 * given, runs before it listens: the place to add an `'upgrade'` listener.
 */
export async function serve(handler, setup) {
  const server = http.createServer(handler);
  // Outlive the pauses between runs, so no pooled keep-alive socket is closed under a contender.
  server.keepAliveTimeout = 60_000;
  setup?.(server);
  await announce(server);
}
