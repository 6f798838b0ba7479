// docs/recipes.md, "Backends and clients that already work": undici dispatchers as `transport`
// without any option of the proxy's own: a BalancedPool (which sends each request to the origin
// it picks, not to `location`'s), a ProxyAgent (CONNECT through a forward proxy), and a backend on
// a unix socket, for requests (undici `socketPath`) and upgrades (an agent's `createConnection`).
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { BalancedPool, ProxyAgent, Agent as UndiciAgent } from 'undici';
import { closeAll, closeWs, tempDir, track, wsEcho, wsRoundTrip } from '../cli/helpers.js';
import { listen, request, startProxy, startUpstream } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';

/** A backend that answers with its own name. */
function named(name: string): Promise<Running> {
  return startUpstream((_req, res) => res.end(name)).then(track);
}

/** A forward proxy that only tunnels (CONNECT), recording each target. */
async function forwardProxy(targets: string[]): Promise<Running> {
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    targets.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return track(await listen(server));
}

describe('undici dispatchers as transport', () => {
  afterEach(closeAll);

  it('spreads requests over a BalancedPool, whatever origin location names', async () => {
    const [a, b] = await Promise.all([named('a'), named('b')]);
    const transport = new BalancedPool([a.url, b.url]);
    const proxy = track(await startProxy({ location: `${a.url}/`, transport }));
    track({ close: () => transport.close() });
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await request(proxy.url)).body.toString());
    expect([...seen].sort()).toEqual(['a', 'b']);
  });

  it('sends requests through a forward proxy with a ProxyAgent', async () => {
    const backend = await named('backend');
    const targets: string[] = [];
    const corporate = await forwardProxy(targets);
    const transport = new ProxyAgent(corporate.url);
    const proxy = track(await startProxy({ location: `${backend.url}/`, transport }));
    track({ close: () => transport.close() });
    expect((await request(proxy.url)).body.toString()).toBe('backend');
    expect(targets).toEqual([`127.0.0.1:${backend.port}`]);
  });

  it('reaches a backend on a unix socket, requests and upgrades', async () => {
    const socketPath = path.join(await tempDir('recipes-'), 'backend.sock');
    const server = http.createServer((req, res) => res.end(`unix ${req.url}`));
    const { wss } = wsEcho(server);
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    track({ close: () => (wss.close(), new Promise<void>((r) => server.close(() => r()))) });
    const agent = new http.Agent({ keepAlive: true });
    agent.createConnection = () => net.connect(socketPath);
    const transport = new UndiciAgent({ connect: { socketPath } });
    const proxy = track(
      await startProxy({
        location: 'http://localhost/',
        useRequestLocation: true,
        transport,
        upgradeTransport: { agent },
      }),
    );
    track({ close: async () => (agent.destroy(), await transport.close()) });
    expect((await request(`${proxy.url}/x`)).body.toString()).toBe('unix /x');
    const { ws, reply } = await wsRoundTrip(`ws://127.0.0.1:${proxy.port}/socket`, 'ping');
    expect(reply).toBe('echo:ping');
    await closeWs(ws);
  });
});
