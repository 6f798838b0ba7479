// Recipe examples/recipes/vite (docs/recipes.md, "Vite"), in the real Vite dev server: the built
// `serve.js` (npm test builds it; alone, run `npm run build && npm run build:examples` first) runs
// in a child process because Vite is an ES module, which jest's CommonJS runtime cannot load.
import path from 'node:path';
import { ROOT, spawnNode, untilStdout } from '../helpers/child.js';
import type { ChildRun } from '../helpers/child.js';
import { closeAll, closeWs, wsRoundTrip } from '../cli/helpers.js';
import type { WsBackend } from '../cli/helpers.js';
import { request } from '../helpers/servers.js';
import { startEchoBackend } from './backend.js';

const SERVE = path.join(ROOT, 'dist', 'examples', 'recipes', 'vite', 'serve.js');

describe('upgradeAwarePlugin in the Vite dev server', () => {
  let backend: WsBackend;
  let vite: ChildRun;
  let url: string;
  beforeAll(async () => {
    backend = await startEchoBackend();
    vite = spawnNode(SERVE, [`${backend.url}/`]);
    const line = await untilStdout(vite, (text) => text.includes('\n'), {
      exited: (exit) => `vite exited (${exit.code ?? exit.signal}): ${exit.stderr}`,
      hung: () => `vite did not start: ${vite.output().stderr}`,
    });
    url = `127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  });
  afterAll(async () => {
    await vite?.kill();
    await closeAll();
  });

  it('proxies requests under /api, body included, and leaves the rest to Vite', async () => {
    const res = await request(`http://${url}/api/items?x=1`, { method: 'POST', body: 'data' });
    expect(JSON.parse(res.body.toString())).toEqual({
      method: 'POST',
      url: '/items?x=1',
      body: 'data',
    });
    const other = await request(`http://${url}/src/main.ts`);
    expect(other.headers['content-type']).not.toBe('application/json');
  });

  it('proxies a WebSocket under /api', async () => {
    const { ws, reply } = await wsRoundTrip(`ws://${url}/api/socket`, 'ping');
    expect(reply).toBe('echo:ping');
    expect(backend.handshakes.map(({ url: path }) => path)).toEqual(['/socket']);
    await closeWs(ws);
  });
});
