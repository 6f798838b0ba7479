// Recipe examples/recipes/next (docs/recipes.md, "Next.js"). Next itself is not installed: a
// stand-in app with Next's custom-server interface (`prepare`, `getRequestHandler`,
// `getUpgradeHandler`) runs the API route module for /api/proxy/* as Next's pages router does
// (Node's req and res, the whole path in `req.url`, no body parsing) and accepts its HMR socket.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type * as RouteModuleNamespace from '../../examples/recipes/next/pages/api/proxy/[...path].js';
import { createNextServer } from '../../examples/recipes/next/server.js';
import type { NextApp } from '../../examples/recipes/next/server.js';
import { closeAll, closeWs, track, wsRoundTrip } from '../cli/helpers.js';
import type { WsBackend } from '../cli/helpers.js';
import { listen, request } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { startEchoBackend } from './backend.js';

type RouteModule = typeof RouteModuleNamespace;

/** The stand-in Next app: the API route for /api/proxy, a page for the rest, HMR at /_next/webpack-hmr. */
function nextStandIn(route: RouteModule): NextApp & { hmr: WebSocketServer } {
  const hmr = new WebSocketServer({ noServer: true, path: '/_next/webpack-hmr' });
  return {
    hmr,
    prepare: async () => undefined,
    getRequestHandler: () => async (req, res) => {
      if (req.url?.startsWith('/api/proxy')) return route.default(req, res);
      res.end('next page');
    },
    getUpgradeHandler: () => async (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!hmr.shouldHandle(req)) return void socket.destroy();
      hmr.handleUpgrade(req, socket, head, (ws) => ws.on('message', () => ws.send('hmr')));
    },
  };
}

describe('the Next.js recipe (API route and custom server)', () => {
  let backend: WsBackend;
  let route: RouteModule;
  let server: Running;
  beforeAll(async () => {
    backend = await startEchoBackend();
    // The route module reads BACKEND_URL when it is loaded, so it is loaded once the backend has
    // its port (jest runs test files as CommonJS: no dynamic import() without vm modules).
    process.env.BACKEND_URL = `${backend.url}/`;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    route = require('../../examples/recipes/next/pages/api/proxy/[...path].js') as RouteModule;
    delete process.env.BACKEND_URL;
    const app = nextStandIn(route);
    const running = await listen(await createNextServer(app, route.proxy));
    track({ close: () => route.proxy.close() });
    server = track({ ...running, close: () => (app.hmr.close(), running.close()) });
  });
  afterAll(closeAll);

  it('exports the route config that turns off body parsing', () => {
    expect(route.config).toEqual({ api: { bodyParser: false, externalResolver: true } });
  });

  it('proxies requests through the API route, body included, without the prefix', async () => {
    const res = await request(`${server.url}/api/proxy/items?x=1`, { method: 'PUT', body: 'data' });
    expect(JSON.parse(res.body.toString())).toEqual({
      method: 'PUT',
      url: '/items?x=1',
      body: 'data',
    });
    expect((await request(`${server.url}/about`)).body.toString()).toBe('next page');
  });

  it('proxies upgrades under the prefix and leaves the others to Next', async () => {
    const proxied = await wsRoundTrip(`ws://127.0.0.1:${server.port}/api/proxy/socket`, 'ping');
    const hmr = await wsRoundTrip(`ws://127.0.0.1:${server.port}/_next/webpack-hmr`, 'ping');
    expect([proxied.reply, hmr.reply]).toEqual(['echo:ping', 'hmr']);
    expect(backend.handshakes.map(({ url }) => url)).toEqual(['/socket']);
    await Promise.all([closeWs(proxied.ws), closeWs(hmr.ws)]);
  });
});
