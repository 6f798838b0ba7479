// The HTTP path through an Express 5 app, `app.use('/proxy', proxy)`, driven with supertest: the
// mount is invisible to the backend, raw bytes survive, headers follow docs/getting-started.md, "How paths map", the default
// responder answers backend failures, and rejectForwardingRedirects works behind the router.
import http from 'node:http';
import { EventEmitter, once } from 'node:events';
import express from 'express';
import supertest from 'supertest';
import { upgradeAware } from '../../lib/index.js';
import type { ProxyError, UpgradeAwareOptions } from '../../lib/index.js';
import { defaultResponder } from '../../lib/errors/responder.js';
import { closedPort, listen, request, startRecorder, startUpstream } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';

const REJECTED = 'the backend attempted to redirect this request, which is not permitted';

/** An Express 5 app with the proxy at /proxy, a 404 `not proxied` after it, and the headers each request arrived with. */
async function serveApp(
  options: UpgradeAwareOptions,
): Promise<Running & { arrived: http.IncomingHttpHeaders[] }> {
  const proxy = upgradeAware(options);
  const arrived: http.IncomingHttpHeaders[] = [];
  const app = express();
  app.use((req, _res, next) => {
    arrived.push({ ...req.headers });
    next();
  });
  app.use('/proxy', proxy);
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not proxied');
  });
  const running = await listen(http.createServer(app));
  const closeServer = running.close;
  return Object.assign(running, {
    arrived,
    async close() {
      await proxy.close();
      await closeServer();
    },
  });
}

