// Recipe examples/recipes/node-http (docs/recipes.md, "Plain node:http with a path prefix"): the
// prefix is removed for plain requests and for upgrades alike, paths outside it get 404 and never
// reach the backend, and `/api` alone is redirected to `/api/` as under an Express mount.
import { connect } from 'node:net';
import { once } from 'node:events';
import { createPrefixServer } from '../../examples/recipes/node-http/prefix.js';
import { closeAll, closeWs, track, upgradeRequest, wsRoundTrip } from '../cli/helpers.js';
import type { WsBackend } from '../cli/helpers.js';
import { listen, request } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { startEchoBackend } from './backend.js';

describe('createPrefixServer (plain node:http, prefix /api)', () => {
  let backend: WsBackend;
  let proxy: Running;
  beforeEach(async () => {
    backend = await startEchoBackend();
    const server = createPrefixServer('/api', {
      location: `${backend.url}/`,
      useRequestLocation: true,
    });
    proxy = track(await listen(server));
  });
  afterEach(closeAll);

  it('forwards a request under the prefix without it', async () => {
    const res = await request(`${proxy.url}/api/v1/pods?watch=1`, { method: 'POST', body: 'hi' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({
      method: 'POST',
      url: '/v1/pods?watch=1',
      body: 'hi',
    });
  });

  it('forwards a WebSocket under the prefix without it', async () => {
    const { ws, reply } = await wsRoundTrip(`ws://127.0.0.1:${proxy.port}/api/socket?x=1`, 'ping');
    expect(reply).toBe('echo:ping');
    expect(backend.handshakes.map(({ url }) => url)).toEqual(['/socket?x=1']);
    await closeWs(ws);
  });

  it('answers 404 outside the prefix, for requests and upgrades, without asking the backend', async () => {
    expect((await request(`${proxy.url}/apix`)).status).toBe(404);
    const socket = connect(proxy.port, '127.0.0.1');
    socket.end(upgradeRequest('/other', `127.0.0.1:${proxy.port}`));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(socket, 'close');
    expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 404 /);
    expect(backend.handshakes).toEqual([]);
  });

  it('redirects the bare prefix to the prefix with a slash', async () => {
    const res = await request(`${proxy.url}/api`);
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/api/');
  });
});
