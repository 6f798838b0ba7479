import { Readable, getDefaultHighWaterMark } from 'node:stream';
import zlib from 'node:zlib';
import { ProxyError } from '../../lib/errors/proxy-error.js';
import { interceptBody } from '../../lib/stages/intercept-body.js';
import { useRequestSource } from '../helpers/exchange.js';
import { bodyOf, fakeExchange, fakeResponse } from './fake.js';

const source = useRequestSource();

const JSON_BODY = Buffer.from(JSON.stringify({ items: Array.from({ length: 500 }, (_, i) => i) }));

const CODINGS: [coding: string, encode: (b: Buffer) => Buffer, decode: (b: Buffer) => Buffer][] = [
  ['identity', (b) => b, (b) => b],
  ['gzip', zlib.gzipSync, zlib.gunzipSync],
  ['deflate', zlib.deflateRawSync, zlib.inflateRawSync],
  ['br', zlib.brotliCompressSync, zlib.brotliDecompressSync],
];

const CHUNK = 16 * 1024;

/** A backend body that counts what was read of it, in 16 KiB chunks of `a`, `chunks` long. */
function counted(chunks: number): Readable & { made: number } {
  const body = Object.assign(
    new Readable({
      read() {
        body.made++;
        this.push(body.made > chunks ? null : Buffer.alloc(CHUNK, 'a'));
      },
    }),
    { made: 0 },
  );
  return body;
}

