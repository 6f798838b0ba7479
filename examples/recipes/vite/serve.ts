/* Runs the Vite dev server with the recipe's plugin, as `vite` would with a vite.config.ts that
 * lists it: `node dist/examples/recipes/vite/serve.js BACKEND_URL` serves an empty temporary
 * project on 127.0.0.1 at a free port, proxies /api to BACKEND_URL, and prints `{"port":N}`. */
import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'vite';
import { upgradeAwarePlugin } from './plugin.js';

async function main(backend: string): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'vite-recipe-'));
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'silent',
    server: { host: '127.0.0.1', port: 0, strictPort: true },
    plugins: [upgradeAwarePlugin('/api', { location: backend, useRequestLocation: true })],
  });
  await server.listen();
  const { port } = server.httpServer!.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

main(process.argv[2] ?? 'http://127.0.0.1:8080/').catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
