/* The demo behind `npm start`: an embedded backend on a free loopback port, and the proxy in an
 * Express app in front of it on 127.0.0.1:8001 (or the next free port), built on the public API
 * like any user's program. `--port N` picks the proxy's port (0: a free one). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { upgradeAware } from 'upgrade-aware-proxy';
import type { UpgradeAwareMiddleware } from 'upgrade-aware-proxy';
import { DEFAULT_PORT, PORT_ATTEMPTS, USAGE, UsageError, parseDemoArgs } from './args.js';
import { createBackend } from './backend.js';
import type { DemoBackend } from './backend.js';
import { banner } from './banner.js';

/** Listens on 127.0.0.1:`port`; resolves with the port listened on. */
function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Listens on the first free port of DEFAULT_PORT and the PORT_ATTEMPTS - 1 after it. */
async function listenFromDefault(server: http.Server): Promise<number> {
  for (let port = DEFAULT_PORT; ; port++) {
    try {
      return await listen(server, port);
    } catch (err) {
      const last = port === DEFAULT_PORT + PORT_ATTEMPTS - 1;
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      if (last)
        throw new Error(
          `ports ${DEFAULT_PORT} to ${port} are all in use; pick one with --port N (0 for any free port)`,
        );
    }
  }
}

/** The proxy, exactly as a user would write it: the backend mounted at /proxy of an Express app. */
function proxyServer(backendUrl: string): { server: http.Server; proxy: UpgradeAwareMiddleware } {
  const proxy = upgradeAware({ location: backendUrl, useRequestLocation: true });
  const app = express();
  app.get('/', (_req, res) => res.redirect('/proxy/'));
  app.use('/proxy', proxy);
  const server = http.createServer(app);
  server.on('upgrade', proxy.upgrade);
  return { server, proxy };
}

/** Stops accepting, ends the tunnels, closes every connection and the backend. */
async function shutDown(
  server: http.Server,
  proxy: UpgradeAwareMiddleware,
  backend: DemoBackend,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await proxy.close();
  server.closeAllConnections();
  await backend.close();
  await closed;
}

/** Runs the demo until SIGINT or SIGTERM. */
async function main(port: number | undefined): Promise<void> {
  const backend = createBackend();
  const backendPort = await listen(backend.server, 0);
  const { server, proxy } = proxyServer(`http://127.0.0.1:${backendPort}/`);
  const listening =
    port === undefined ? await listenFromDefault(server) : await listen(server, port);
  const stop = (): void => {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    shutDown(server, proxy, backend).then(() => (process.exitCode = 0), fail);
  };
  // Before the banner: whoever reads it may signal at once.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(banner(listening, backendPort));
}

/** One line on stderr, exit status 1. */
function fail(err: unknown): void {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

/** Reads the command line, then runs the demo; a bad command line exits with status 2. */
function run(argv: readonly string[]): void {
  let args;
  try {
    args = parseDemoArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`demo: ${err.message}\n`);
    process.exit(2);
  }
  if (args.help) process.stdout.write(`${USAGE}\n`);
  else main(args.port).catch(fail);
}

run(process.argv.slice(2));
