// The ready-made stages of `upgrade-aware-proxy/stages` through `upgradeAware({ stages })`, against
// real backends: headers both ways (one set by Express too), cookies, a body transformed in its
// own coding, a body intercepted, within and past its limit. stages-ready-bounded.test.ts has
// transformBody's memory bound.
import http from 'node:http';
import { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { upgradeAware } from '../../lib/index.js';
import {
  interceptBody,
  removeResponseHeaders,
  rewriteCookies,
  setRequestHeaders,
  setResponseHeaders,
  transformBody,
} from '../../lib/stages/index.js';
import type { ProxyStages } from '../../lib/types/stages.js';
import { BLOCK, writeBlocks } from '../helpers/bodies.js';
import { guard } from '../helpers/child.js';
import {
  request,
  startExpress,
  startProxy,
  startRecorder,
  startUpstream,
} from '../helpers/servers.js';

/** Plain text in, the same in upper case out. */
function upcase(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1'));
    },
  });
}

/** What each test opened, closed after it. */
const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const server of open.splice(0).reverse()) await server.close();
});

/** A backend from `handler` and a proxy in front of it with `stages`, both closed after the test. */
async function through(
  handler: http.RequestListener,
  stages: ProxyStages,
  transport?: http.Agent,
): Promise<string> {
  const backend = await startUpstream(handler);
  open.push(backend);
  const proxy = await startProxy({ location: `${backend.url}/`, stages, transport });
  open.push(proxy);
  return proxy.url;
}

describe('header stages through upgradeAware', () => {
  it('sets and removes request headers before the backend sees them', async () => {
    const backend = await startRecorder();
    open.push(backend);
    const stages = { request: [setRequestHeaders({ 'x-tenant': 'a', cookie: null })] };
    const proxy = await startProxy({ location: `${backend.url}/`, stages });
    open.push(proxy);
    await request(`${proxy.url}/p`, { headers: { cookie: 'session=1', 'x-tenant': 'forged' } });
    expect(backend.seen[0]!.headers).toMatchObject({ 'x-tenant': 'a' });
    expect(backend.seen[0]!.headers.cookie).toBeUndefined();
  });

  it("removes a header Express set and one of the backend's, and sets one over both", async () => {
    const backend = await startUpstream((_req, res) => {
      res.setHeader('Server', 'backend/1');
      res.setHeader('X-Frame-Options', 'ALLOWALL');
      res.end('ok');
    });
    open.push(backend);
    const stages = {
      response: [
        removeResponseHeaders(['x-powered-by', 'server']),
        setResponseHeaders({ 'x-frame-options': 'DENY' }),
      ],
    };
    const app = await startExpress([['/', upgradeAware({ location: `${backend.url}/`, stages })]]);
    open.push(app);
    const res = await request(`${app.url}/p`);
    expect(res.status).toBe(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers.server).toBeUndefined();
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.body.toString()).toBe('ok');
  });

  it('rewrites Domain and Path on each of several Set-Cookie lines', async () => {
    const url = await through(
      (_req, res) => {
        res.setHeader('Set-Cookie', [
          'a=1; Domain=backend.local; Path=/api; HttpOnly',
          'b=2; Path=/api/x',
          'c=3; Domain=other.local',
        ]);
        res.end();
      },
      { response: [rewriteCookies({ domain: { 'backend.local': '' }, path: { '/api': '/' } })] },
    );
    expect((await request(url)).headers['set-cookie']).toEqual([
      'a=1; Path=/; HttpOnly',
      'b=2; Path=/api/x',
      'c=3; Domain=other.local',
    ]);
  });
});

const PAGE = Buffer.from('<p>hello, world</p>\n'.repeat(5000));

describe('body stages through upgradeAware', () => {
  it.each([
    ['gzip', zlib.gzipSync, zlib.gunzipSync],
    ['br', zlib.brotliCompressSync, zlib.brotliDecompressSync],
  ])('transforms a %s body and sends it in that coding', async (coding, encode, decode) => {
    const encoded = encode(PAGE);
    const url = await through(
      (_req, res) => {
        const headers = {
          'Content-Encoding': coding,
          ETag: '"v1"',
          'Content-Length': encoded.length,
        };
        res.writeHead(200, { 'Content-Type': 'text/html', ...headers });
        res.end(encoded);
      },
      { response: [transformBody({ types: ['text/html'] }, upcase)] },
    );
    const res = await request(url);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(coding);
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers.etag).toBeUndefined();
    expect(decode(res.body).toString()).toBe(PAGE.toString().toUpperCase());
  });

  it('intercepts a gzip JSON body and sends the new one with its Content-Length', async () => {
    const url = await through(
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        res.end(zlib.gzipSync(JSON.stringify({ user: 'a', secret: 's' })));
      },
      {
        response: [
          interceptBody({ types: ['application/json'], maxBytes: 1024 }, (body) => {
            const json = JSON.parse(body.toString()) as Record<string, unknown>;
            delete json.secret;
            return JSON.stringify(json);
          }),
        ],
      },
    );
    const res = await request(url);
    expect(res.status).toBe(200);
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(JSON.parse(zlib.gunzipSync(res.body).toString())).toEqual({ user: 'a' });
  });

  it.each([
    ['undici', () => undefined],
    ['an http.Agent', () => new http.Agent()],
  ])(
    'answers 502 before the head for a body past maxBytes, the backend cut off (%s)',
    async (_transport, makeAgent) => {
      const agent = makeAgent();
      if (agent) open.push({ close: () => agent.destroy() });
      let backendDone: (finished: boolean) => void;
      const backendClosed = new Promise<boolean>((resolve) => (backendDone = resolve));
      const url = await through(
        (_req, res) => {
          res.once('close', () => backendDone(res.writableFinished));
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          void writeBlocks(res, 512).then(() => res.end()); // 32 MiB
        },
        { response: [interceptBody({ types: ['text/*'], maxBytes: 65_536 }, (body) => body)] },
        agent,
      );
      const res = await request(url);
      expect(res.status).toBe(502);
      expect(res.body.toString()).toBe('response body exceeds 65536 bytes\n');
      expect(res.body.includes(BLOCK.subarray(0, 64))).toBe(false);
      // The rest of the body is not waited for: the backend's connection is closed mid-body.
      expect(await guard(backendClosed, () => 'the backend was not cut off', 10_000)).toBe(false);
    },
  );
});
