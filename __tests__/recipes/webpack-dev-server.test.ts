// Recipe examples/recipes/webpack-dev-server (docs/recipes.md, "webpack-dev-server"). webpack-dev-server
// itself is not installed (it brings webpack): an Express app and its http.Server stand in for
// `devServer.app` and `devServer.server`, the middleware list is applied as webpack-dev-server 5.2
// applies it (lib/Server.js, setupMiddlewares: `app.use(path, middleware)` for an entry with a
// path), and a `ws` server with `noServer` and `shouldHandle` stands in for its HMR socket.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import express from 'express';
import { WebSocketServer } from 'ws';
import { proxyMiddlewares } from '../../examples/recipes/webpack-dev-server/setup-middlewares.js';
import { closeAll, closeWs, track, wsRoundTrip } from '../cli/helpers.js';
import type { WsBackend } from '../cli/helpers.js';
import { listen, request } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { startEchoBackend } from './backend.js';

type Entry = { name?: string; path?: string; middleware: express.RequestHandler };

/** Applies the list as webpack-dev-server 5 does after `setupMiddlewares` returns. */
function applyMiddlewares(app: express.Express, middlewares: Entry[]): void {
  for (const { path, middleware } of middlewares) {
    if (path === undefined) app.use(middleware);
    else app.use(path, middleware);
  }
}

/** webpack-dev-server's HMR socket at /ws: takes its own path only, as its WebsocketServer does. */
function hmrSocket(server: http.Server): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, path: '/ws' });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!wss.shouldHandle(req)) return;
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', () => ws.send('hmr')));
  });
  return wss;
}

/** A stand-in dev server with the recipe's `setupMiddlewares` applied to it. */
async function startDevServer(backend: WsBackend): Promise<Running> {
  const app = express();
  const server = http.createServer(app);
  const setup = proxyMiddlewares('/api', { location: `${backend.url}/`, useRequestLocation: true });
  const bundle: Entry = {
    name: 'webpack-dev-middleware',
    middleware: (_req, res) => res.end('bundle'),
  };
  applyMiddlewares(app, setup([bundle], { server }));
  const wss = hmrSocket(server);
  const running = await listen(server);
  return track({ ...running, close: () => (wss.close(), running.close()) });
}

describe('proxyMiddlewares (webpack-dev-server setupMiddlewares)', () => {
  let backend: WsBackend;
  let dev: Running;
  beforeEach(async () => {
    backend = await startEchoBackend();
    dev = await startDevServer(backend);
  });
  afterEach(closeAll);

  it('puts the proxy first and forwards requests under its path without it', async () => {
    const res = await request(`${dev.url}/api/items?page=2`);
    expect(JSON.parse(res.body.toString())).toMatchObject({ url: '/items?page=2' });
    expect((await request(`${dev.url}/main.js`)).body.toString()).toBe('bundle');
  });

  it('proxies WebSockets under its path and leaves the HMR socket to the dev server', async () => {
    const proxied = await wsRoundTrip(`ws://127.0.0.1:${dev.port}/api/socket`, 'ping');
    const hmr = await wsRoundTrip(`ws://127.0.0.1:${dev.port}/ws`, 'ping');
    expect([proxied.reply, hmr.reply]).toEqual(['echo:ping', 'hmr']);
    expect(backend.handshakes.map(({ url }) => url)).toEqual(['/socket']);
    await Promise.all([closeWs(proxied.ws), closeWs(hmr.ws)]);
  });

  it('refuses a devServer without a server (webpack-dev-server 4 calls it before creating one)', () => {
    const setup = proxyMiddlewares('/api', { location: `${backend.url}/` });
    expect(() => setup([], {})).toThrow(/webpack-dev-server 5/);
  });
});
