// The rewriting transport over every transport kind with a plain backend (`wrapTransport: true`
// where a transport is given; without one it is on anyway), under an Express mount
// `app.use('/proxy', proxy)` with useRequestLocation: HTML links and Location headers get the
// mount prefix, X-Forwarded-* are set and CORS grants removed, the same over each. The rewriting
// itself is tested in depth over the default transport (rewriting-html.test.ts,
// rewriting-location.test.ts).
import type http from 'node:http';
import zlib from 'node:zlib';
import { upgradeAware } from '../../lib/index.js';
import { rawExchange, request, startExpress, startRecorder } from '../helpers/servers.js';
import type { Running, Seen } from '../helpers/servers.js';
import { CLEARTEXT_KINDS } from '../helpers/transports.js';
import type { Transport } from '../helpers/transports.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const PAGE =
  '<html><head><link href="/style.css" rel="stylesheet"></head><body>' +
  '<a href="/docs/a">a</a><img src="/img/b.png"><a href="http://example.com/x">x</a><a href="rel">rel</a></body></html>';
const REWRITTEN =
  '<html><head><link href="/proxy/style.css" rel="stylesheet"></head><body>' +
  '<a href="/proxy/docs/a">a</a><img src="/proxy/img/b.png"><a href="http://example.com/x">x</a><a href="rel">rel</a></body></html>';