describe('interceptBody', () => {
  it.each(CODINGS)(
    'hands the decoded %s body over and sends the result in that coding, with its length',
    async (coding, encode, decode) => {
      const fn = jest.fn((body: Buffer) =>
        JSON.stringify({ n: JSON.parse(body.toString()).items.length }),
      );
      const stage = interceptBody({ types: ['application/json'], maxBytes: JSON_BODY.length }, fn);
      const ex = await fakeExchange(source());
      const res = fakeResponse({
        headers: [
          'Content-Type',
          'application/json',
          'Content-Encoding',
          coding,
          'Content-Length',
          String(encode(JSON_BODY).length),
          'ETag',
          'W/"1"',
        ],
        body: encode(JSON_BODY),
      });
      expect(await stage(ex, res)).toBeUndefined();
      expect(fn.mock.calls).toEqual([[JSON_BODY, ex, res]]);
      const sent = await bodyOf(res);
      expect([...res.headers]).toEqual([
        ['Content-Type', 'application/json'],
        ['Content-Encoding', coding],
        ['Content-Length', String(sent.length)],
      ]);
      expect(decode(sent).toString()).toBe('{"n":500}');
    },
  );

  it('sends a Buffer as it is and awaits a promise', async () => {
    const stage = interceptBody({ types: ['text/plain'], maxBytes: 10 }, async () =>
      Buffer.from([0xff, 0x00]),
    );
    const res = fakeResponse({ headers: ['Content-Type', 'text/plain'], body: 'x' });
    await stage(await fakeExchange(source()), res);
    expect(await bodyOf(res)).toEqual(Buffer.from([0xff, 0x00]));
    expect(res.headers.get('content-length')).toBe('2');
  });

  it('fails with ERR_PROXY_BODY_TOO_LARGE past maxBytes, having read no more, the body destroyed', async () => {
    const backend = counted(1000); // 16 MB
    const fn = jest.fn((body: Buffer) => body);
    const stage = interceptBody({ types: ['text/plain'], maxBytes: 100_000 }, fn);
    const res = fakeResponse({ headers: ['Content-Type', 'text/plain'], body: backend });
    const failed = await Promise.resolve(stage(await fakeExchange(source()), res)).catch((e) => e);
    expect(failed).toBeInstanceOf(ProxyError);
    expect(failed).toMatchObject({ code: 'ERR_PROXY_BODY_TOO_LARGE', status: 502 });
    expect(failed.message).toBe('response body exceeds 100000 bytes');
    expect(fn).not.toHaveBeenCalled();
    expect(backend.destroyed).toBe(true);
    // 100 000 bytes are 7 chunks. More sit in the buffers of the source, the decoder's two sides
    // and the collector, each up to the default high-water mark: 16 KiB before Node 22, 64 KiB since.
    const buffered = 4 * Math.ceil(getDefaultHighWaterMark(false) / CHUNK);
    expect(backend.made).toBeLessThanOrEqual(8 + buffered);
  });

  it('fails a compressed body by its decoded size (a small gzip of a large body)', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const stage = interceptBody({ types: ['text/plain'], maxBytes: 1024 * 1024 }, (b) => b);
    const res = fakeResponse({
      headers: ['Content-Type', 'text/plain', 'Content-Encoding', 'gzip'],
      body: bomb,
    });
    await expect(Promise.resolve(stage(await fakeExchange(source()), res))).rejects.toMatchObject({
      code: 'ERR_PROXY_BODY_TOO_LARGE',
    });
  });

  it('fails at once an identity body whose Content-Length is past maxBytes', async () => {
    const backend = counted(10);
    const stage = interceptBody({ types: ['text/plain'], maxBytes: 100 }, (b) => b);
    const res = fakeResponse({
      headers: ['Content-Type', 'text/plain', 'Content-Length', '163840'],
      body: backend,
    });
    await expect(Promise.resolve(stage(await fakeExchange(source()), res))).rejects.toMatchObject({
      code: 'ERR_PROXY_BODY_TOO_LARGE',
    });
    expect(backend.made).toBe(0);
    expect(backend.destroyed).toBe(true);
  });

  it('takes a body of exactly maxBytes', async () => {
    const stage = interceptBody({ types: ['text/plain'], maxBytes: 3 }, (b) => b);
    const res = fakeResponse({ headers: ['Content-Type', 'text/plain'], body: 'abc' });
    await stage(await fakeExchange(source()), res);
    expect((await bodyOf(res)).toString()).toBe('abc');
  });

  it('lets a HEAD answer, another type and an unknown coding pass untouched', async () => {
    const fn = jest.fn((b: Buffer) => b);
    const stage = interceptBody({ types: ['text/*'], maxBytes: 10 }, fn);
    for (const [method, headers] of [
      ['HEAD', ['Content-Type', 'text/html', 'Content-Length', '99']],
      ['GET', ['Content-Type', 'image/png', 'Content-Length', '99']],
      ['GET', ['Content-Type', 'text/html', 'Content-Encoding', 'zstd']],
    ] as const) {
      const body = Readable.from([Buffer.alloc(99)]);
      const res = fakeResponse({ headers: [...headers], body });
      await stage(await fakeExchange(source(), { method }), res);
      expect(res.body).toBe(body);
      expect([...res.headers].flat()).toEqual(headers);
    }
    expect(fn).not.toHaveBeenCalled();
  });

  it('fails when the function returns neither a Buffer nor a string', async () => {
    const stage = interceptBody({ types: ['text/plain'], maxBytes: 10 }, () => 5 as never);
    const res = fakeResponse({ headers: ['Content-Type', 'text/plain'], body: 'a' });
    await expect(Promise.resolve(stage(await fakeExchange(source()), res))).rejects.toThrow(
      /^interceptBody: /,
    );
  });

  it.each([
    ['no maxBytes', { types: ['text/html'] }, TypeError],
    ['a string for maxBytes', { types: ['text/html'], maxBytes: '10' }, TypeError],
    ['maxBytes 0', { types: ['text/html'], maxBytes: 0 }, RangeError],
    ['a fractional maxBytes', { types: ['text/html'], maxBytes: 1.5 }, RangeError],
    ['an infinite maxBytes', { types: ['text/html'], maxBytes: Infinity }, RangeError],
    ['no types', { maxBytes: 10 }, TypeError],
  ])('refuses %s at construction', (_what, options, error) => {
    expect(() => interceptBody(options as never, (b) => b)).toThrow(error);
    expect(() => interceptBody(options as never, (b) => b)).toThrow(/^interceptBody: /);
  });

  it('refuses a function that is no function', () => {
    expect(() => interceptBody({ types: ['text/html'], maxBytes: 1 }, null as never)).toThrow(
      TypeError,
    );
  });
});