describe("upgradeAware mounted with app.use('/proxy', proxy) in Express 5", () => {
  let backend: Awaited<ReturnType<typeof startRecorder>>;
  const opened: Running[] = [];
  beforeEach(async () => {
    backend = await startRecorder((_req, res) => {
      res.setHeader('Content-Type', 'text/plain');
      res.end('ok');
    });
  });
  afterEach(async () => {
    for (const running of opened.splice(0)) await running.close();
    await backend.close();
  });
  async function app(options: UpgradeAwareOptions) {
    const running = await serveApp(options);
    opened.push(running);
    return running;
  }

  describe('paths and queries', () => {
    it('forwards the path and query relative to the mount with useRequestLocation', async () => {
      const server = await app({ location: `${backend.url}/`, useRequestLocation: true });
      const res = await supertest(server.url).get('/proxy/api/v1/pods?watch=1&label=a%20b');
      expect(res.status).toBe(200);
      expect(res.text).toBe('ok');
      expect(backend.seen.map((s) => s.url)).toEqual(['/api/v1/pods?watch=1&label=a%20b']);
    });

    it('joins the location path in front with appendLocationPath and useRequestLocation', async () => {
      const server = await app({
        location: `${backend.url}/base/`,
        useRequestLocation: true,
        appendLocationPath: true,
      });
      await supertest(server.url).get('/proxy/api/x?y=1').expect(200);
      expect(backend.seen.map((s) => s.url)).toEqual(['/base/api/x?y=1']);
    });

    it('keeps %2F in the path and the query', async () => {
      const server = await app({ location: `${backend.url}/`, useRequestLocation: true });
      await supertest(server.url).get('/proxy/a%2Fb/c?next=%2Fhome&q=%2f').expect(200);
      expect(backend.seen.map((s) => s.url)).toEqual(['/a%2Fb/c?next=%2Fhome&q=%2f']);
    });

    it('does not proxy a path outside the mount', async () => {
      const server = await app({ location: `${backend.url}/`, useRequestLocation: true });
      const res = await supertest(server.url).get('/proxyx/a');
      expect(res.status).toBe(404);
      expect(res.text).toBe('not proxied');
      expect(backend.seen).toHaveLength(0);
    });

    it('redirects GET /proxy to /proxy/ keeping the query when the location has no path', async () => {
      const server = await app({ location: backend.url });
      const res = await supertest(server.url).get('/proxy?a=1&b=%2F').redirects(0);
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe('/proxy/?a=1&b=%2F');
      expect(backend.seen).toHaveLength(0);

      await supertest(server.url).get(res.headers.location!).expect(200);
      expect(backend.seen.map((s) => s.url)).toEqual(['/?a=1&b=%2F']);
    });

    it('redirects HEAD /proxy too, but sends a POST /proxy on to the backend root', async () => {
      const server = await app({ location: backend.url });
      const head = await supertest(server.url).head('/proxy').redirects(0);
      expect(head.status).toBe(301);
      expect(head.headers.location).toBe('/proxy/');
      await supertest(server.url).post('/proxy').send('x').expect(200);
      expect(backend.seen.map((s) => [s.method, s.url])).toEqual([['POST', '/']]);
    });
  });

  describe('request bodies', () => {
    it('forwards a large POST body byte for byte with its Content-Length', async () => {
      const server = await app({ location: `${backend.url}/`, useRequestLocation: true });
      const body = Buffer.alloc(1 << 20);
      for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
      await supertest(server.url)
        .post('/proxy/upload')
        .set('Content-Type', 'application/octet-stream')
        .send(body)
        .expect(200);
      expect(backend.seen).toHaveLength(1);
      expect(backend.seen[0]!.headers['content-length']).toBe(String(body.length));
      expect(backend.seen[0]!.body.equals(body)).toBe(true);
    });

    it('streams a POST body: the backend gets the first chunk before the client has sent the rest', async () => {
      const chunks = new EventEmitter();
      const streaming = await startUpstream((req, res) => {
        const received: Buffer[] = [];
        req.on('data', (chunk: Buffer) => {
          received.push(chunk);
          chunks.emit('chunk', chunk);
        });
        req.on('end', () => res.end(Buffer.concat(received)));
      });
      opened.push(streaming);
      const server = await app({ location: `${streaming.url}/`, useRequestLocation: true });
      const req = http.request(`${server.url}/proxy/stream`, { method: 'POST', agent: false });
      const response = once(req, 'response') as Promise<[http.IncomingMessage]>;
      const first = once(chunks, 'chunk') as Promise<[Buffer]>;
      req.write('first part;');
      expect((await first)[0].toString()).toBe('first part;');
      req.end('second part');
      const [res] = await response;
      const received: Buffer[] = [];
      for await (const chunk of res) received.push(chunk as Buffer);
      expect(res.statusCode).toBe(200);
      expect(Buffer.concat(received).toString()).toBe('first part;second part');
    });
  });

  describe('request headers', () => {
    it('removes hop-by-hop headers and those named in Connection, keeps TE: trailers and appends X-Forwarded-For', async () => {
      const server = await app({ location: `${backend.url}/`, useRequestLocation: true });
      await supertest(server.url)
        .get('/proxy/h')
        .set('Connection', 'keep-alive, X-Hop')
        .set('X-Hop', 'gone')
        .set('Keep-Alive', 'timeout=5')
        .set('Proxy-Authorization', 'Basic eDp5')
        .set('Proxy-Connection', 'keep-alive')
        .set('Upgrade', 'h2c')
        .set('TE', 'gzip, trailers')
        .set('X-Forwarded-For', '127.0.0.9')
        .set('X-Kept', 'yes')
        .expect(200);
      expect(server.arrived[0]!['x-hop']).toBe('gone'); // the client did send them
      const seen = backend.seen[0]!.headers;
      expect(seen['x-kept']).toBe('yes');
      for (const name of [
        'x-hop',
        'keep-alive',
        'proxy-authorization',
        'proxy-connection',
        'upgrade',
      ]) {
        expect([name, seen[name]]).toEqual([name, undefined]);
      }
      // The proxy's own connection to the backend may say keep-alive; the client's list is gone.
      expect(seen.connection ?? '').not.toMatch(/x-hop/i);
      expect(seen.te).toBe('trailers');
      expect(seen['x-forwarded-for']).toBe('127.0.0.9, 127.0.0.1');
    });

    it('joins several X-Forwarded-For lines before appending the client address', async () => {
      const server = await app({ location: `${backend.url}/`, useRequestLocation: true });
      const res = await request(`${server.url}/proxy/xff`, {
        headers: { 'X-Forwarded-For': ['127.0.0.8', '127.0.0.9'] },
      });
      expect(res.status).toBe(200);
      expect(backend.seen[0]!.headers['x-forwarded-for']).toBe('127.0.0.8, 127.0.0.9, 127.0.0.1');
    });

    it('invents no User-Agent when the client sent none, and forwards one it sent', async () => {
      const server = await app({ location: `${backend.url}/`, useRequestLocation: true });
      await request(`${server.url}/proxy/no-ua`);
      await supertest(server.url).get('/proxy/ua').set('User-Agent', 'my-client/1.0').expect(200);
      expect(server.arrived[0]!['user-agent']).toBeUndefined();
      expect(backend.seen.map((s) => [s.url, s.headers['user-agent']])).toEqual([
        ['/no-ua', undefined],
        ['/ua', 'my-client/1.0'],
      ]);
    });

    it("forwards the client's Host", async () => {
      const server = await app({ location: `${backend.url}/`, useRequestLocation: true });
      await supertest(server.url).get('/proxy/host').set('Host', 'proxy.example:8001').expect(200);
      await supertest(server.url).get('/proxy/host').expect(200);
      expect(backend.seen.map((s) => s.headers.host)).toEqual([
        'proxy.example:8001',
        `127.0.0.1:${server.port}`,
      ]);
    });

    it('sends the location host as Host with useLocationHost', async () => {
      const server = await app({
        location: `${backend.url}/`,
        useRequestLocation: true,
        useLocationHost: true,
      });
      await supertest(server.url).get('/proxy/host').set('Host', 'proxy.example:8001').expect(200);
      expect(backend.seen[0]!.headers.host).toBe(`127.0.0.1:${backend.port}`);
    });
  });

  describe('the default responder', () => {
    it('answers 503 text/plain `error trying to reach service` for a refused backend through the rewriting transport', async () => {
      const port = await closedPort();
      const errors: Error[] = [];
      const server = await app({
        location: `http://127.0.0.1:${port}/`,
        responder: (err, req, res) => {
          errors.push(err);
          defaultResponder.error(err, req, res);
        },
      });
      const res = await supertest(server.url).get('/proxy/x');
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.text).toBe(
        `error trying to reach service: connect ECONNREFUSED 127.0.0.1:${port}\n`,
      );
      expect(errors.map((err) => (err as ProxyError).code)).toEqual([
        'ERR_PROXY_BACKEND_UNREACHABLE',
      ]);
    });

    it('answers 502 text/plain with the client error for a refused backend through a given transport', async () => {
      const port = await closedPort();
      const transport = new http.Agent();
      try {
        const server = await app({ location: `http://127.0.0.1:${port}/`, transport });
        const res = await supertest(server.url).get('/proxy/x');
        expect(res.status).toBe(502);
        expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(res.text).toBe(`connect ECONNREFUSED 127.0.0.1:${port}\n`);
      } finally {
        transport.destroy();
      }
    });
  });

  describe('rejectForwardingRedirects', () => {
    async function redirecting(status: number, location?: string) {
      const server = await startUpstream((_req, res) => {
        if (location !== undefined) res.setHeader('Location', location);
        res.statusCode = status;
        res.end('some data');
      });
      opened.push(server);
      return server;
    }

    it('turns a backend 302 with Location into a 502 with the fixed 70-byte body', async () => {
      const target = await redirecting(302, '/elsewhere');
      const server = await app({
        location: `${target.url}/`,
        useRequestLocation: true,
        rejectForwardingRedirects: true,
      });
      const res = await supertest(server.url).get('/proxy/x').redirects(0);
      expect(res.status).toBe(502);
      expect(res.text).toBe(REJECTED);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.headers['content-length']).toBe('70');
      expect(res.headers.location).toBeUndefined();
    });

    it('passes a backend 304 without Location', async () => {
      const target = await redirecting(304);
      const server = await app({
        location: `${target.url}/`,
        useRequestLocation: true,
        rejectForwardingRedirects: true,
      });
      const res = await supertest(server.url).get('/proxy/x').redirects(0);
      expect(res.status).toBe(304);
    });

    it('passes a backend 302 when the option is off', async () => {
      const target = await redirecting(302, '/elsewhere');
      const server = await app({ location: `${target.url}/`, useRequestLocation: true });
      const res = await supertest(server.url).get('/proxy/x').redirects(0);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBeDefined();
    });
  });
});
