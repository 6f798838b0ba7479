// The request and response heads and their framing over every transport kind with a plain HTTP
// backend, and over undici's Pool and Client too: the path and raw query byte for byte, the Host
// rules, X-Forwarded-For, hop-by-hop removal, Kubernetes' T8 framing cases
// (TestProxyRequestContentLengthAndTransferEncoding: a Content-Length kept, chunked stays chunked,
// gzip bodies untouched; upstream's "no Transfer-Encoding header" is a Go-server artifact, a Node
// backend sees `transfer-encoding: chunked`), the reason phrase, repeated Set-Cookie, chunked
// answers kept chunked, and the answers without a body.
import type http from 'node:http';
import { gzipSync } from 'node:zlib';
import { Client, Pool } from 'undici';
import type { UpgradeAwareOptions } from '../../lib/index.js';
import {
  fakeResponder,
  rawExchange,
  rawRequest,
  request,
  startProxy,
  startRecorder,
} from '../helpers/servers.js';
import type { Running, Seen } from '../helpers/servers.js';
import { CLEARTEXT_KINDS, undiciKind } from '../helpers/transports.js';
import type { Transport } from '../helpers/transports.js';

type Recorder = Running & { seen: Seen[] };

/** Every kind with a plain backend, and undici's two dispatchers bound to one origin. */
const KINDS = [
  ...CLEARTEXT_KINDS,
  undiciKind('an undici Pool', (origin) => new Pool(origin)),
  undiciKind('an undici Client', (origin) => new Client(origin)),
];

