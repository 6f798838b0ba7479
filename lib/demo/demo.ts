/* The demo behind `npm start`: a small backend on a free loopback port and the proxy in front of
 * it on 127.0.0.1:8001 (or the next free port), built on the public API like any user's code. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { upgradeAware } from '../index.js';

const PAGE = `<!doctype html><title>upgrade-aware-proxy demo</title>
<h1>Served through upgrade-aware-proxy</h1>
<p><a href="/echo">/echo</a> shows what the backend received.</p>`;

function backend(): http.Server {
  return http.createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(PAGE);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }, null, 2) + '\n');
    });
  });
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE' && port !== 0 && port < 8100) resolve(listen(server, port + 1));
      else reject(err);
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.removeListener('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function main(): Promise<void> {
  const origin = backend();
  const originPort = await listen(origin, 0);
  const proxy = upgradeAware({ location: `http://127.0.0.1:${originPort}/`, useRequestLocation: true });
  const server = http.createServer(proxy);
  server.on('upgrade', proxy.upgrade);
  const port = await listen(server, 8001);
  const base = `http://127.0.0.1:${port}`;
  process.stdout.write(
    `Starting to serve on 127.0.0.1:${port} (backend on 127.0.0.1:${originPort})\n\nTry:\n` +
      `  curl -i ${base}/\n  curl -s ${base}/echo?hello=world\n  curl -s -X POST -d 'some data' ${base}/echo\n\nCtrl-C stops.\n`,
  );
  const stop = (): void => {
    server.close();
    origin.close();
    void proxy.close();
    server.closeAllConnections();
    origin.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