describe.each(CLEARTEXT_KINDS)('upgradeAware over $name with the rewriting transport', (kind) => {
  let backend: Running & { seen: Seen[] };
  let transport: Transport;
  let dispatchedBefore = 0;
  let app: Running;
  const routes = new Map<string, Handler>();

  beforeAll(async () => {
    backend = await startRecorder((req, res) => {
      const url = new URL(req.url ?? '/', 'http://unused');
      const handler = routes.get(url.pathname);
      if (handler) handler(req, res);
      else res.writeHead(404).end();
    });
    transport = kind.make(backend.url);
    app = await startExpress([
      [
        '/proxy',
        upgradeAware({
          location: `${backend.url}/`,
          useRequestLocation: true,
          ...transport.options,
          wrapTransport: true,
        }),
      ],
    ]);
  });
  afterAll(async () => {
    await app.close();
    await transport.release();
    await backend.close();
  });
  beforeEach(() => {
    backend.seen.length = 0;
    dispatchedBefore = transport.dispatched();
  });

  let next = 0;
  /** Serves `handler` at a fresh backend path; resolves with the path. */
  function route(handler: Handler): string {
    const path = `/page${++next}`;
    routes.set(path, handler);
    return path;
  }

  describe('HTML bodies', () => {
    it('rewrites the links of a text/html body under the mount, Content-Length dropped', async () => {
      const path = route((_req, res) => {
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Length': Buffer.byteLength(PAGE),
        });
        res.end(PAGE);
      });
      const { status, headers, body } = await request(`${app.url}/proxy${path}`);
      expect(status).toBe(200);
      expect(headers['content-length']).toBeUndefined();
      expect(body.toString()).toBe(REWRITTEN);
      expect(transport.dispatched() - dispatchedBefore).toBe(1);
    });

    it.each([
      ['gzip', 'gzip', (b: Buffer) => zlib.gzipSync(b), (b: Buffer) => zlib.gunzipSync(b)],
      [
        'raw deflate',
        'deflate',
        (b: Buffer) => zlib.deflateRawSync(b, { level: 9 }),
        (b: Buffer) => zlib.inflateRawSync(b),
      ],
      [
        'br',
        'br',
        (b: Buffer) => zlib.brotliCompressSync(b),
        (b: Buffer) => zlib.brotliDecompressSync(b),
      ],
    ])(
      'decodes a %s page, rewrites it and re-encodes it in the same coding',
      async (_name, coding, encode, decode) => {
        const compressed = encode(Buffer.from(PAGE));
        const path = route((_req, res) => {
          res.writeHead(200, {
            'Content-Type': 'text/html',
            'Content-Encoding': coding,
            'Content-Length': compressed.length,
          });
          // Split anywhere: the proxy must not rely on the page arriving in one piece.
          res.write(compressed.subarray(0, 7));
          setImmediate(() => res.end(compressed.subarray(7)));
        });
        const { headers, body } = await request(`${app.url}/proxy${path}`);
        expect(headers['content-encoding']).toBe(coding);
        expect(decode(body).toString()).toBe(REWRITTEN);
      },
    );

    it('passes a body that is not HTML byte for byte, Content-Length kept', async () => {
      const bytes = Buffer.concat([Buffer.from(PAGE), Buffer.from([0xc3, 0x28, 0xff])]);
      const path = route((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': bytes.length });
        res.end(bytes);
      });
      const { headers, body } = await request(`${app.url}/proxy${path}`);
      expect(headers['content-length']).toBe(String(bytes.length));
      expect(body.equals(bytes)).toBe(true);
    });

    it('answers HEAD for a gzip text/html page with its headers and no body', async () => {
      const compressed = zlib.gzipSync(PAGE);
      const path = route((req, res) => {
        res.writeHead(200, {
          'Content-Type': 'text/html',
          'Content-Encoding': 'gzip',
          'Content-Length': compressed.length,
        });
        res.end(req.method === 'HEAD' ? undefined : compressed);
      });
      const { status, headers, body } = await request(`${app.url}/proxy${path}`, {
        method: 'HEAD',
      });
      expect([status, headers['content-encoding'], headers['content-length'], body.length]).toEqual(
        [200, 'gzip', String(compressed.length), 0],
      );
    });
  });

  describe('Location headers', () => {
    /** A backend path answering 302 with `Location: location`. */
    function redirect(location: string): string {
      return route((_req, res) => {
        res.writeHead(302, { Location: location, 'Content-Type': 'text/html' });
        res.end('<a href="/body-link">moved</a>');
      });
    }

    it.each([
      ['a path-only Location', '/next', '/proxy/next'],
      [
        'a path-only Location with query and fragment',
        '/next/?x=1&y=%2F#top',
        '/proxy/next/?x=1&y=%2F#top',
      ],
      ["a Location on the backend's host", 'http://BACKEND/next', '/proxy/next'],
    ])('gives %s the mount prefix', async (_name, location, expected) => {
      const path = redirect(location.replace('BACKEND', `127.0.0.1:${backend.port}`));
      const { status, headers, body } = await request(`${app.url}/proxy${path}`);
      expect(status).toBe(302);
      expect(headers.location).toBe(expected);
      // A response with a Location keeps its body as it is.
      expect(body.toString()).toBe('<a href="/body-link">moved</a>');
    });

    it.each([
      ['another host', 'http://example.com/next'],
      ['a relative reference', 'next/page'],
      ['a path already under the prefix', '/proxy/next'],
    ])('leaves %s as it is', async (_name, location) => {
      const { headers } = await request(`${app.url}/proxy${redirect(location)}`);
      expect(headers.location).toBe(location);
    });
  });

  describe('headers', () => {
    it("sets X-Forwarded-Host, -Proto and -Uri, replacing the client's, and appends X-Forwarded-For", async () => {
      const path = route((_req, res) => res.end('ok'));
      await request(`${app.url}/proxy${path}?q=1`, {
        headers: {
          Host: 'client.example:8443',
          'X-Forwarded-Host': 'evil.example',
          'X-Forwarded-Uri': '/evil',
          'X-Forwarded-For': '127.0.0.9',
        },
      });
      const seen = backend.seen[0]!.headers;
      expect([
        seen['x-forwarded-host'],
        seen['x-forwarded-proto'],
        seen['x-forwarded-uri'],
        seen['x-forwarded-for'],
      ]).toEqual(['client.example:8443', 'http', `/proxy${path}`, '127.0.0.9, 127.0.0.1']);
    });

    it('keeps several Set-Cookie lines separate, though Express set a header of its own first', async () => {
      const path = route((_req, res) => {
        res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2; HttpOnly', 'c=3']);
        res.setHeader('Content-Type', 'text/plain');
        res.end('ok');
      });
      const res = await rawExchange(
        app.port,
        `GET /proxy${path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`,
      );
      expect(res.headers['x-powered-by']).toEqual(['Express']);
      expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly', 'c=3']);
    });

    it("removes the backend's CORS grants and keeps the rest", async () => {
      const path = route((_req, res) => {
        res.writeHead(200, {
          'Access-Control-Allow-Origin': '*',
          'Access-Control-Allow-Credentials': 'true',
          'Access-Control-Max-Age': '600',
          'X-Kept': 'yes',
        });
        res.end('ok');
      });
      const { headers } = await request(`${app.url}/proxy${path}`);
      expect([
        headers['access-control-allow-origin'],
        headers['access-control-allow-credentials'],
      ]).toEqual([undefined, undefined]);
      expect([headers['access-control-max-age'], headers['x-kept']]).toEqual(['600', 'yes']);
    });
  });
});
