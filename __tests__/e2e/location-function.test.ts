import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { ProxyError } from '../../lib/errors/proxy-error.js';
import type { UpgradeAwareOptions } from '../../lib/types.js';
import { request, startProxy, startRecorder, type Running } from '../helpers/servers.js';
import { closeWebSockets, openWebSocket } from '../helpers/websockets.js';

afterEach(closeWebSockets);

/** A backend named `name` that answers every request and upgrade with its name. */
async function named(name: string): Promise<Running & { close(): Promise<void> }> {
  const backend = await startRecorder((_req, res) => res.end(name));
  const wss = new WebSocketServer({ noServer: true });
  backend.server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', () => ws.send(name))),
  );
  return backend;
}

describe('location as a function', () => {
  let a: Running;
  let b: Running;
  beforeAll(async () => {
    [a, b] = await Promise.all([named('a'), named('b')]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  async function withProxy(
    options: Partial<UpgradeAwareOptions>,
    test: (proxy: Running, errors: Error[]) => Promise<void>,
  ): Promise<void> {
    const errors: Error[] = [];
    const proxy = await startProxy({
      location: () => a.url,
      responder: (err, _req, res) => {
        errors.push(err);
        res.statusCode = (err as ProxyError).status ?? 500;
        res.end((err as ProxyError).code ?? 'none');
      },
      ...options,
    });
    try {
      await test(proxy, errors);
    } finally {
      await proxy.close();
    }
  }

  it('chooses the backend per request, sync or async, on the HTTP path and for upgrades', async () => {
    const calls: string[] = [];
    await withProxy(
      {
        location: async (req) => {
          calls.push(req.url!);
          return req.headers['x-backend'] === 'b' ? new URL(b.url) : `${a.url}/`;
        },
      },
      async (proxy) => {
        const first = await request(`${proxy.url}/x`, { headers: { 'x-backend': 'b' } });
        const second = await request(`${proxy.url}/x`);
        expect([first.body.toString(), second.body.toString()]).toEqual(['b', 'a']);
        const ws = await openWebSocket(`ws://127.0.0.1:${proxy.port}/ws`, {
          headers: { 'x-backend': 'b' },
        });
        ws.send('?');
        const [reply] = (await new Promise((resolve) =>
          ws.once('message', (data) => resolve([data as Buffer])),
        )) as [Buffer];
        expect(String(reply)).toBe('b');
        expect(calls).toEqual(['/x', '/x', '/ws']);
      },
    );
  });

  it.each<[string, UpgradeAwareOptions['location']]>([
    [
      'throws',
      () => {
        throw new Error('no tenant');
      },
    ],
    ['rejects', () => Promise.reject(new Error('no tenant'))],
    ['gives an ftp URL', () => 'ftp://127.0.0.1/'],
    ['gives credentials', () => 'http://user:pw@127.0.0.1/'],
    ['gives nothing', () => undefined as unknown as string],
  ])(
    'sends ERR_PROXY_RESOLVE_LOCATION to the responder when it %s, on both paths',
    async (_what, location) => {
      await withProxy({ location }, async (proxy, errors) => {
        const answer = await request(`${proxy.url}/`);
        expect([answer.status, answer.body.toString()]).toEqual([
          500,
          'ERR_PROXY_RESOLVE_LOCATION',
        ]);
        await expect(openWebSocket(`ws://127.0.0.1:${proxy.port}/`)).rejects.toThrow(/500/);
        expect(errors.map((e) => e.message)).toEqual([
          expect.stringMatching(/^error resolving location: /),
          expect.stringMatching(/^error resolving location: /),
        ]);
      });
    },
  );

  it('refuses a location whose scheme the given agent cannot dial', async () => {
    const agent = new http.Agent();
    await withProxy({ location: () => 'https://127.0.0.1:1/', transport: agent }, async (proxy) => {
      const answer = await request(`${proxy.url}/`);
      expect([answer.status, answer.body.toString()]).toEqual([500, 'ERR_PROXY_RESOLVE_LOCATION']);
      await expect(openWebSocket(`ws://127.0.0.1:${proxy.port}/`)).rejects.toThrow(/500/);
    });
    agent.destroy();
  });

  it("keeps each result to its own request: concurrent requests do not see each other's", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    await withProxy(
      {
        location: async (req) => {
          if (req.url === '/slow') await gate;
          return req.url === '/slow' ? `${a.url}/` : `${b.url}/`;
        },
      },
      async (proxy) => {
        const slow = request(`${proxy.url}/slow`);
        const fast = await request(`${proxy.url}/fast`);
        release();
        expect([(await slow).body.toString(), fast.body.toString()]).toEqual(['a', 'b']);
      },
    );
  });
});

describe('location function: the port of the backend is taken per request', () => {
  it('reaches a backend that did not exist when the proxy was made', async () => {
    let port = 0;
    const proxy = await startProxy({ location: () => `http://127.0.0.1:${port}` });
    const late = http.createServer((_req, res) => res.end('late'));
    await new Promise<void>((resolve) => late.listen(0, '127.0.0.1', resolve));
    port = (late.address() as AddressInfo).port;
    try {
      expect((await request(`${proxy.url}/`)).body.toString()).toBe('late');
    } finally {
      await proxy.close();
      await new Promise((resolve) => late.close(resolve));
    }
  });
});
