// Recipe examples/recipes/nestjs (docs/recipes.md, "NestJS"), in a real NestJS application on
// Express: requests and WebSockets under /proxy reach the backend without /proxy, with the body
// parsers off, and with them on and `requestBody` forwarding Nest's `req.rawBody`.
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../examples/recipes/nestjs/app.js';
import { closeAll, closeWs, track, wsRoundTrip } from '../cli/helpers.js';
import type { WsBackend } from '../cli/helpers.js';
import { request } from '../helpers/servers.js';
import { startEchoBackend } from './backend.js';

/** Starts the recipe's app on 127.0.0.1 at a free port; `closeAll` closes it. */
async function listenNest(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  track({ close: () => app.close() });
  const { port } = app.getHttpServer().address() as AddressInfo;
  return `127.0.0.1:${port}`;
}

describe.each([false, true])('createApp (NestJS, rawBody: %s)', (rawBody) => {
  let backend: WsBackend;
  let host: string;
  beforeEach(async () => {
    backend = await startEchoBackend();
    host = await listenNest(await createApp(`${backend.url}/`, { rawBody }));
  });
  afterEach(closeAll);

  it('forwards a JSON request under /proxy with its body, without the prefix', async () => {
    const body = '{"a": 1}';
    const headers = { 'content-type': 'application/json' };
    const res = await request(`http://${host}/proxy/items`, { method: 'POST', headers, body });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ method: 'POST', url: '/items', body });
  });

  it('forwards a WebSocket under /proxy', async () => {
    const { ws, reply } = await wsRoundTrip(`ws://${host}/proxy/socket`, 'ping');
    expect(reply).toBe('echo:ping');
    expect(backend.handshakes.map(({ url }) => url)).toEqual(['/socket']);
    await closeWs(ws);
  });
});
