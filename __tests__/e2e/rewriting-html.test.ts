// HTML link rewriting through the middleware (docs/rewriting.md, "HTML links"; docs/differences.md, P5 and P6): Kubernetes'
// TestRewriteResponse (9.2 T13) as real compressed round trips, the encodings this port adds,
// the media type test, and the bytes that must never change. The proxy is mounted with
// `app.use('/proxy', proxy)` and useRequestLocation, so links to the backend get `/proxy`.
import http from 'node:http';
import { once } from 'node:events';
import { setImmediate as tick } from 'node:timers/promises';
import zlib from 'node:zlib';
import { upgradeAware } from '../../lib/index.js';
import { request, startExpress, startUpstream } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

let backend: Running;
let app: Running;
const routes = new Map<string, Handler>();

beforeAll(async () => {
  backend = await startUpstream((req, res) => {
    const handler = routes.get(req.url ?? '');
    if (!handler) {
      res.statusCode = 404;
      res.end();
      return;
    }
    void Promise.resolve(handler(req, res)).catch(() => res.destroy());
  });
  app = await startExpress([
    ['/proxy', upgradeAware({ location: `${backend.url}/`, useRequestLocation: true })],
  ]);
});
afterAll(async () => {
  await app.close();
  await backend.close();
});

let next = 0;
/** Serves `handler` at a fresh backend path; resolves with the path. */
function route(handler: Handler): string {
  const path = `/page${++next}`;
  routes.set(path, handler);
  return path;
}

/** Writes `body` in small pieces, one per turn of the event loop, so the proxy sees it split anywhere. */
async function writeSlowly(res: http.ServerResponse, body: Buffer, size = 61): Promise<void> {
  for (let at = 0; at < body.length; at += size) {
    res.write(body.subarray(at, at + size));
    await tick();
  }
  res.end();
}

const PAGE =
  '<html><head><link href="/style.css" rel="stylesheet"></head><body>' +
  '<a href="/docs/a">a</a><img src="/img/b.png"><a href="http://example.com/x">x</a><a href="rel">rel</a></body></html>';
const REWRITTEN =
  '<html><head><link href="/proxy/style.css" rel="stylesheet"></head><body>' +
  '<a href="/proxy/docs/a">a</a><img src="/proxy/img/b.png"><a href="http://example.com/x">x</a><a href="rel">rel</a></body></html>';

interface Coding {
  name: string;
  header: string;
  encode(body: Buffer): Buffer;
  decode(body: Buffer): Buffer;
}

const CODINGS: Coding[] = [
  {
    name: 'gzip',
    header: 'gzip',
    encode: (b) => zlib.gzipSync(b),
    decode: (b) => zlib.gunzipSync(b),
  },
  // Go's (and so Kubernetes') form of deflate: raw RFC 1951 at best compression. The answer must
  // stay raw: zlib.inflateRawSync would fail on a zlib header.
  {
    name: 'raw deflate',
    header: 'deflate',
    encode: (b) => zlib.deflateRawSync(b, { level: 9 }),
    decode: (b) => zlib.inflateRawSync(b),
  },
  // RFC 9110's deflate: zlib-wrapped (RFC 1950); the answer must stay zlib-wrapped.
  {
    name: 'zlib deflate',
    header: 'deflate',
    encode: (b) => zlib.deflateSync(b),
    decode: (b) => zlib.inflateSync(b),
  },
  {
    name: 'br',
    header: 'br',
    encode: (b) => zlib.brotliCompressSync(b),
    decode: (b) => zlib.brotliDecompressSync(b),
  },
];