/** The answers of the recording backend, by path. */
function reply(req: http.IncomingMessage, res: http.ServerResponse): void {
  switch (req.url) {
    case '/reason':
      res.writeHead(299, 'Quite   Fine, Thanks', { 'Content-Type': 'text/plain' });
      res.end('reason');
      break;
    case '/cookies':
      res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2, with a comma; HttpOnly', 'c=3']);
      res.end('cookies');
      break;
    case '/chunked':
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('part one, ');
      setImmediate(() => res.end('part two'));
      break;
    case '/no-content':
      res.writeHead(204, { 'X-Seen': 'yes' });
      res.end();
      break;
    case '/not-modified':
      res.writeHead(304, { ETag: '"v1"' });
      res.end();
      break;
    default:
      res.writeHead(200, { 'Content-Length': '5', 'Content-Type': 'text/plain' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
  }
}

/** Chunked framing with one byte per chunk, as upstream's httputil chunked writer is fed in T8. */
function chunked(data: Buffer): Buffer {
  const parts = [...data].map((byte) =>
    Buffer.concat([Buffer.from('1\r\n'), Buffer.of(byte), Buffer.from('\r\n')]),
  );
  return Buffer.concat([...parts, Buffer.from('0\r\n\r\n')]);
}

/** A raw `Connection: close` request head with the given extra header lines. */
function head(requestLine: string, port: number, lines: string[] = []): string {
  return [requestLine, `Host: 127.0.0.1:${port}`, ...lines, 'Connection: close', '', ''].join(
    '\r\n',
  );
}

describe.each(KINDS)('upgradeAware over $name', (kind) => {
  let backend: Recorder;
  let transport: Transport;
  const opened: Running[] = [];

  beforeEach(async () => {
    backend = await startRecorder(reply);
    transport = kind.make(backend.url);
  });
  afterEach(async () => {
    for (const running of opened.splice(0)) await running.close();
    await transport.release();
    await backend.close();
  });

  async function proxyWith(options: Partial<UpgradeAwareOptions> = { useRequestLocation: true }) {
    const proxy = await startProxy({
      location: `${backend.url}/`,
      ...transport.options,
      ...options,
    });
    opened.push(proxy);
    return proxy;
  }

  describe('paths and headers', () => {
    it('forwards the path and raw query byte for byte, %2F kept', async () => {
      const proxy = await proxyWith();
      const path =
        "/a%2Fb/c;p=1/%7Euser?next=%2Fhome&q=%2f&sp=a%20b&plus=a+b&empty=&flag&x=~!$'()*,;:@/?";
      const res = await rawExchange(proxy.port, head(`GET ${path} HTTP/1.1`, proxy.port));
      expect(res.status).toBe(200);
      expect(backend.seen.map((s) => s.url)).toEqual([path]);
    });

    it("sends the client's Host", async () => {
      const proxy = await proxyWith();
      await request(`${proxy.url}/host`, { headers: { Host: 'proxy.example:8001' } });
      await request(`${proxy.url}/host`);
      expect(backend.seen.map((s) => s.headers.host)).toEqual([
        'proxy.example:8001',
        `127.0.0.1:${proxy.port}`,
      ]);
    });

    it('sends the location host as Host with useLocationHost', async () => {
      const proxy = await proxyWith({ useRequestLocation: true, useLocationHost: true });
      await request(`${proxy.url}/host`, { headers: { Host: 'proxy.example:8001' } });
      expect(backend.seen.map((s) => s.headers.host)).toEqual([`127.0.0.1:${backend.port}`]);
    });

    it('sends one Host line', async () => {
      const proxy = await proxyWith();
      await request(`${proxy.url}/host`, { headers: { Host: 'proxy.example:8001' } });
      const hosts = backend.seen[0]!.rawHeaders.filter(
        (_v, i, raw) => i % 2 === 0 && raw[i]!.toLowerCase() === 'host',
      );
      expect(hosts).toHaveLength(1);
    });

    it('appends the client address to X-Forwarded-For, joining several lines', async () => {
      const proxy = await proxyWith();
      await request(`${proxy.url}/xff`, {
        headers: { 'X-Forwarded-For': ['127.0.0.8', '127.0.0.9'] },
      });
      await request(`${proxy.url}/xff`);
      expect(backend.seen.map((s) => s.headers['x-forwarded-for'])).toEqual([
        '127.0.0.8, 127.0.0.9, 127.0.0.1',
        '127.0.0.1',
      ]);
    });

    it('removes hop-by-hop headers and those named in Connection, keeps TE: trailers and the rest', async () => {
      const proxy = await proxyWith();
      const res = await rawExchange(
        proxy.port,
        head('GET /h HTTP/1.1', proxy.port, [
          'X-Hop: gone',
          'Keep-Alive: timeout=5',
          'Proxy-Authorization: Basic eDp5',
          'Proxy-Connection: keep-alive',
          'Upgrade: h2c',
          'Upgrade-Insecure-Requests: 1',
          'TE: gzip, trailers',
          'X-Kept: yes',
        ]).replace('Connection: close', 'Connection: close, X-Hop'),
      );
      expect(res.status).toBe(200);
      const seen = backend.seen[0]!.headers;
      expect(seen['x-kept']).toBe('yes');
      expect(seen['upgrade-insecure-requests']).toBe('1');
      for (const name of [
        'x-hop',
        'keep-alive',
        'proxy-authorization',
        'proxy-connection',
        'upgrade',
      ]) {
        expect([name, seen[name]]).toEqual([name, undefined]);
      }
      // Only the transport's own Connection: undici keeps its connections alive, an http.Agent
      // without keepAlive says close itself.
      expect(seen.connection).toBe(kind.client === 'node' ? 'close' : 'keep-alive');
      expect(seen.te).toBe('trailers');
    });

    it('invents no User-Agent', async () => {
      const proxy = await proxyWith();
      await rawExchange(proxy.port, head('GET /no-ua HTTP/1.1', proxy.port));
      expect(backend.seen[0]!.headers['user-agent']).toBeUndefined();
    });
  });

  describe('request framing (Kubernetes T8)', () => {
    const SAMPLE = Buffer.from('abcde');
    const ZIPPED = gzipSync(SAMPLE);
    it.each([
      [
        'content-length',
        [`Content-Length: ${SAMPLE.length}`],
        SAMPLE,
        SAMPLE,
        { 'content-length': '5', 'content-encoding': undefined, 'transfer-encoding': undefined },
      ],
      [
        'content-length + gzip',
        [`Content-Length: ${ZIPPED.length}`, 'Content-Encoding: gzip'],
        ZIPPED,
        ZIPPED,
        {
          'content-length': String(ZIPPED.length),
          'content-encoding': 'gzip',
          'transfer-encoding': undefined,
        },
      ],
      [
        'chunked',
        ['Transfer-Encoding: chunked'],
        chunked(SAMPLE),
        SAMPLE,
        {
          'content-length': undefined,
          'content-encoding': undefined,
          'transfer-encoding': 'chunked',
        },
      ],
      [
        'chunked + gzip',
        ['Content-Encoding: gzip', 'Transfer-Encoding: chunked'],
        chunked(ZIPPED),
        ZIPPED,
        { 'content-length': undefined, 'content-encoding': 'gzip', 'transfer-encoding': 'chunked' },
      ],
    ])(
      '%s: the backend gets the body with its framing and encoding',
      async (_name, lines, wire, body, expected) => {
        const { responder, calls } = fakeResponder();
        const proxy = await proxyWith({ useRequestLocation: true, responder });
        const res = await rawRequest(
          proxy.port,
          Buffer.concat([Buffer.from(head('POST / HTTP/1.1', proxy.port, lines), 'latin1'), wire]),
        );
        expect([res.status, res.body.toString()]).toEqual([200, 'hello']);
        expect(calls).toHaveLength(0);
        expect(backend.seen).toHaveLength(1);
        const seen = backend.seen[0]!;
        for (const [name, value] of Object.entries(expected))
          expect([name, seen.headers[name]]).toEqual([name, value]);
        expect(seen.body.equals(body)).toBe(true);
        if (seen.headers['content-length'] !== undefined)
          expect(Number(seen.headers['content-length'])).toBe(seen.body.length);
      },
    );

    it('forwards `Transfer-Encoding: gzip, chunked` with the gzip bytes untouched', async () => {
      const proxy = await proxyWith();
      const data = Buffer.concat([
        Buffer.from(
          head('POST / HTTP/1.1', proxy.port, ['Transfer-Encoding: gzip, chunked']),
          'latin1',
        ),
        chunked(gzipSync('abc')),
      ]);
      expect((await rawRequest(proxy.port, data)).status).toBe(200);
      expect(backend.seen[0]!.headers['transfer-encoding']).toBe('gzip, chunked');
      expect(backend.seen[0]!.body.equals(gzipSync('abc'))).toBe(true);
    });

    it('sends a POST without a body with Content-Length: 0, and a GET with neither framing header', async () => {
      const proxy = await proxyWith();
      await rawExchange(proxy.port, head('POST /empty HTTP/1.1', proxy.port));
      await rawExchange(proxy.port, head('GET /empty HTTP/1.1', proxy.port));
      expect(
        backend.seen.map((s) => [
          s.method,
          s.headers['content-length'],
          s.headers['transfer-encoding'],
        ]),
      ).toEqual([
        ['POST', '0', undefined],
        ['GET', undefined, undefined],
      ]);
    });
  });

  describe('response heads', () => {
    it('relays the reason phrase as the backend wrote it', async () => {
      const proxy = await proxyWith();
      const res = await rawExchange(proxy.port, head('GET /reason HTTP/1.1', proxy.port));
      expect(res.head.split('\r\n')[0]).toBe('HTTP/1.1 299 Quite   Fine, Thanks');
      expect(res.body.toString()).toBe('reason');
    });

    it('keeps several Set-Cookie headers separate', async () => {
      const proxy = await proxyWith();
      const res = await rawExchange(proxy.port, head('GET /cookies HTTP/1.1', proxy.port));
      expect(res.headers['set-cookie']).toEqual([
        'a=1; Path=/',
        'b=2, with a comma; HttpOnly',
        'c=3',
      ]);
    });

    it('keeps the backend Content-Length', async () => {
      const proxy = await proxyWith();
      const res = await rawExchange(proxy.port, head('GET /length HTTP/1.1', proxy.port));
      expect(res.headers['content-length']).toEqual(['5']);
      expect(res.headers['transfer-encoding']).toBeUndefined();
      expect(res.body.toString()).toBe('hello');
    });

    it('keeps a chunked response chunked', async () => {
      const proxy = await proxyWith();
      const res = await rawRequest(proxy.port, head('GET /chunked HTTP/1.1', proxy.port));
      expect(res.headers['transfer-encoding']).toEqual(['chunked']);
      expect(res.headers['content-length']).toBeUndefined();
      expect(res.body.toString('latin1')).toMatch(/^[0-9a-f]+\r\n.*\r\n0\r\n\r\n$/is);
      expect((await request(`${proxy.url}/chunked`)).body.toString()).toBe('part one, part two');
    });

    it.each([
      ['HEAD', '/head', 200, ['content-length', ['5']]],
      ['GET', '/no-content', 204, ['x-seen', ['yes']]],
      ['GET', '/not-modified', 304, ['etag', ['"v1"']]],
    ] as const)(
      'passes a %s %s answer with no body',
      async (method, path, status, [name, values]) => {
        const proxy = await proxyWith();
        const res = await rawRequest(proxy.port, head(`${method} ${path} HTTP/1.1`, proxy.port));
        expect(res.status).toBe(status);
        expect(res.headers[name]).toEqual(values);
        expect(res.body.length).toBe(0);
      },
    );

    it('serves a HEAD and then a GET on the same proxy and transport', async () => {
      const proxy = await proxyWith();
      const first = await request(`${proxy.url}/x`, { method: 'HEAD' });
      const second = await request(`${proxy.url}/x`);
      expect([first.status, first.body.length, second.status, second.body.toString()]).toEqual([
        200,
        0,
        200,
        'hello',
      ]);
    });
  });
});
