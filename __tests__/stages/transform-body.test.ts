import { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import { transformBody } from '../../lib/stages/transform-body.js';
import { useRequestSource } from '../helpers/exchange.js';
import { bodyOf, fakeExchange, fakeResponse } from './fake.js';

const source = useRequestSource();

/** Plain text in, the same in upper case out. */
function upcase(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1'));
    },
  });
}

const PAGE = Buffer.from('<p>hello, world</p>\n'.repeat(2000));
const UPPER = Buffer.from(PAGE.toString().toUpperCase());

const CODINGS: [coding: string, encode: (b: Buffer) => Buffer, decode: (b: Buffer) => Buffer][] = [
  ['identity', (b) => b, (b) => b],
  ['gzip', zlib.gzipSync, zlib.gunzipSync],
  ['deflate', zlib.deflateSync, zlib.inflateSync],
  ['deflate', zlib.deflateRawSync, zlib.inflateRawSync],
  ['br', zlib.brotliCompressSync, zlib.brotliDecompressSync],
];

describe('transformBody', () => {
  const stage = transformBody({ types: ['text/*'] }, upcase);

  it.each(CODINGS)(
    'streams a %s body through the transform and back into its coding',
    async (coding, encode, decode) => {
      const res = fakeResponse({
        headers: [
          'Content-Type',
          'text/html; charset=utf-8',
          'Content-Encoding',
          coding,
          'Content-Length',
          String(encode(PAGE).length),
          'ETag',
          '"abc"',
        ],
        body: encode(PAGE),
      });
      expect(await stage(await fakeExchange(source()), res)).toBeUndefined();
      expect([...res.headers]).toEqual([
        ['Content-Type', 'text/html; charset=utf-8'],
        ['Content-Encoding', coding],
      ]);
      expect(decode(await bodyOf(res)).equals(UPPER)).toBe(true);
    },
  );

  it('lets a type it was not given, and an unknown coding, pass untouched', async () => {
    const ex = await fakeExchange(source());
    for (const headers of [
      ['Content-Type', 'image/png', 'Content-Length', '3'],
      ['Content-Type', 'text/html', 'Content-Encoding', 'zstd', 'Content-Length', '3'],
    ]) {
      const body = Readable.from([Buffer.from('abc')]);
      const res = fakeResponse({ headers, body });
      await stage(ex, res);
      expect(res.body).toBe(body);
      expect([...res.headers].flat()).toEqual(headers);
    }
  });

  it('calls the factory with the exchange and the response, once per response', async () => {
    const factory = jest.fn(upcase);
    const ex = await fakeExchange(source());
    const res = fakeResponse({ headers: ['Content-Type', 'text/plain'], body: 'a' });
    await transformBody({ types: ['text/plain'] }, factory)(ex, res);
    expect(factory.mock.calls).toEqual([[ex, res]]);
    expect((await bodyOf(res)).toString()).toBe('A');
  });

  it("fails the body when the transform fails, destroying the backend's", async () => {
    const backend = Readable.from([Buffer.from('a'), Buffer.from('b')]);
    const res = fakeResponse({ headers: ['Content-Type', 'text/plain'], body: backend });
    const failing = (): Transform =>
      new Transform({ transform: (_c, _e, callback) => callback(new Error('transform failed')) });
    await transformBody({ types: ['text/plain'] }, failing)(await fakeExchange(source()), res);
    await expect(bodyOf(res)).rejects.toThrow('transform failed');
    expect(backend.destroyed).toBe(true);
  });

  it('reads no further from the backend than the client reads (backpressure)', async () => {
    let made = 0;
    const backend = new Readable({
      read() {
        // 64 MiB at most: without backpressure all of it is read at once, and the test ends.
        this.push(++made > 1024 ? null : Buffer.alloc(64 * 1024, 'a'));
      },
    });
    const res = fakeResponse({ headers: ['Content-Type', 'text/plain'], body: backend });
    await stage(await fakeExchange(source()), res);
    res.body.read(0); // start the flow, then read nothing
    for (let last = -1, steady = 0; steady < 5; steady = made === last ? steady + 1 : 0) {
      last = made;
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Four streams' buffers of 16 to 64 KiB each: well under 1 MiB.
    expect(made).toBeLessThan(16);
    // The client leaving destroys the body the relay reads: the backend's goes with it.
    const closed = new Promise((resolve) => backend.once('close', resolve));
    res.body.destroy();
    await closed;
  });

  it('refuses a factory that is no function, and a result that is no stream', async () => {
    expect(() => transformBody({ types: ['text/html'] }, 'x' as never)).toThrow(TypeError);
    const ex = await fakeExchange(source());
    const res = fakeResponse({ headers: ['Content-Type', 'text/plain'], body: 'a' });
    const wrong = transformBody({ types: ['text/plain'] }, () => 'x' as never);
    expect(() => wrong(ex, res)).toThrow(/^transformBody: /);
  });
});
