import http from 'node:http';
import { createRequire } from 'node:module';
import connect from 'connect';
import express from 'express';
import { upgradeAware } from '../../lib/index.js';
import type { UpgradeAwareMiddleware, UpgradeAwareOptions } from '../../lib/index.js';
import { listen, request, startRecorder } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';

// The Express 4 dev dependency is installed under the alias `express4` and has no types of its
// own; its API for what these tests use (`app.use(path, fn)`, a request listener) is Express 5's.
const load = createRequire(__filename);
const express4 = load('express4') as typeof express;

type Mount = (proxy: UpgradeAwareMiddleware) => http.RequestListener;

const mounts: [string, string, Mount][] = [
  [
    'Express 5',
    '/proxy',
    (proxy) => {
      const app = express();
      app.use('/proxy', proxy);
      return app;
    },
  ],
  [
    'Express 4',
    '/proxy',
    (proxy) => {
      const app = express4();
      app.use('/proxy', proxy);
      return app;
    },
  ],
  [
    'Connect',
    '/proxy',
    (proxy) => {
      const app = connect();
      app.use('/proxy', proxy);
      return app as unknown as http.RequestListener;
    },
  ],
  ['a plain http.createServer handler', '', (proxy) => proxy],
];

/** The proxy mounted by `mount` in a server on 127.0.0.1; `close()` closes both. */
async function serve(mount: Mount, options: UpgradeAwareOptions): Promise<Running> {
  const proxy = upgradeAware(options);
  const server = http.createServer(mount(proxy));
  server.on('upgrade', proxy.upgrade);
  const running = await listen(server);
  return {
    ...running,
    async close() {
      await proxy.close();
      await running.close();
    },
  };
}

describe.each(mounts)('upgradeAware mounted in %s', (_name, prefix, mount) => {
  let backend: Running & { seen: Awaited<ReturnType<typeof startRecorder>>['seen'] };
  let server: Running;
  beforeAll(async () => {
    backend = await startRecorder((req, res, seen) => {
      res.setHeader('X-Backend-Url', req.url!);
      res.end(seen.body.length > 0 ? seen.body : 'ok');
    });
    server = await serve(mount, { location: `${backend.url}/`, useRequestLocation: true });
  });
  afterAll(async () => {
    await server.close();
    await backend.close();
  });
  beforeEach(() => {
    backend.seen.length = 0;
  });

  it(`sends ${prefix}/x?y=1 to the backend as /x?y=1`, async () => {
    const res = await request(`${server.url}${prefix}/x?y=1`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('ok');
    expect(backend.seen.map((seen) => seen.url)).toEqual(['/x?y=1']);
  });

  it('keeps the raw path and query bytes', async () => {
    const res = await request(`${server.url}${prefix}/a%2Fb/c?q=%20&r`);
    expect(res.headers['x-backend-url']).toBe('/a%2Fb/c?q=%20&r');
  });

  it('streams a request body through and the response back', async () => {
    const res = await request(`${server.url}${prefix}/echo`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: 'hello body',
    });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello body');
    expect(backend.seen[0]!.method).toBe('POST');
    expect(backend.seen[0]!.url).toBe('/echo');
  });

  if (prefix !== '') {
    it('redirects the bare mount root to its slash, keeping the mount and the query', async () => {
      const res = await request(`${server.url}${prefix}?a=1`);
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe(`${prefix}/?a=1`);
      expect(backend.seen).toHaveLength(0);
    });
  } else {
    it('forwards the root path as it is', async () => {
      const res = await request(`${server.url}/?a=1`);
      expect(res.status).toBe(200);
      expect(backend.seen.map((seen) => seen.url)).toEqual(['/?a=1']);
    });
  }

  it('answers a backend failure through the responder, not the framework', async () => {
    const closed = await startRecorder();
    const location = `${closed.url}/`;
    await closed.close();
    const failing = await serve(mount, { location, useRequestLocation: true });
    try {
      const res = await request(`${failing.url}${prefix}/x`);
      expect(res.status).toBe(503);
      expect(res.body.toString()).toMatch(/^error trying to reach service: .*ECONNREFUSED/);
    } finally {
      await failing.close();
    }
  });
});