describe('upgradeAware HTML rewriting of compressed bodies (TestRewriteResponse)', () => {
  it.each(CODINGS.map((c) => [c.name, c] as const))(
    '%s: decodes, rewrites the links and re-encodes in the coding received',
    async (_name, coding) => {
      const compressed = coding.encode(Buffer.from(PAGE));
      const path = route((_req, res) => {
        res.writeHead(200, {
          'Content-Type': 'text/html',
          'Content-Encoding': coding.header,
          'Content-Length': compressed.length,
        });
        return writeSlowly(res, compressed);
      });
      const { status, headers, body } = await request(`${app.url}/proxy${path}`);
      expect(status).toBe(200);
      expect(headers['content-encoding']).toBe(coding.header);
      // The length changed: the backend's Content-Length cannot stand.
      expect(headers['content-length']).toBeUndefined();
      expect(coding.decode(body).toString()).toBe(REWRITTEN);
    },
  );

  it('answers raw deflate with raw deflate and zlib deflate with zlib deflate', async () => {
    const raw = route((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Encoding': 'deflate' });
      res.end(zlib.deflateRawSync(Buffer.from(PAGE)));
    });
    const wrapped = route((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Encoding': 'deflate' });
      res.end(zlib.deflateSync(Buffer.from(PAGE)));
    });
    const rawBody = (await request(`${app.url}/proxy${raw}`)).body;
    const wrappedBody = (await request(`${app.url}/proxy${wrapped}`)).body;
    expect(() => zlib.inflateSync(rawBody)).toThrow();
    expect(zlib.inflateRawSync(rawBody).toString()).toBe(REWRITTEN);
    expect(zlib.inflateSync(wrappedBody).toString()).toBe(REWRITTEN);
  });

  // Upstream's bodies, compressed with gzip and with raw deflate at best compression.
  const BODIES: [string, string][] = [
    ['short body test', 'short body test'],
    ['long body test x4097', 'long body test'.repeat(4097)],
  ];
  const UPSTREAM = CODINGS.filter((c) => c.name === 'gzip' || c.name === 'raw deflate');

  describe.each(UPSTREAM.map((c) => [c.name, c] as const))('%s', (_name, coding) => {
    it.each(BODIES)('%s decompresses to the original after the round trip', async (_body, text) => {
      const compressed = coding.encode(Buffer.from(text));
      const path = route((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Encoding': coding.header });
        return writeSlowly(res, compressed, 1024);
      });
      const { headers, body } = await request(`${app.url}/proxy${path}`);
      expect(headers['content-encoding']).toBe(coding.header);
      expect(coding.decode(body).toString()).toBe(text);
    });

    // What upstream's test actually exercises: its fake response carries no Content-Encoding, so
    // the compressed bytes go through the HTML rewriter as they are and must come out the same.
    it.each(BODIES)(
      '%s compressed but sent without Content-Encoding passes byte for byte',
      async (_body, text) => {
        const compressed = coding.encode(Buffer.from(text));
        const path = route((_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/html' });
          res.end(compressed);
        });
        const { body } = await request(`${app.url}/proxy${path}`);
        expect(body.equals(compressed)).toBe(true);
        expect(coding.decode(body).toString()).toBe(text);
      },
    );
  });

  it.each([
    ['an unknown coding', ['x-custom']],
    ['compress', ['compress']],
    ['two codings', ['gzip', 'br']],
  ])('passes a body in %s through byte for byte, Content-Length kept', async (_name, codings) => {
    // Not actually encoded: links the proxy would rewrite, had it understood the coding.
    const bytes = Buffer.concat([Buffer.from(PAGE), Buffer.from([0, 0xff, 0x1f, 0x8b])]);
    const path = route((_req, res) => {
      res.writeHead(200, [
        ['Content-Type', 'text/html'],
        ...codings.map((c) => ['Content-Encoding', c]),
        ['Content-Length', String(bytes.length)],
      ]);
      res.end(bytes);
    });
    const { status, headers, body } = await request(`${app.url}/proxy${path}`);
    expect(status).toBe(200);
    expect(headers['content-encoding']).toBe(codings.join(', '));
    expect(headers['content-length']).toBe(String(bytes.length));
    expect(body.equals(bytes)).toBe(true);
  });

  it.each<[string, number, Record<string, string>]>([
    ['204', 204, { 'Content-Type': 'text/html' }],
    [
      '204 with Content-Encoding: gzip',
      204,
      { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' },
    ],
    ['304', 304, { 'Content-Type': 'text/html', ETag: '"v1"' }],
    [
      '304 with Content-Encoding: gzip',
      304,
      { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip', ETag: '"v1"' },
    ],
  ])('passes a body-less %s of text/html without error', async (_name, status, headers) => {
    const path = route((_req, res) => {
      res.writeHead(status, headers);
      res.end();
    });
    const response = await request(`${app.url}/proxy${path}`);
    expect(response.status).toBe(status);
    expect(response.headers['content-encoding']).toBe(headers['Content-Encoding']);
    expect(response.body.length).toBe(0);
  });

  it('cuts the client connection when a gzip body turns out corrupt midway, never ending it cleanly', async () => {
    const good = zlib.gzipSync(PAGE.repeat(200));
    const corrupt = Buffer.concat([good.subarray(0, good.length >> 1), Buffer.alloc(64, 0xff)]);
    const path = route((_req, res) => {
      res.writeHead(200, {
        'Content-Type': 'text/html',
        'Content-Encoding': 'gzip',
        'Content-Length': corrupt.length,
      });
      res.end(corrupt);
    });
    await expect(request(`${app.url}/proxy${path}`)).rejects.toThrow();
  });

  it("stops the backend's page when the client leaves in the middle of a gzip page", async () => {
    let closed!: Promise<unknown>;
    const path = route((_req, res) => {
      closed = once(res, 'close');
      res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' });
      const gzip = zlib.createGzip();
      gzip.pipe(res);
      // An endless page: only the client leaving can end it.
      const write = (): void => {
        if (res.destroyed) return;
        gzip.write('<p><a href="/more">more</a></p>\n'.repeat(100), () => setImmediate(write));
      };
      write();
    });
    const client = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${app.url}/proxy${path}`, { agent: false }, resolve).on('error', reject);
    });
    client.on('error', () => {});
    const [first] = (await once(client, 'data')) as [Buffer];
    expect(first.length).toBeGreaterThan(0);
    client.destroy();
    await closed;
  });

  it.each(CODINGS.map((c) => [c.name, c] as const))(
    'passes an empty 200 text/html body in %s as an empty body',
    async (_name, coding) => {
      const path = route((_req, res) => {
        res.writeHead(200, {
          'Content-Type': 'text/html',
          'Content-Encoding': coding.header,
          'Content-Length': 0,
        });
        res.end();
      });
      const { status, headers, body } = await request(`${app.url}/proxy${path}`);
      expect(status).toBe(200);
      expect(headers['content-encoding']).toBe(coding.header);
      expect(body.length).toBe(0);
    },
  );
});

describe('upgradeAware HTML rewriting: which responses are HTML', () => {
  it.each([
    'text/html',
    'TEXT/HTML',
    'Text/Html; Charset=UTF-8',
    'text/html;charset=iso-8859-1',
    ' text/html ; q=1',
  ])('rewrites a %p body', async (contentType) => {
    const path = route((_req, res) => {
      res.writeHead(200, {
        'Content-Type': contentType,
        'Content-Length': Buffer.byteLength(PAGE),
      });
      res.end(PAGE);
    });
    const { headers, body } = await request(`${app.url}/proxy${path}`);
    expect(headers['content-type']).toBe(contentType.trim());
    expect(headers['content-length']).toBeUndefined();
    expect(body.toString()).toBe(REWRITTEN);
  });

  it.each([
    ['text/plain'],
    ['application/xhtml+xml'],
    ['text/htmlx'],
    ['application/json'],
    ['text/x-html'],
    [undefined],
  ])('passes a %p body byte for byte, Content-Length kept', async (contentType) => {
    const bytes = Buffer.concat([Buffer.from(PAGE), Buffer.from([0xc3, 0x28, 0xff])]);
    const path = route((_req, res) => {
      if (contentType !== undefined) res.setHeader('Content-Type', contentType);
      res.setHeader('Content-Length', bytes.length);
      res.end(bytes);
    });
    const { headers, body } = await request(`${app.url}/proxy${path}`);
    expect(headers['content-type']).toBe(contentType);
    expect(headers['content-length']).toBe(String(bytes.length));
    expect(body.equals(bytes)).toBe(true);
  });
});

describe('upgradeAware HTML rewriting: the bytes around the links (P5)', () => {
  it('changes only the values of the listed attributes, whatever the case of the tags or the quoting', async () => {
    const page = [
      '<!DOCTYPE html>',
      "<HTML MANIFEST='/app.manifest'>",
      '<!-- <a href="/in-comment"> -->',
      '<BODY Background=/bg.png>',
      '<A HREF = "/docs?a=1&amp;b=2" Title="/not-a-link">docs</A>',
      '<img src=\'/i.png\' alt="/x"><img   SRC=/j.png >',
      '<script>document.write(\'<a href="/in-script">\')</script>',
      '<a href="#top">top</a><a href="rel/x">rel</a><a href="mailto:x@y">m</a><a href="//example.com/p">p</a>',
      '<a href="http://example.com/ext">ext</a><form ACTION="/submit"><input formaction=/go></form>',
      '</BODY></HTML>',
      '',
    ].join('\r\n');
    const expected = page
      .replace("'/app.manifest'", "'/proxy/app.manifest'")
      .replace('Background=/bg.png', 'Background=/proxy/bg.png')
      .replace('"/docs?a=1&amp;b=2"', '"/proxy/docs?a=1&amp;b=2"')
      .replace("'/i.png'", "'/proxy/i.png'")
      .replace('SRC=/j.png', 'SRC=/proxy/j.png')
      .replace('"/submit"', '"/proxy/submit"')
      .replace('formaction=/go', 'formaction=/proxy/go');
    const path = route((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return writeSlowly(res, Buffer.from(page), 7);
    });
    const { body } = await request(`${app.url}/proxy${path}`);
    expect(body.toString()).toBe(expected);
  });
});
